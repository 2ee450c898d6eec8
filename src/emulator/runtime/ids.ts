/** Execution ids: "exec_" + a ULID (48-bit time + 80 random bits, Crockford base32), sortable by creation. */
import { randomBytes } from "node:crypto";

const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/**
 * Random bytes are drawn from a refilled block: one randomBytes(16) call per id was a
 * measurable part of a warm public-URL request (the call into the CSPRNG dominates, not
 * the bytes).
 */
const BLOCK = 4096;
let pool = randomBytes(BLOCK);
let offset = 0;

export function newExecutionId(now = Date.now()): string {
  let time = "";
  let t = now;
  for (let i = 0; i < 10; i++) {
    time = ALPHABET[t % 32]! + time;
    t = Math.floor(t / 32);
  }
  if (offset + 16 > BLOCK) {
    pool = randomBytes(BLOCK);
    offset = 0;
  }
  let random = "";
  for (let i = 0; i < 16; i++) random += ALPHABET[pool[offset + i]! % 32];
  offset += 16;
  return `exec_${time}${random}`;
}
