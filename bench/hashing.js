// Benchmark of code-set hashing (issue 11; not a test): the code hash and per-file manifest of
// a 10,000-file / 180 MB directory, against `sha256sum` over the same files, with the peak
// memory of the hashing process. Run for the preview (hash only) and for the upload path
// (`keepBytes`: the archive is kept for SaveDraft).
//
//   node bench/hashing.js [--rounds R] [--files N] [--mb M] [--before PACKAGE_DIR]
// Each round runs sha256sum and ours (each in a fresh process, the page cache warm for both),
// alternating which goes first; the report takes medians.
"use strict";
const { execFileSync, spawnSync } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");

const repo = path.resolve(__dirname, "..");

/** A deterministic pseudo-random generator (mulberry32), so every run hashes the same tree. */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Writes `files` files totalling about `bytes` bytes under `dir`: 100 files per directory, sizes
 * spread like a source tree with vendored data (most small, a few of several MB). Returns the
 * sorted list of relative paths.
 */
function makeTree(dir, { files = 10_000, bytes = 180e6, seed = 11 } = {}) {
  const rand = rng(seed);
  // Log-uniform weights between 200 B and 4 MB, scaled to the total.
  const weights = Array.from({ length: files }, () => Math.exp(Math.log(200) + rand() * (Math.log(4e6) - Math.log(200))));
  const scale = bytes / weights.reduce((a, b) => a + b, 0);
  const block = Buffer.alloc(1 << 20);
  for (let i = 0; i < block.length; i++) block[i] = (rand() * 256) | 0;
  const rels = [];
  for (let i = 0; i < files; i++) {
    const rel = `pkg${String(Math.floor(i / 100)).padStart(3, "0")}/file${String(i % 100).padStart(2, "0")}.dat`;
    const size = Math.max(1, Math.round(weights[i] * scale));
    const file = path.join(dir, rel);
    if (i % 100 === 0) fs.mkdirSync(path.dirname(file), { recursive: true });
    // Distinct content per file: a different offset into the random block, the index up front.
    const fd = fs.openSync(file, "w");
    let left = size;
    let off = (i * 7919) % block.length;
    const head = Buffer.from(`${i}\n`);
    fs.writeSync(fd, head.subarray(0, Math.min(head.length, left)));
    left -= Math.min(head.length, left);
    while (left > 0) {
      const n = Math.min(left, block.length - off);
      fs.writeSync(fd, block, off, n);
      left -= n;
      off = 0;
    }
    fs.closeSync(fd);
    rels.push(rel);
  }
  return rels.sort();
}

/** Wall time (ms) of sha256sum over the files in `listFile` (NUL-separated), via xargs. */
function timeSha256sum(dir, listFile) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync("sh", ["-c", `xargs -0 -a "${listFile}" sha256sum > /dev/null`], { cwd: dir, stdio: ["ignore", "ignore", "inherit"] });
  if (r.status !== 0) throw new Error(`sha256sum exited with ${r.status}`);
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

/**
 * collectCodeSet in a fresh Node process: the call's wall time, the process's resident set
 * before the call (modules loaded) and its peak over the whole run, in MB.
 */
function timeOurs(dir, keepBytes, pkg = repo) {
  const script = `
    const { collectCodeSet } = require(${JSON.stringify(path.join(pkg, "dist", "code", "index.js"))});
    const before = process.memoryUsage().rss;
    const t0 = process.hrtime.bigint();
    collectCodeSet({ path: ${JSON.stringify(dir)}, limits: false, keepBytes: ${keepBytes} }).then((set) => {
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      process.stdout.write(JSON.stringify({ ms, before: before / 2 ** 20, peak: process.resourceUsage().maxRSS / 1024, codeHash: set.codeHash, files: set.entries.length, archive: set.bytes ? set.bytes.length : undefined }));
    });`;
  const out = execFileSync(process.execPath, ["-e", script], { encoding: "utf8", maxBuffer: 1 << 20 });
  return JSON.parse(out);
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * `before`: another checkout of the package (built), hashed alongside for before/after rows.
 */
async function hashingBench({ rounds = 5, files = 10_000, mb = 180, before, log = (l) => process.stderr.write(`[bench] ${l}\n`) } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ignite-bench-hash-"));
  try {
    log(`writing a ${files}-file / ${mb} MB tree…`);
    const rels = makeTree(dir, { files, bytes: mb * 1e6 });
    const listFile = path.join(os.tmpdir(), `${path.basename(dir)}.list`);
    fs.writeFileSync(listFile, rels.join("\0"));
    const total = rels.reduce((n, r) => n + fs.statSync(path.join(dir, r)).size, 0);
    // Warm the page cache for both.
    timeSha256sum(dir, listFile);
    timeOurs(dir, false);
    const sums = [];
    const preview = [];
    const upload = [];
    const beforePreview = [];
    const beforeUpload = [];
    for (let r = 0; r < rounds; r++) {
      const steps = [() => sums.push(timeSha256sum(dir, listFile)), () => preview.push(timeOurs(dir, false)), () => upload.push(timeOurs(dir, true))];
      if (before) steps.push(() => beforePreview.push(timeOurs(dir, false, before)), () => beforeUpload.push(timeOurs(dir, true, before)));
      // Rotate the order, so no measurement always follows another.
      for (let i = 0; i < steps.length; i++) steps[(i + r) % steps.length]();
      const at = (x) => `${x.at(-1).ms.toFixed(0)} ms (peak ${x.at(-1).peak.toFixed(0)} MB)`;
      log(`round ${r + 1}/${rounds}: sha256sum ${sums.at(-1).toFixed(0)} ms, ours ${at(preview)}, with the archive kept ${at(upload)}${before ? `; before: ${at(beforePreview)}, kept ${at(beforeUpload)}` : ""}`);
    }
    fs.rmSync(listFile, { force: true });
    const codeHashes = new Set([...preview, ...upload, ...beforePreview, ...beforeUpload].map((x) => x.codeHash));
    if (codeHashes.size !== 1) throw new Error(`the runs disagree on the code hash: ${[...codeHashes].join(", ")}`);
    return {
      files: rels.length,
      bytes: total,
      rounds,
      sha256sum: sums,
      preview,
      upload,
      ...(before ? { before: { preview: beforePreview, upload: beforeUpload } } : {}),
      sha256sumVersion: execFileSync("sha256sum", ["--version"], { encoding: "utf8" }).split("\n")[0],
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

module.exports = { hashingBench, makeTree, median };

if (require.main === module) {
  const argv = process.argv.slice(2);
  const opt = (name, dflt) => {
    const i = argv.indexOf(name);
    return i < 0 ? dflt : Number(argv[i + 1]);
  };
  const b = argv.indexOf("--before");
  hashingBench({ rounds: opt("--rounds", 5), files: opt("--files", 10_000), mb: opt("--mb", 180), before: b < 0 ? undefined : path.resolve(argv[b + 1]) })
    .then((r) => {
      const s = median(r.sha256sum);
      const p = median(r.preview.map((x) => x.ms));
      const u = median(r.upload.map((x) => x.ms));
      console.log(`${r.files} files, ${(r.bytes / 1e6).toFixed(1)} MB: sha256sum ${s.toFixed(0)} ms; ours ${p.toFixed(0)} ms (${(s / p).toFixed(2)}× its throughput), peak ${median(r.preview.map((x) => x.peak)).toFixed(0)} MB; keeping the archive ${u.toFixed(0)} ms, peak ${median(r.upload.map((x) => x.peak)).toFixed(0)} MB`);
    })
    .catch((err) => {
      console.error(err);
      process.exit(1);
    });
}
