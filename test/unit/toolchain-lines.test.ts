// The toolchain lines (scripts/lines.js) agree with what the package promises: the baseline is
// what package.json pins, the oldest line is the floor of the peer range and `engines`, every
// line pins exact versions, and the Node.js language host's Go SDK moves with the npm SDK.
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";

const repo = path.resolve(__dirname, "..", "..");
const { allLines } = require(path.join(repo, "scripts", "lines.js")) as {
  allLines(): { name: string; dir: string; baseline: boolean; optional?: boolean; projects: string[]; nodeVersion: string; pulumiVersion: string; cliMatch: string }[];
};
const pkg = JSON.parse(fs.readFileSync(path.join(repo, "package.json"), "utf8"));
const lines = allLines();
const major = (v: string) => Number(v.split(".")[0]);
const EXACT = /^\d+\.\d+\.\d+$/;

describe("toolchain lines", () => {
  it("are named after the Node major and Pulumi minor they pin, exactly", () => {
    for (const l of lines) {
      expect(l.nodeVersion, l.name).toMatch(EXACT);
      expect(l.pulumiVersion, l.name).toMatch(EXACT);
      expect(l.name).toBe(`node${major(l.nodeVersion)}-pulumi${l.pulumiVersion.split(".").slice(0, 2).join(".")}`);
    }
  });

  it("the baseline is the repository's own pins: Node 22, @types/node of the same major, every suite", () => {
    const [baseline, ...others] = lines;
    expect(baseline!.baseline).toBe(true);
    expect(others.every((l) => !l.baseline)).toBe(true);
    expect(major(baseline!.nodeVersion)).toBe(22);
    expect(major(pkg.devDependencies["@types/node"])).toBe(major(baseline!.nodeVersion));
    expect(baseline!.projects).toEqual(["unit", "integration", "e2e"]);
  });

  it("the oldest line is the floor of the peer range and of engines, run by default, with a CLI of its own minor line", () => {
    const oldest = lines.reduce((a, b) => (major(b.nodeVersion) < major(a.nodeVersion) ? b : a));
    expect(pkg.peerDependencies["@pulumi/pulumi"]).toBe(`^${oldest.pulumiVersion}`);
    expect(pkg.engines.node).toBe(`>=${major(oldest.nodeVersion)}`);
    expect(oldest.optional).toBeFalsy();
    expect(oldest.projects).toContain("e2e");
    expect(oldest.cliMatch).toBe("minor");
  });

  it("the Node.js language host requires the Go SDK at the npm SDK's version", () => {
    const gomod = fs.readFileSync(path.join(repo, "tools", "pulumi-language-nodejs", "go.mod"), "utf8");
    expect(gomod).toMatch(new RegExp(`^\\s*github\\.com/pulumi/pulumi/sdk/v3 v${pkg.devDependencies["@pulumi/pulumi"].replace(/\./g, "\\.")}$`, "m"));
  });

  it("every line allows the install script of the `node` package, which fetches its binary", () => {
    for (const l of lines) {
      const linePkg = JSON.parse(fs.readFileSync(path.join(l.dir, "package.json"), "utf8"));
      expect(linePkg.allowScripts?.node, l.name).toBe(true);
    }
  });
});
