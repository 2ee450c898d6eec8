#!/usr/bin/env node
// `npm test`: runs vitest once per toolchain line (scripts/lines.js), each line on its own
// Node.js binary with its own `@pulumi/pulumi` and Pulumi CLI. The baseline runs every suite;
// the oldest supported line runs the end-to-end suite, the part that depends on Node and
// Pulumi. Lines run one after the other (two cores).
//
//   npm test                                   the default lines
//   npm test -- test/e2e/lifecycle.test.ts     vitest arguments, passed to every line
//   IGNITE_TEST_LINES=node24-pulumi3.276 npm test    chosen lines (comma-separated)
//
// Each line leaves a vitest JSON report in IGNITE_TEST_REPORT_DIR (default: a temp dir); the
// last line printed is the total, "N passed, N failed". `node scripts/test.js --summary DIR`
// prints that total for a directory of reports (CI uses it).
"use strict";
const { spawnSync } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");

const say = (msg) => process.stdout.write(`[test] ${msg}\n`);

/** A vitest JSON report's counts; a suite that failed to load (no test ran) counts as one failure. */
function counts(report) {
  const brokenSuites = (report.testResults ?? []).filter(
    (s) => s.status === "failed" && !(s.assertionResults ?? []).some((a) => a.status === "failed"),
  ).length;
  return {
    passed: report.numPassedTests ?? 0,
    failed: (report.numFailedTests ?? 0) + brokenSuites,
    skipped: (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0),
  };
}

/** Counts per report file in `dir` (one per line; only `names` when given), and their total. */
function summarize(dir, names) {
  const perLine = [];
  const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith(".json")).sort() : [];
  for (const file of files.filter((f) => !names || names.includes(path.basename(f, ".json")))) {
    let c;
    try {
      c = counts(JSON.parse(fs.readFileSync(path.join(dir, file), "utf8")));
    } catch {
      c = { passed: 0, failed: 1, skipped: 0 };
    }
    perLine.push({ line: path.basename(file, ".json"), ...c });
  }
  const total = perLine.reduce((t, c) => ({ passed: t.passed + c.passed, failed: t.failed + c.failed, skipped: t.skipped + c.skipped }), { passed: 0, failed: 0, skipped: 0 });
  return { perLine, total };
}

function minutes(ms) {
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
}

function runLines(args) {
  const { root, selectedLines } = require("./lines.js");
  const lines = selectedLines();
  const reportDir = process.env.IGNITE_TEST_REPORT_DIR || fs.mkdtempSync(path.join(os.tmpdir(), "ignite-test-"));
  fs.mkdirSync(reportDir, { recursive: true });
  const vitest = path.join(root, "node_modules", "vitest", "vitest.mjs");
  let rc = 0;
  const timings = {};
  for (const line of lines) {
    const report = path.join(reportDir, `${line.name}.json`);
    fs.rmSync(report, { force: true });
    say(`${line.name} (Node ${line.nodeVersion}, Pulumi ${line.pulumiVersion}): ${line.projects.join(", ")}`);
    if (!fs.existsSync(line.node)) {
      say(`${line.name}: ${line.node} is missing; run \`node scripts/setup.js npm lines\` (npm test's pre-script does)`);
      fs.writeFileSync(report, JSON.stringify({ numPassedTests: 0, numFailedTests: 1, testResults: [] }));
      rc = 1;
      continue;
    }
    const env = {
      ...process.env,
      // The line's node first: vitest, the language host's `node` and the dynamic provider's.
      PATH: `${path.dirname(line.node)}${path.delimiter}${process.env.PATH}`,
      IGNITE_TEST_LINE: line.name,
      PULUMI_IGNITE_SDK: line.dir,
      PULUMI_IGNITE_CLI_MATCH: line.cliMatch,
    };
    const started = Date.now();
    const r = spawnSync(
      line.node,
      [vitest, "run", ...line.projects.flatMap((p) => ["--project", p]), "--passWithNoTests", "--reporter=default", "--reporter=json", `--outputFile.json=${report}`, ...args],
      { cwd: root, env, stdio: "inherit" },
    );
    timings[line.name] = Date.now() - started;
    if (r.status !== 0) rc = r.status || 1;
    if (!fs.existsSync(report)) {
      // vitest died before writing its report: the line counts as one failure.
      fs.writeFileSync(report, JSON.stringify({ numPassedTests: 0, numFailedTests: 1, testResults: [] }));
      rc ||= 1;
    }
  }
  const { perLine, total } = summarize(reportDir, lines.map((l) => l.name));
  for (const line of lines) {
    const c = perLine.find((p) => p.line === line.name);
    if (c) say(`${c.line}: ${c.passed} passed, ${c.failed} failed, ${c.skipped} skipped (${minutes(timings[c.line])})`);
  }
  console.log(`${total.passed} passed, ${total.failed} failed`);
  return rc;
}

const argv = process.argv.slice(2);
if (argv[0] === "--summary") {
  const { total } = summarize(argv[1]);
  console.log(`${total.passed} passed, ${total.failed} failed`);
} else {
  process.exitCode = runLines(argv);
}
