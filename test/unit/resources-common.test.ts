// Constants common.ts writes out instead of importing (issue 11: the program should not load
// @connectrpc/connect to compare two numbers) stay equal to what they stand for.
import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { ALREADY_EXISTS, NOT_FOUND, isAlreadyExists, isNotFound } from "../../src/resources/common.js";

describe("the platform's error codes, as the providers test them", () => {
  it("are connect's Code.NotFound and Code.AlreadyExists", () => {
    expect(NOT_FOUND).toBe(Code.NotFound);
    expect(ALREADY_EXISTS).toBe(Code.AlreadyExists);
    expect(isNotFound(new ConnectError("gone", Code.NotFound))).toBe(true);
    expect(isAlreadyExists(new ConnectError("taken", Code.AlreadyExists))).toBe(true);
    expect(isNotFound(new ConnectError("taken", Code.AlreadyExists))).toBe(false);
  });
});
