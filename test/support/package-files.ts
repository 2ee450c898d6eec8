// The package as an install under node_modules holds it at run time: package.json and the
// compiled dist/ (built before the tests run), copied, not linked. A link's real path leaves
// node_modules, and Pulumi then serializes the provider by value instead of as a require of
// its module (docs/resources.md, "How the provider is packaged").
import * as fs from "node:fs";
import * as path from "node:path";

export const repo = path.resolve(__dirname, "..", "..");

/** Copies the package's files into `pkg` (e.g. `<project>/node_modules/pulumi-ignite`), made if missing. */
export function installPackageFiles(pkg: string): void {
  fs.mkdirSync(pkg, { recursive: true });
  fs.copyFileSync(path.join(repo, "package.json"), path.join(pkg, "package.json"));
  fs.cpSync(path.join(repo, "dist"), path.join(pkg, "dist"), { recursive: true });
}
