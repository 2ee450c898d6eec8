// The tar framing of a directory's archive (docs/contract.md "Archives"): the bytes that go
// around each file's content, so the archive can be hashed (and written) while each file is
// read once, without a stream library in between.
//
// The bytes are those tar-stream 3.2.2 writes for our fixed header (its ustar encoder and its
// pax fallback, ported line for line): the code hash of every stack deployed so far was
// computed over them, and a differing byte would upload every unchanged app again. A unit test
// compares the two on awkward names (test/unit/code-tar.test.ts) and another pins the hash of a
// fixed tree (test/unit/code-pack.test.ts).

/** What travels of a file: its path in the archive, its length and mode (0o644 or 0o755). */
export interface TarFile {
  path: string;
  size: number;
  mode: number;
}

const BLOCK = 512;
/** Two zero blocks end the archive. */
export const TAR_END = Buffer.alloc(2 * BLOCK);
const ZEROS = "0000000000000000000";
const SEVENS = "7777777777777777777";
const ZERO = "0".charCodeAt(0);
const USTAR_MAGIC = Buffer.from("ustar\0", "latin1");
const USTAR_VERSION = Buffer.from("00", "latin1");
const TYPE_FILE = 0;
const TYPE_PAX = 72; // "x"

function encodeOct(val: number, n: number): string {
  const s = val.toString(8);
  if (s.length > n) return `${SEVENS.slice(0, n)} `;
  return `${ZEROS.slice(0, n - s.length)}${s} `;
}

function encodeSize(num: number, buf: Buffer, off: number): void {
  if (num.toString(8).length > 11) {
    // Base-256 for sizes of 8 GiB and more (never within the platform's limits).
    buf[off] = 0x80;
    for (let i = 11; i > 0; i--) {
      buf[off + i] = num & 0xff;
      num = Math.floor(num / 0x100);
    }
  } else buf.write(encodeOct(num, 11), off);
}

function checksum(block: Buffer): number {
  let sum = 8 * 32;
  for (let i = 0; i < 148; i++) sum += block[i]!;
  for (let j = 156; j < BLOCK; j++) sum += block[j]!;
  return sum;
}

/** The name split into ustar's name and prefix fields; undefined when it does not fit (non-ASCII, or too long to split). */
function splitName(name: string): { name: string; prefix: string } | undefined {
  let prefix = "";
  if (Buffer.byteLength(name) !== name.length) return undefined;
  while (name.length > 100) {
    const i = name.indexOf("/");
    if (i === -1) return undefined;
    prefix += prefix ? `/${name.slice(0, i)}` : name.slice(0, i);
    name = name.slice(i + 1);
  }
  if (prefix.length > 155) return undefined;
  return { name, prefix };
}

/** Per mode and type: the header with every field that never changes already written. */
const templates = new Map<number, Buffer>();

function template(mode: number, type: number): Buffer {
  const key = (mode & 0o7777) * 256 + type;
  let t = templates.get(key);
  if (!t) {
    t = Buffer.alloc(BLOCK);
    t.write(encodeOct(mode & 0o7777, 6), 100);
    t.write(encodeOct(0, 6), 108); // uid
    t.write(encodeOct(0, 6), 116); // gid
    t.write(encodeOct(0, 11), 136); // mtime
    t[156] = ZERO + type;
    USTAR_MAGIC.copy(t, 257);
    USTAR_VERSION.copy(t, 263);
    t.write(encodeOct(0, 6), 329); // devmajor
    t.write(encodeOct(0, 6), 337); // devminor
    templates.set(key, t);
  }
  return t;
}

/** One ustar header block; undefined when the name does not fit. */
function ustarHeader(path: string, size: number, mode: number, type: number): Buffer | undefined {
  const split = splitName(path);
  if (!split) return undefined;
  const buf = Buffer.allocUnsafe(BLOCK);
  template(mode, type).copy(buf);
  buf.write(split.name, 0, "latin1");
  encodeSize(size, buf, 124);
  if (split.prefix) buf.write(split.prefix, 345, "latin1");
  buf.write(encodeOct(checksum(buf), 6), 148);
  return buf;
}

/** A pax record, "<length> path=<name>\n", its length counting its own digits. */
function paxRecord(str: string): string {
  const len = Buffer.byteLength(str);
  let digits = Math.floor(Math.log(len) / Math.log(10)) + 1;
  if (len + digits >= Math.pow(10, digits)) digits++;
  return `${len + digits}${str}`;
}

/** Zero bytes that pad `size` bytes of content to a whole block. */
export function tarPadding(size: number): Buffer {
  const rest = size % BLOCK;
  return rest ? TAR_END.subarray(0, BLOCK - rest) : TAR_END.subarray(0, 0);
}

/**
 * What precedes a file's content: one ustar block, or (a name that ustar cannot hold) a pax
 * header block, the pax record padded to a block, and a block named "PaxHeader".
 */
export function tarHeader(file: TarFile): Buffer {
  const plain = ustarHeader(file.path, file.size, file.mode, TYPE_FILE);
  if (plain) return plain;
  const pax = Buffer.from(paxRecord(` path=${file.path}\n`));
  return Buffer.concat([
    ustarHeader("PaxHeader", pax.length, file.mode, TYPE_PAX)!,
    pax,
    tarPadding(pax.length),
    ustarHeader("PaxHeader", file.size, file.mode, TYPE_FILE)!,
  ]);
}

/** The archive's exact length: header, content padded to a block, per file; the end blocks. */
export function tarSize(files: readonly TarFile[]): number {
  let n = TAR_END.length;
  for (const f of files) n += headerSize(f.path) + f.size + tarPadding(f.size).length;
  return n;
}

/** What tarHeader(file).length is, without building it. */
function headerSize(path: string): number {
  if (splitName(path)) return BLOCK;
  const pax = Buffer.byteLength(paxRecord(` path=${path}\n`));
  return 2 * BLOCK + pax + tarPadding(pax).length;
}
