// verifyCodeSet: the bytes about to be uploaded must be the bytes the plan showed; if the
// files moved on in between, stop and say which ones instead of deploying unreviewed code.
import * as messages from "../messages.js";
import { collectCodeSet, type CodeSet } from "./collect.js";
import { describeManifestDiff, manifestDiff } from "./diff.js";
import { codeHashOf, packCodeSet } from "./pack.js";

export interface VerifyOptions {
  /** The manifest shown at preview, when the caller has it; defaults to `set.manifest`. */
  plannedManifest?: Record<string, string>;
}

/**
 * Returns the bytes to upload when they hash to `expectedHash`: `set.bytes` when the set was
 * collected with `keepBytes` (those are the bytes `set.codeHash` was computed from, so they
 * are not read and packed a second time), else `set` packed again. Otherwise throws
 * "files under ./greet changed after preview: changed handler.py; run pulumi up again",
 * listing the paths that differ between the planned manifest and the files on disk now.
 */
export async function verifyCodeSet(set: CodeSet, expectedHash: string, options: VerifyOptions = {}): Promise<Buffer> {
  if (set.bytes && set.codeHash === expectedHash) return set.bytes;
  let bytes: Buffer | undefined;
  try {
    bytes = await packCodeSet(set);
    if (codeHashOf(bytes) === expectedHash) return bytes;
  } catch {
    // A file vanished or changed size while packing: report it like any other change.
  }
  bytes = undefined; // release the stale archive before collecting again

  const planned = options.plannedManifest ?? set.manifest;
  let now: Record<string, string> = {};
  try {
    now = (await collectCodeSet({ path: set.root, include: set.selection.include, exclude: set.selection.exclude, limits: false })).manifest;
  } catch {
    // Everything is gone (or unreadable): every planned file counts as removed.
  }
  const described = describeManifestDiff(manifestDiff(planned, now));
  throw new Error(messages.code.changedAfterPreview(set.source, described, expectedHash));
}
