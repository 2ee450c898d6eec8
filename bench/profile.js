// Summarizes .cpuprofile files (from bench/cpu-profile.js): per process, where the CPU time
// went by file area (our dist/, @pulumi/pulumi, ts-node/typescript, …), the functions with the
// most self time, and the functions with the most inclusive time (each sample counted once per
// function on its stack).
//
//   node bench/profile.js DIR [--top 25] [--grep REGEX]
//   node bench/profile.js FILE --callers REGEX [--depth 6]   who calls the frames matching REGEX
"use strict";
const fs = require("node:fs");
const path = require("node:path");

/** A file's area, for the coarse table. */
function areaOf(url) {
  if (!url) return "(native/gc/idle)";
  const u = url.replace(/^file:\/\//, "");
  if (u.startsWith("node:")) return "node internals";
  let m = /node_modules\/((?:@[^/]+\/)?[^/]+)\/(.*)$/.exec(u);
  if (m) {
    if (m[1] === "@pulumi/pulumi") {
      const sub = m[2].split("/");
      return `@pulumi/pulumi/${sub.length > 1 ? sub.slice(0, sub[0] === "runtime" ? 2 : 1).join("/") : sub[0]}`;
    }
    return m[1];
  }
  m = /\/dist\/(.*)$/.exec(u);
  if (m) return `pulumi-ignite/${m[1].split("/").slice(0, 2).join("/")}`;
  return path.basename(u);
}

/** For samples under a frame matching `re`: the callers of that frame, `depth` frames up. */
function callersOf(file, re, depth = 6, top = 15) {
  const prof = JSON.parse(fs.readFileSync(file, "utf8"));
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const name = (n) => `${n.callFrame.functionName || "(anonymous)"} ${areaOf(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`;
  const stacks = new Map();
  for (let i = 0; i < prof.samples.length; i++) {
    const dt = (prof.timeDeltas[i] ?? 0) / 1000;
    let id = prof.samples[i];
    // The outermost matching frame, then the frames that called it.
    let hit;
    for (let x = id; x !== undefined; x = parent.get(x)) if (re.test(name(byId.get(x)))) hit = x;
    if (hit === undefined) continue;
    const chain = [];
    for (let x = parent.get(hit); x !== undefined && chain.length < depth; x = parent.get(x)) chain.push(name(byId.get(x)));
    const k = chain.join("  <-  ");
    stacks.set(k, (stacks.get(k) ?? 0) + dt);
  }
  return [...stacks.entries()].sort((a, b) => b[1] - a[1]).slice(0, top).map(([k, v]) => `${v.toFixed(0).padStart(7)} ms  ${k}`).join("\n");
}

function summarize(file, top, grep) {
  const prof = JSON.parse(fs.readFileSync(file, "utf8"));
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const key = (n) => `${n.callFrame.functionName || "(anonymous)"} ${areaOf(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`;
  const self = new Map();
  const incl = new Map();
  const areas = new Map();
  let total = 0;
  let idle = 0;
  for (let i = 0; i < prof.samples.length; i++) {
    const dt = (prof.timeDeltas[i] ?? 0) / 1000;
    const node = byId.get(prof.samples[i]);
    total += dt;
    if (node.callFrame.functionName === "(idle)") {
      idle += dt;
      continue;
    }
    self.set(key(node), (self.get(key(node)) ?? 0) + dt);
    const area = areaOf(node.callFrame.url) || node.callFrame.functionName;
    areas.set(area, (areas.get(area) ?? 0) + dt);
    const seen = new Set();
    for (let id = node.id; id !== undefined; id = parent.get(id)) {
      const k = key(byId.get(id));
      if (seen.has(k)) continue;
      seen.add(k);
      incl.set(k, (incl.get(k) ?? 0) + dt);
    }
  }
  const rows = (m) => [...m.entries()].filter(([k]) => !grep || grep.test(k)).sort((a, b) => b[1] - a[1]).slice(0, top);
  const out = [];
  out.push(`## ${path.basename(file)}: ${total.toFixed(0)} ms sampled, ${(total - idle).toFixed(0)} ms busy`);
  out.push("### busy time by area");
  for (const [k, v] of rows(areas)) out.push(`${v.toFixed(0).padStart(7)} ms  ${k}`);
  out.push("### self time");
  for (const [k, v] of rows(self)) out.push(`${v.toFixed(0).padStart(7)} ms  ${k}`);
  out.push("### inclusive time");
  for (const [k, v] of rows(incl)) out.push(`${v.toFixed(0).padStart(7)} ms  ${k}`);
  return out.join("\n");
}

if (require.main === module) {
  const argv = process.argv.slice(2);
  const opt = (name, dflt) => {
    const i = argv.indexOf(name);
    if (i < 0) return dflt;
    const v = argv[i + 1];
    argv.splice(i, 2);
    return v;
  };
  const top = Number(opt("--top", 25));
  const pattern = opt("--grep");
  const grep = pattern ? new RegExp(pattern) : undefined;
  const callers = opt("--callers");
  for (const target of argv) {
    if (callers) {
      console.log(callersOf(target, new RegExp(callers), Number(opt("--depth", 6)), top));
      continue;
    }
    const files = fs.statSync(target).isDirectory() ? fs.readdirSync(target).filter((f) => f.endsWith(".cpuprofile")).map((f) => path.join(target, f)) : [target];
    for (const f of files) console.log(`${summarize(f, top, grep)}\n`);
  }
}

module.exports = { summarize, callersOf };
