// The toolchain lines the tests run on: a Node.js major and a Pulumi version (the
// `@pulumi/pulumi` SDK and the CLI at the same version). The baseline is the repository's own
// node_modules (`node` and `@pulumi/pulumi` pinned in package.json); every other line is a small
// npm project under test/lines/ that pins its own `node` and `@pulumi/pulumi`.
// Read by scripts/setup.js (what to install), scripts/test.js (what to run where) and, through
// the environment scripts/test.js sets, by the end-to-end harness. Only Node built-ins here.
"use strict";
const fs = require("node:fs");
const path = require("node:path");

const root = path.resolve(__dirname, "..");

/**
 * name:     how logs, reports and IGNITE_TEST_LINES call it
 * dir:      the npm project holding the line's `node` and `@pulumi/pulumi`
 * projects: the vitest projects (vitest.config.mts) that run on it
 * optional: run only when IGNITE_TEST_LINES names it (not by a plain `npm test`)
 * cliMatch: which `pulumi` already on PATH may stand in for building the CLI: "newer" (the
 *           same version or any newer one) or "minor" (the same minor line only: the oldest
 *           supported line must test the oldest CLI)
 */
const LINES = [
  { name: "node22-pulumi3.276", dir: ".", projects: ["unit", "integration", "e2e"], cliMatch: "newer", why: "the baseline: what the project is developed on" },
  { name: "node20-pulumi3.248", dir: "test/lines/node20-pulumi3.248", projects: ["e2e"], cliMatch: "minor", why: "the oldest supported: Node 20 and @pulumi/pulumi 3.248, the last release for Node 20" },
  { name: "node24-pulumi3.276", dir: "test/lines/node24-pulumi3.276", projects: ["unit", "integration", "e2e"], cliMatch: "newer", optional: true, why: "the newest Node" },
];

function readJson(file) {
  return JSON.parse(fs.readFileSync(file, "utf8"));
}

/** The version a package.json pins for `name` (dependencies or devDependencies). */
function pinned(pkg, name) {
  return (pkg.dependencies ?? {})[name] ?? (pkg.devDependencies ?? {})[name];
}

/** A line with its paths and pinned versions resolved. */
function resolveLine(line) {
  const dir = path.resolve(root, line.dir);
  const pkg = readJson(path.join(dir, "package.json"));
  return {
    ...line,
    dir,
    baseline: dir === root,
    nodeVersion: pinned(pkg, "node"),
    pulumiVersion: pinned(pkg, "@pulumi/pulumi"),
    /** The line's Node.js binary (the `node` npm package's). */
    node: path.join(dir, "node_modules", "node", "bin", "node"),
  };
}

/** Every line, resolved. */
function allLines() {
  return LINES.map(resolveLine);
}

/** The lines selected by IGNITE_TEST_LINES (comma-separated names), else every non-optional line. */
function selectedLines(env = process.env) {
  const all = allLines();
  const wanted = (env.IGNITE_TEST_LINES ?? "").split(",").map((s) => s.trim()).filter(Boolean);
  if (wanted.length === 0) return all.filter((l) => !l.optional);
  const unknown = wanted.filter((w) => !all.some((l) => l.name === w));
  if (unknown.length > 0) throw new Error(`IGNITE_TEST_LINES names unknown lines: ${unknown.join(", ")} (known: ${all.map((l) => l.name).join(", ")})`);
  return all.filter((l) => wanted.includes(l.name));
}

module.exports = { root, allLines, selectedLines };
