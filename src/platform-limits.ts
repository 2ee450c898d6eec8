/**
 * The request limits of the platform (docs/contract.md "Limits"), in one place for the
 * program's code checks (which fail the preview), the client (which refuses to send a request
 * the platform would refuse) and the local Ignite (which enforces them).
 */

export const MiB = 1024 * 1024;

/** The largest request message the platform accepts, bytes (SaveDraft carries the code). */
export const MAX_REQUEST_BYTES = 32 * MiB;

/** The most files a draft archive may hold. */
export const MAX_DRAFT_FILES = 10_000;

/**
 * Room a SaveDraft request needs besides the code bytes: organization and app names, the
 * runtime, the Rust target and toolchain, and the protobuf framing around them.
 */
export const SAVE_DRAFT_ENVELOPE_BYTES = 4 * 1024;

/** The most code bytes (a file, or a directory's archive) one SaveDraft can carry. */
export const MAX_CODE_BYTES = MAX_REQUEST_BYTES - SAVE_DRAFT_ENVELOPE_BYTES;

/** "32 MiB", "1.5 MiB", "12 KiB", "100 bytes": sizes as messages print them. */
export function formatBytes(n: number): string {
  const unit = (v: number, u: string) => `${Number.isInteger(v) ? v : v.toFixed(1).replace(/\.0$/, "")} ${u}`;
  if (n >= MiB) return unit(n / MiB, "MiB");
  if (n >= 1024) return unit(n / 1024, "KiB");
  return `${n} bytes`;
}

/** "10,000": counts as messages print them. */
export function formatCount(n: number): string {
  return n.toLocaleString("en-US");
}
