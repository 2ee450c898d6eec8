// The code set: selecting, hashing and packing what a Draft uploads.
export { collectCodeSet, CodeLimitError, type CodeEntry, type CodeSet, type CollectOptions } from "./collect.js";
export * from "./checks.js";
export { pythonFacts, findPython } from "./python-ast.js";
export { packCodeSet, codeHashOf } from "./pack.js";
export { verifyCodeSet, type VerifyOptions } from "./verify.js";
export { manifestDiff, describeManifestDiff, type ManifestDiff } from "./diff.js";
export { BUILTIN_EXCLUDES, IGNORE_FILE, IgnoreMatcher, compileIgnore, type IgnoreRule } from "./ignore.js";
