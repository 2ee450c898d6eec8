// The one mapping from an error to an HTTP answer (httpErrorOf, errors.ts): every HTTP surface
// of the local Ignite answers errors through it, so this table is the whole policy.
import { describe, expect, it } from "vitest";
import { Code } from "@connectrpc/connect";
import {
  FailedPreconditionError,
  HeadTooLargeError,
  httpErrorOf,
  InvalidArgumentError,
  MethodNotAllowedError,
  NotFoundError,
  ResourceExhaustedError,
  UnavailableError,
} from "../../src/emulator/errors";
import { appTimeoutError, NotRunnableError, podExitedError, requestTooLarge } from "../../src/emulator/runtime/errors";

describe("httpErrorOf", () => {
  it.each([
    ["a bad field", new InvalidArgumentError("scaling.max_replicas", "must be >= 0"), 400, Code.InvalidArgument],
    ["a failed precondition", new FailedPreconditionError("not compiled"), 400, Code.FailedPrecondition],
    ["an app that cannot run", new NotRunnableError("no published version"), 400, Code.FailedPrecondition],
    ["a missing thing", new NotFoundError("app x not found"), 404, Code.NotFound],
    ["a limit (gateway)", new ResourceExhaustedError("too many files"), 429, Code.ResourceExhausted],
    ["a body above the public URL's cap", requestTooLarge(10), 413, Code.ResourceExhausted],
    ["a head above 64 KiB", new HeadTooLargeError("request header fields too large"), 431, Code.ResourceExhausted],
    ["a pod that died", podExitedError(), 502, Code.Unavailable],
    ["a hung handler", appTimeoutError(1000), 504, Code.DeadlineExceeded],
    ["the local Ignite starting", new UnavailableError("starting"), 503, Code.Unavailable],
    ["a bug", new TypeError("x is undefined"), 500, Code.Internal],
  ])("%s is HTTP %i with the gRPC code in a google.rpc.Status body", (_what, err, status, code) => {
    const answer = httpErrorOf(err);
    expect(answer.status).toBe(status);
    const body = JSON.parse(answer.body) as { code: number; message: string; details: unknown[] };
    expect(body.code).toBe(code);
    expect(body.message).not.toBe("");
    expect(body.details).toEqual([]);
  });

  it("a verb a route does not take is 405 naming the verbs it does in Allow", () => {
    const answer = httpErrorOf(new MethodNotAllowedError("method DELETE not allowed", ["GET", "POST"]));
    expect(answer.status).toBe(405);
    expect(answer.headers).toEqual({ allow: "GET, POST" });
  });
});
