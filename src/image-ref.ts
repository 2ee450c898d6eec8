/**
 * Container image references (`--image-ref`), shared by the provider (which computes a Draft's
 * code hash in the program) and the local Ignite (which validates and stores image drafts), so
 * both agree on what a valid reference is and on its code hash (docs/contract.md, "Image
 * sources"):
 *
 *   pinned by digest (`repo@sha256:<hex>`, with or without a tag) → the digest, "sha256:<hex>";
 *   by tag (`repo:1.2`, `repo` = `repo:latest`)                   → "sha256:" + sha256 of the reference text.
 *
 * The grammar is the one of the OCI distribution reference (docker's `reference` package).
 */
import { createHash } from "node:crypto";

const DOMAIN_LABEL = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const DOMAIN = `(?:${DOMAIN_LABEL}(?:\\.${DOMAIN_LABEL})*|\\[[0-9a-fA-F:]+\\])(?::[0-9]+)?`;
const COMPONENT = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
const TAG = "[\\w][\\w.-]{0,127}";
const DIGEST = "[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[0-9a-fA-F]{32,}";
const REFERENCE = new RegExp(`^((?:${DOMAIN}/)?${COMPONENT}(?:/${COMPONENT})*)(?::(${TAG}))?(?:@(${DIGEST}))?$`);

export interface ImageReference {
  /** The repository, with its registry if given ("ghcr.io/acme/app"). */
  name: string;
  tag?: string;
  /** "sha256:<64 hex>", when pinned. */
  digest?: string;
}

/** The parts of a reference, or a reason it is not one. */
export function parseImageRef(ref: string): ImageReference | { problem: string } {
  if (ref.trim() === "") return { problem: "is empty; give an image reference such as ghcr.io/acme/app:1.2 or ghcr.io/acme/app@sha256:<digest>" };
  if (ref !== ref.trim() || /\s/.test(ref)) return { problem: `${JSON.stringify(ref)} contains whitespace` };
  const m = REFERENCE.exec(ref);
  if (!m) {
    const hint = /[A-Z]/.test(ref.split(/[:@]/)[0]!.split("/").slice(-1)[0]!) ? " (repository names are lowercase)" : "";
    return { problem: `${JSON.stringify(ref)} is not an image reference${hint}; use [registry/]repository[:tag][@sha256:<digest>]` };
  }
  const [, name, tag, digest] = m;
  if (name!.length > 255) return { problem: `the repository name of ${JSON.stringify(ref)} is longer than 255 characters` };
  if (digest !== undefined && !/^sha256:[0-9a-f]{64}$/.test(digest)) {
    return { problem: `${JSON.stringify(ref)} has digest ${digest}; a pinned reference uses sha256:<64 lowercase hex digits>` };
  }
  return { name: name!, ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}) };
}

/** A Draft's code hash for an image reference (see the file comment). */
export function imageRefCodeHash(ref: string): string {
  const parsed = parseImageRef(ref);
  if (!("problem" in parsed) && parsed.digest) return parsed.digest;
  return "sha256:" + createHash("sha256").update(ref, "utf8").digest("hex");
}
