// Every message a person reads from pulumi-ignite — check failures, errors, hints and the notes
// shown during preview and up, from the resources, the client and the program's code checks —
// built here, so each can be read side by side, tested (test/unit/messages.test.ts) and kept
// true: a message names the property or setting it is about and what to do, every setting it
// names exists (src/client/settings.ts), and it never tells anyone to run again what would fail
// the same way again.
import type { CodeFinding, Contributor, LimitFinding } from "./code/checks.js";
import { formatBytes, formatCount, MAX_REQUEST_BYTES } from "./platform-limits.js";
import { DEFAULT_TIMEOUT_SECS, SETTINGS, type SettingKey, type SettingSource, type SettingSources } from "./client/settings.js";

const q = (v: unknown) => JSON.stringify(v);
const list = (items: readonly string[], max = 10) =>
  items.length > max ? `${items.slice(0, max).join(", ")} and ${items.length - max} more` : items.join(", ");

// ---- settings ------------------------------------------------------------------------------

/** "`ignite:token` / DODIL_TOKEN": both ways to set a setting. */
export function settingNames(key: SettingKey): string {
  return [`\`${key}\``, ...(SETTINGS[key]?.env ?? [])].join(" / ");
}

/** Where the value in use came from: "stack config `ignite:token`", "environment variable DODIL_TOKEN", "the default". */
export function settingOrigin(source: SettingSource | undefined, key: SettingKey): string {
  if (source?.from === "config") return `stack config \`${key}\``;
  if (source?.from === "env") return `environment variable ${source.env}`;
  if (source?.from === "default") return `the default (\`${key}\` is not set)`;
  if (!(key in SETTINGS)) return `the client option \`${key}\``;
  return settingNames(key);
}

/** How to set it: "pulumi config set --secret ignite:token <token> (or DODIL_TOKEN)", or, when it came from the environment, that variable first. */
export function howToSet(key: SettingKey, source?: SettingSource): string {
  const s = SETTINGS[key];
  const cmd = `\`pulumi config set${s.secret ? " --secret" : ""} ${key} ${s.example}\``;
  if (source?.from === "env") return `set ${source.env} to a correct value (or ${cmd}, which takes precedence)`;
  return `${cmd} (or ${s.env.join(" / ")})`;
}

export const settings = {
  invalidBool: (key: SettingKey, source: SettingSource | undefined, value: string) =>
    `ignite: ${key} must be true or false; got ${q(value)} from ${settingOrigin(source, key)}. Set it to true or false (also 1/0, yes/no, on/off), or unset it.`,
  invalidProtocol: (key: SettingKey, source: SettingSource | undefined, value: string) =>
    `ignite: ${key} must be "grpc" or "http"; got ${q(value)} from ${settingOrigin(source, key)}. Use grpc (the default, ${SETTINGS["ignite:endpoint"].example}) or http (the HTTP/JSON gateway, e.g. https://api.dev.dodil.io).`,
  invalidTimeout: (key: SettingKey, source: SettingSource | undefined, value: string) =>
    `ignite: ${key} must be a number of seconds greater than 0 (at most 3600); got ${q(value)} from ${settingOrigin(source, key)}. The default is ${DEFAULT_TIMEOUT_SECS}.`,
  noCredentials: (endpoint: string) =>
    `ignite: no credentials for ${endpoint}: set a token with ${howToSet("ignite:token")}, ` +
    `or a service account (\`ignite:clientId\` + \`ignite:clientSecret\`, or DODIL_CLIENT_ID + DODIL_CLIENT_SECRET)`,
  clientSecretMissing: (clientId: string, idSource: SettingSource | undefined) =>
    `ignite: ignite:clientId is set (${q(clientId)}, from ${settingOrigin(idSource, "ignite:clientId")}) but ignite:clientSecret is not: ${howToSet("ignite:clientSecret")}`,
  clientIdMissing: (secretSource: SettingSource | undefined) =>
    `ignite: ignite:clientSecret is set (from ${settingOrigin(secretSource, "ignite:clientSecret")}) but ignite:clientId is not: ${howToSet("ignite:clientId")}`,
};

// ---- the endpoint --------------------------------------------------------------------------

/** `origin` says where the endpoint came from ("stack config `ignite:endpoint`"), when known. */
export const endpoint = {
  empty: () => `ignite: the endpoint is empty; set ignite:endpoint (e.g. "${SETTINGS["ignite:endpoint"].example}")`,
  badScheme: (raw: string, scheme: string, origin?: string) =>
    `ignite: endpoint "${raw}"${origin ? ` (from ${origin})` : ""} has scheme "${scheme}://"; use "host:port", "https://host:port" or "http://host:port"`,
  invalid: (raw: string, origin?: string) => `ignite: endpoint "${raw}"${origin ? ` (from ${origin})` : ""} is not a valid "host:port" or URL`,
  credentialsInUrl: (origin?: string) =>
    `ignite: the endpoint${origin ? ` (from ${origin})` : ""} must not contain credentials (they would end up in logs); remove them and set \`ignite:token\` (or DODIL_TOKEN) instead`,
  noHost: (raw: string, origin?: string) => `ignite: endpoint "${raw}"${origin ? ` (from ${origin})` : ""} has no host`,
  plaintextRemote: (raw: string, origin?: string) =>
    `ignite: endpoint "${raw}"${origin ? ` (from ${origin})` : ""} is plaintext http:// to a non-loopback host, which would send the ` +
    `token unencrypted. Use https:// (or "host:port" for TLS), or set ignite:insecure to true ` +
    `(DODIL_IGNITE_INSECURE=true, option \`insecure: true\`) if this is really intended.`,
};

// ---- failed calls ----------------------------------------------------------------------------

/** How a call failed below the RPC layer, when it did (see client/errors.ts). */
export type TransportFailure =
  | "refused"
  | "dns"
  | "closed"
  | "tls-untrusted"
  | "tls-to-plaintext"
  | "not-http2"
  | "not-http1"
  | "not-ignite"
  | "too-large";

export interface CallContext {
  method: string;
  appId?: string;
  endpoint?: string;
  timeoutMs?: number;
  sources?: SettingSources;
}

const ep = (c: CallContext) => c.endpoint ?? "the endpoint";
const secs = (ms: number | undefined) => (ms === undefined ? "the" : `${+(ms / 1000).toFixed(3)} s`);

export const call = {
  /** "ignite: SaveDraft acme-corp/greet failed: <reason> (CODE). <hint>" */
  failed: (method: string, appId: string | undefined, reason: string, codeName: string, hint: string) =>
    `ignite: ${appId ? `${method} ${appId}` : method} failed: ${reason} (${codeName}).${hint ? ` ${hint}` : ""}`,

  // What went wrong, below the RPC layer (replaces the transport's own words).
  reason: {
    refused: (c: CallContext, detail: string) => `${ep(c)} refused the connection (${detail})`,
    dns: (c: CallContext, detail: string) => `the host of ${ep(c)} cannot be resolved (${detail})`,
    closed: (c: CallContext, detail: string) => `the connection to ${ep(c)} was closed before it answered (${detail})`,
    tlsUntrusted: (c: CallContext, code: string, detail: string) => `the TLS certificate of ${ep(c)} is not trusted (${code}: ${detail})`,
    tlsToPlaintext: (c: CallContext, detail: string) => `TLS was used, but ${ep(c)} answered in plaintext (${detail})`,
    notHttp2: (c: CallContext, detail: string) => `${ep(c)} does not speak HTTP/2, which gRPC needs (${detail})`,
    notHttp1: (c: CallContext, detail: string) => `${ep(c)} did not answer HTTP/1.1, which the HTTP/JSON gateway protocol needs (${detail})`,
    notIgnite: (c: CallContext, detail: string) => `${ep(c)} answered, but not as an Ignite ComputeService (${detail})`,
    tooLarge: (bytes: number | undefined, limit: number, detail: string) =>
      `the request${bytes ? ` is ${formatBytes(bytes)},` : " is"} over the platform's limit of ${formatBytes(limit)} per request (${detail})`,
  },

  /** What to do, per code or transport failure. */
  hint(code: string, reason: string, c: CallContext, transport?: TransportFailure): string {
    const app = c.appId ?? "the app";
    const endpointSetting = settingOrigin(c.sources?.["ignite:endpoint"], "ignite:endpoint");
    switch (transport) {
      case "refused":
        return `Nothing accepts connections there: check the host and port of ${endpointSetting}, and that the service is up.`;
      case "dns":
        return `Check the host name in ${endpointSetting}, and the network's DNS.`;
      case "closed":
        return (
          `The call may or may not have taken effect. If this happens on every call, ${ep(c)} may require TLS (use https://… or "host:port"), ` +
          `or speak another protocol (\`ignite:protocol\`); otherwise check the network.`
        );
      case "tls-untrusted":
        return (
          "If the endpoint's certificate comes from a private CA, trust that CA with NODE_EXTRA_CA_CERTS=/path/to/ca.pem " +
          `in the environment pulumi runs in; otherwise check that ${endpointSetting} names the host the certificate was issued for.`
        );
      case "tls-to-plaintext":
        return `If ${ep(c)} really serves plaintext (a local Ignite), write it as http://host:port; plaintext to a non-loopback host also needs \`ignite:insecure\` true. Otherwise check the port in ${endpointSetting}.`;
      case "not-http2":
        return `If it is the HTTP/JSON gateway (e.g. https://api.dev.dodil.io), set \`ignite:protocol\` to http; otherwise point ${endpointSetting} at the gRPC endpoint (e.g. ${SETTINGS["ignite:endpoint"].example}).`;
      case "not-http1":
        return `If it is the gRPC endpoint (e.g. ${SETTINGS["ignite:endpoint"].example}), set \`ignite:protocol\` to grpc (the default); otherwise point ${endpointSetting} at the HTTP/JSON gateway (e.g. https://api.dev.dodil.io).`;
      case "not-ignite":
        return `Check that ${endpointSetting} points at Ignite, and \`ignite:protocol\` (grpc for rpc.… endpoints, http for the api.… gateway).`;
      case "too-large":
        return "A size limit refuses the same request every time: make it smaller (for a Draft, leave files out with `exclude` or .igniteignore).";
    }
    switch (code) {
      case "UNAUTHENTICATED":
        return `Check ${settingNames("ignite:token")} (it may have expired), or the service account (\`ignite:clientId\` / \`ignite:clientSecret\` / \`ignite:tokenUrl\`).`;
      case "PERMISSION_DENIED":
        return `The token's organization does not own ${app}: check ${settingNames("ignite:organization")} against the organization the token was issued for.`;
      case "NOT_FOUND":
        return `Check the organization and name; if ${app} was deleted outside Pulumi, run \`pulumi refresh\`.`;
      case "ALREADY_EXISTS":
        return `${app} already exists in this organization: choose another name, or adopt the existing app.`;
      case "FAILED_PRECONDITION":
        if (/compil/i.test(reason)) return "Run CompileDraft and wait for it to succeed before publishing.";
        if (/draft|code/i.test(reason)) return "Save code into the draft (SaveDraft) first.";
        return `${app} is not in the state this call needs; see the message.`;
      case "INVALID_ARGUMENT":
      case "OUT_OF_RANGE":
        return "Fix the value named in the message.";
      case "UNAVAILABLE":
        return `${ep(c)} is unreachable or overloaded: check ${endpointSetting} and the network; calls that are safe to repeat were retried.`;
      case "DEADLINE_EXCEEDED":
        return `No answer within ${secs(c.timeoutMs)} from ${ep(c)}: check the endpoint and the network, or raise the per-call deadline ${settingNames("ignite:timeoutSecs")} (seconds, default ${DEFAULT_TIMEOUT_SECS}).`;
      case "RESOURCE_EXHAUSTED":
        return /larger than|exceeds the limit|too large|entries \(limit|\b(bytes|KiB|MiB|GiB)\b/i.test(reason)
          ? "A size limit refuses the same request every time: make it smaller (for a Draft, leave files out with `exclude` or .igniteignore)."
          : "A quota was hit: wait for it to recover before trying again, or ask for a higher quota.";
      case "ABORTED":
        return `Another change to ${app} was in progress at the same time: wait for it to finish, then try again.`;
      case "UNIMPLEMENTED":
        return `${ep(c)} does not implement ${c.method}: check that ${endpointSetting} points at an Ignite ComputeService.`;
      case "CANCELED":
        return "";
      default:
        return `${ep(c)} failed while handling ${c.method}; if it persists, report it with this message.`;
    }
  },

  defaultReason: {
    UNAVAILABLE: "the endpoint is unavailable",
    DEADLINE_EXCEEDED: "no answer before the deadline",
    UNAUTHENTICATED: "the request is not authenticated",
    PERMISSION_DENIED: "permission denied",
    NOT_FOUND: "not found",
    ALREADY_EXISTS: "already exists",
    CANCELED: "the call was canceled",
  } as Record<string, string>,

  // Compile (waitForCompile)
  compileFailed: (error: string) => `the compile failed${error ? `: ${error}` : ""}`,
  compileFailedHint: (tail: readonly string[]) => `Fix the build and save the draft again. Last ${tail.length} compile log lines:\n${tail.map((l) => `  | ${l}`).join("\n")}`,
  noCompileRunning: (state: string) => `no compile is running (compile state ${state})`,
  noCompileRunningHint: () => "Call CompileDraft first.",
  compileTimedOut: () => "the compile did not finish before the deadline",
  compileTimedOutHint: () => "It may still finish on the platform: follow it with `dodil ignite draft compile-logs`, then run `pulumi up` again (a compiled draft is not compiled again).",
};

// ---- the service-account token exchange ------------------------------------------------------

export const tokenExchange = {
  subject: (clientId: string, tokenUrl: string) => `for client "${clientId}" at ${tokenUrl}`,
  unreachable: (detail: string) => `the token endpoint is unreachable: ${detail}`,
  refused: (status: number, detail: string) => `HTTP ${status}${detail ? ` ${detail}` : ""}`,
  noAccessToken: () => "the response has no access_token",
  unreachableHint: (sources?: SettingSources) => `Check ${settingOrigin(sources?.["ignite:tokenUrl"], "ignite:tokenUrl")} (DODIL_TOKEN_URL) and the network.`,
  refusedHint: (sources?: SettingSources) =>
    `Check ${settingOrigin(sources?.["ignite:clientId"], "ignite:clientId")} and ${settingOrigin(sources?.["ignite:clientSecret"], "ignite:clientSecret")} ` +
    `(${settingNames("ignite:clientId")}, ${settingNames("ignite:clientSecret")}).`,
};

// ---- the connection check (once per provider process, at preview) ----------------------------

export interface ConnectionFacts {
  endpoint: string;
  protocol: "grpc" | "http";
  organization: string;
  /** Where the organization came from: "the App's `organization`", "stack config `ignite:organization`", … */
  organizationOrigin: string;
  auth: { kind: "token" } | { kind: "serviceAccount"; clientId: string; tokenUrl: string };
  timeoutMs: number;
  sources: SettingSources;
}

const viaEndpoint = (f: ConnectionFacts) => `${f.endpoint} (${f.protocol === "http" ? "HTTP/JSON gateway" : "gRPC"}, from ${settingOrigin(f.sources["ignite:endpoint"], "ignite:endpoint")})`;

export const connection = {
  /** Prefix of every connection-check failure: it is about settings, not about one resource. */
  failed: (what: string, todo: string) => `ignite: the connection check failed: ${what}. ${todo} (Checked once per preview with a read-only ListApps call; nothing was changed.)`,
  tokenRejected: (f: ConnectionFacts, reason: string) =>
    connection.failed(
      `${viaEndpoint(f)} rejected the token from ${settingOrigin(f.sources["ignite:token"], "ignite:token")}: ${reason}`,
      `The token is wrong, expired, or for another environment: ${howToSet("ignite:token", f.sources["ignite:token"])}.`,
    ),
  serviceAccountRefused: (f: ConnectionFacts & { auth: { kind: "serviceAccount" } }, reason: string) =>
    connection.failed(
      `the token endpoint ${f.auth.tokenUrl} refused client "${f.auth.clientId}" (from ${settingOrigin(f.sources["ignite:clientId"], "ignite:clientId")}): ${reason}`,
      `The client secret (from ${settingOrigin(f.sources["ignite:clientSecret"], "ignite:clientSecret")}) may be wrong or rotated: ${howToSet("ignite:clientSecret", f.sources["ignite:clientSecret"])}; check the client id too.`,
    ),
  tokenUrlUnreachable: (f: ConnectionFacts & { auth: { kind: "serviceAccount" } }, reason: string) =>
    connection.failed(
      `the token endpoint ${f.auth.tokenUrl} (from ${settingOrigin(f.sources["ignite:tokenUrl"], "ignite:tokenUrl")}) could not be reached: ${reason}`,
      `Check ${settingNames("ignite:tokenUrl")} and the network.`,
    ),
  serviceAccountTokenRejected: (f: ConnectionFacts & { auth: { kind: "serviceAccount" } }, reason: string) =>
    connection.failed(
      `${viaEndpoint(f)} rejected the access token that ${f.auth.tokenUrl} issued to client "${f.auth.clientId}": ${reason}`,
      `The token endpoint (${settingNames("ignite:tokenUrl")}) and the endpoint (${settingNames("ignite:endpoint")}) may belong to different environments.`,
    ),
  permissionDenied: (f: ConnectionFacts, reason: string) =>
    connection.failed(
      `the credentials (from ${f.auth.kind === "token" ? settingOrigin(f.sources["ignite:token"], "ignite:token") : settingOrigin(f.sources["ignite:clientId"], "ignite:clientId")}) may not access organization "${f.organization}" (from ${f.organizationOrigin}): ${reason}`,
      `Use the organization the credentials were issued for (${settingNames("ignite:organization")}, or the App's \`organization\`), or credentials of "${f.organization}".`,
    ),
  unreachable: (f: ConnectionFacts, reason: string, hint: string) => connection.failed(`${viaEndpoint(f)} could not be used: ${reason}`, hint),
  timedOut: (f: ConnectionFacts) =>
    connection.failed(
      `${viaEndpoint(f)} did not answer within ${secs(f.timeoutMs)} (the per-call deadline, from ${settingOrigin(f.sources["ignite:timeoutSecs"], "ignite:timeoutSecs")})`,
      `Check the host and port of ${settingNames("ignite:endpoint")} and the network (a firewall that drops packets looks like this); if the endpoint is just slow, raise ${settingNames("ignite:timeoutSecs")}.`,
    ),
  other: (f: ConnectionFacts, message: string) => connection.failed(`ListApps at ${viaEndpoint(f)} failed: ${message}`, "See the message above."),
  setting: (message: string) => `${message.replace(/^ignite: /, "ignite: the connection settings are not usable: ")} (Checked once per preview; nothing was called.)`,
};

// ---- code (the program's checks) -------------------------------------------------------------

const files = (n: number) => `${formatCount(n)} file${n === 1 ? "" : "s"}`;
const describeContributor = (c: Contributor, by: "bytes" | "files") =>
  c.path.endsWith("/")
    ? `${c.path} (${by === "files" ? `${files(c.files)}, ${formatBytes(c.bytes)}` : `${formatBytes(c.bytes)} in ${files(c.files)}`})`
    : `${c.path} (${formatBytes(c.bytes)})`;

export const code = {
  // collecting
  missing: (source: string, root: string, cwd: string) =>
    `code ${source}: no such file or directory (resolved to ${root}); set \`code\` to a file or a directory relative to ${cwd}`,
  notFileOrDirectory: (source: string) => `code ${source}: not a regular file or directory`,
  nothingSelected: (source: string, root: string, include: readonly string[], exclude: readonly string[], ignoreFile: string) =>
    `code ${source}: no files selected (include ${q(include)}, exclude ${q(exclude)}, ${ignoreFile} and the built-in excludes); add files to ${root} or widen \`include\``,
  brokenSymlink: (source: string, rel: string, ignoreFile: string) => `code ${source}: ${rel} is a broken symlink; remove it or add it to ${ignoreFile}`,
  symlinkOutside: (source: string, rel: string, target: string, ignoreFile: string) =>
    `code ${source}: ${rel} is a symlink to ${target}, outside the code directory; a link inside the code may only point within it ` +
    `(copy the file in, point \`code\` at a directory that contains both, or add ${rel} to ${ignoreFile} / exclude)`,
  changedWhilePacking: (path: string, detail: string) => `${path} changed while packing (${detail}); it is being written to: wait until it is done, then run again`,
  changedAfterPreview: (source: string, described: string, expected: string) =>
    `files under ${source} changed after preview: ${described || "file modes or the archive format changed (the content is the same)"}; expected ${expected}; run pulumi up again to preview and deploy the files as they are now`,

  // the Draft's `code` property
  empty: () => "`code` is empty; set it to the file or directory holding the app's code, e.g. \"./app\"",
  required: () => "`code` is required: the file or directory holding the app's code",
  unusable: (given: string, abs: string, detail: string) => `\`code\` "${given}" (${abs}) cannot be used: ${detail}`,
  noHash: () => "no code hash was computed for `code`; create Drafts with `new ignite.Draft(...)`, which hashes the code in the program",
  noPython: () =>
    "ignite: no Python 3 (python3 or python) on PATH: handler.py is checked for a top-level `handler` by a plain text scan, and syntax errors are not found before deploying. Put Python 3.8+ on PATH to check them at preview.",
  /** A shape check failed: handler.py, Cargo.toml, src/lib.rs… */
  finding: (given: string, runtime: string, f: CodeFinding) =>
    `\`code\` "${given}" (${runtime}): ${f.file}: ${f.problem}; ${f.fix}.`,
  overLimit: (given: string, f: LimitFinding) => {
    const largest = f.largest.map((c) => describeContributor(c, f.limit)).join(", ");
    const what =
      f.limit === "files"
        ? `has ${formatCount(f.actual)} files, over the platform's limit of ${formatCount(f.max)} files per draft`
        : f.actual > MAX_REQUEST_BYTES
          ? `is ${formatBytes(f.actual)} to upload, over the platform's limit of ${formatBytes(MAX_REQUEST_BYTES)} per request`
          : `is ${formatBytes(f.actual)} to upload, which with the rest of the request is over the platform's limit of ${formatBytes(MAX_REQUEST_BYTES)} per request (the code may take up to ${formatCount(f.max)} bytes)`;
    return `\`code\` "${given}" ${what}; the largest parts are ${largest}. Leave out what the app does not need with \`exclude\` or an .igniteignore file (see \`include\` too). A limit refuses the same upload every time.`;
  },
};

// ---- App ---------------------------------------------------------------------------------------

export const app = {
  scalingNotObject: () => "`scaling` must be an object like { reservedCapacity: 0, maxReplicas: 5 }",
  scalingNotWhole: (key: string, v: unknown) => `\`scaling.${key}\` must be a whole number ≥ 0; got ${q(v)}`,
  scaledownTooShort: (dflt: number, min: number, got: number) =>
    `\`scaling.scaledownPeriodSecs\` must be 0 (the default, ${dflt}) or at least ${min} (the autoscaler's minimum); got ${got}`,
  scalingUnknownField: (key: string, fields: readonly string[]) => `unknown field \`scaling.${key}\`; the fields are ${fields.join(", ")}`,
  reservedAboveMax: (reserved: number, max: number, cap?: number) =>
    `\`scaling.reservedCapacity\` (${reserved}) is more than \`scaling.maxReplicas\` (${max}${cap ? ` (clamped to the platform cap of ${cap})` : ""}); lower reservedCapacity or raise maxReplicas`,
  badName: (problem: string) => `\`name\` ${problem}; set \`name\` to something like "greet"`,
  noOrganization: () => "no organization: set `organization` on the App, or `pulumi config set ignite:organization <org>` (or DODIL_ORG)",
  badOrganization: (problem: string) => `\`organization\` ${problem}`,
  descriptionNotString: () => "`description` must be a string",
  envNotMap: () => "`env` must be a map of names to string values",
  envBadName: (k: string) => `\`env\` name "${k}" is not a valid variable name (letters, digits and "_", not starting with a digit)`,
  envNotString: (k: string, type: string) => `\`env.${k}\` must be a string; got ${type} (use String(...))`,
  portsEmpty: () => "`ports` must be a non-empty list of port numbers, e.g. [80]",
  badPort: (i: number, p: unknown) => `\`ports[${i}]\` must be a port number 1-65535; got ${q(p)}`,
  duplicatePort: () => "`ports` lists a port more than once",
  notBoolean: (property: string) => `\`${property}\` must be true or false`,
  createFirstReplace: () =>
    "the resource option `deleteBeforeReplace: false` cannot work for an App: an app's id is its organization and name, so a replacement " +
    "with the same id (a `runtime` change, `pulumi up --replace`, `replaceOnChanges`) would find the old app in its way. " +
    "Remove the option: an App is always replaced by deleting the old app first.",

  /** The name is taken by an app this stack does not manage: said at preview, before anything is created. */
  nameTaken: (appId: string, name: string, live: { latestVersion: number; activeVersion: number; description: string }) =>
    `app ${appId} already exists on the platform, and this stack does not manage it` +
    `${live.latestVersion > 0 ? ` (it has ${live.latestVersion} published version${live.latestVersion === 1 ? "" : "s"}; version ${live.activeVersion} is active)` : " (it has no published version)"}` +
    `${live.description ? `, described as ${q(live.description)}` : ""}. It may belong to another stack or team: ` +
    `this stack creating it would fail, and adopting it would let this stack change its config and code, and delete it on \`pulumi destroy\`. ` +
    `Choose one: give this App another \`name\` (currently "${name}"; when another stack of this program owns it, give each stack its own \`ignite:namePrefix\`, e.g. \`pulumi config set ignite:namePrefix staging-\`); or, if this stack should own the app from now on and nothing else manages it, ` +
    `set \`adopt: true\` on the App (its config is then updated to match); or, if it is a leftover nobody needs, delete it on the platform (DeleteApp) and run the preview again.`,
  /** At `up`: CreateApp said ALREADY_EXISTS although the preview did not see the app. */
  createConflict: (appId: string) =>
    `ignite: app ${appId} already exists on the platform: it was created after the preview, by something other than this update. ` +
    `It may belong to another stack or team: choose another \`name\`; or, if this stack should own it and nothing else manages it, set \`adopt: true\` on the App.`,
  adoptMissing: (appId: string) => `ignite: app ${appId} does not exist, so it cannot be adopted; remove \`adopt: true\` to create it`,
  adoptRuntime: (appId: string, live: string | undefined, wanted: string) =>
    `ignite: app ${appId} exists with runtime "${live}", but \`runtime\` is "${wanted}"; set \`runtime: "${live}"\` to adopt it (an app's runtime cannot change in place)`,
  adopting: (how: "adopting" | "taking over the empty, identical", appId: string, drift: readonly string[]) =>
    `ignite: ${how} app ${appId}${drift.length ? `; updating ${drift.join(", ")}` : ""}`,
  deletedBeforeUpdate: (appId: string) => `ignite: app ${appId} was deleted outside Pulumi after the preview; run \`pulumi up\` again to create it again`,
  noteGone: (appId: string) => `ignite: app ${appId} no longer exists on the platform (deleted outside Pulumi); it will be created again`,
  noteRuntime: (appId: string, live: string | undefined, wanted: string) =>
    `ignite: app ${appId} has runtime "${live}" on the platform; it will be replaced to get runtime "${wanted}"`,
  /** `details`: "scaling.maxReplicas 4 → 2", "env (API_KEY changed)": live value → the program's. */
  noteDrift: (appId: string, details: readonly string[]) =>
    `ignite: app ${appId}: changed outside Pulumi: ${details.join("; ")} (live → this program); \`pulumi up\` sets ${details.length === 1 ? "it" : "them"} back. ` +
    "`pulumi preview --refresh --diff` shows each field on the App; to keep a change made elsewhere, put it in the program or list the field in `ignoreChanges`",
  badHealthPath: (v: unknown) => `\`healthPath\` must be a path starting with "/" (e.g. "/healthz"), or "" for none; got ${q(v)}`,
  /** At preview, in the App's inputs: `up` will adopt an existing app instead of creating one. */
  adoptionPlan: (appId: string, live: { latestVersion: number; activeVersion: number }, changes: readonly string[]) =>
    `adopt existing app ${appId} (no CreateApp; ${live.latestVersion > 0 ? `${live.latestVersion} published version${live.latestVersion === 1 ? "" : "s"}, version ${live.activeVersion} active` : "no published version"}): ` +
    (changes.length ? `UpdateAppConfig sets ${changes.join("; ")}` : "its config already matches"),
  returnedNothing: (method: string, appId: string, what: "app" | "draft") => `ignite: ${method} ${appId} returned no ${what}`,
};

// ---- references to an app (Draft, PublishedVersion) ------------------------------------------

export const appRef = {
  required: () => "`app` is required: pass the App itself (`app: app`) or its `appId` (`app: app.appId`)",
  malformed: (appId: unknown) => `\`app\` must be an app id "<organization>/<name>" (e.g. "acme-corp/greet", or pass the App itself); got ${q(appId)}`,
  missing: (appId: string) => `ignite: app ${appId} does not exist; create it with an ignite.App and pass it as \`app\``,
};

export const checks = {
  oneOf: (property: string, allowed: readonly string[], value: unknown) => `\`${property}\` must be one of ${allowed.map((a) => `"${a}"`).join(", ")}; got ${q(value)}`,
};

// ---- Draft -------------------------------------------------------------------------------------

export const draft = {
  rustWithoutRustRuntime: (runtime: string) => `\`rust\` is set but \`runtime\` is "${runtime}"; remove \`rust\` or set \`runtime: "rust"\``,
  rustTargetRequired: () => "`rust.target` is required for Rust drafts: \"native\" (a Linux binary) or \"wasm\" (a wasm32-wasip2 component)",
  rustTargetInvalid: (target: unknown) => `\`rust.target\` must be "native" or "wasm"; got ${q(target)}`,
  rustToolchainInvalid: () => "`rust.toolchain` must be a version string like \"1.83.0\"",
  rustNeedsTarget: () => "a Rust draft needs `rust: { target: \"native\" }` (or \"wasm\"): the platform requires a target for Rust",
  /** The program knows the App's runtime (the App was passed, or is declared in this program). */
  runtimeMismatch: (appId: string, appRuntime: string, draftRuntime: string, because: "runtime" | "rust") =>
    `the App ${appId} has runtime "${appRuntime}", but this Draft saves "${draftRuntime}" code (because of \`${because}\`); ` +
    (appRuntime === "rust"
      ? "set `rust: { target: \"native\" }` (or \"wasm\") on the Draft and remove `runtime`"
      : `remove \`${because}\` from the Draft (it follows the App), or change the App's \`runtime\` to "${draftRuntime}"`),
  /** The live app's runtime differs (an app this program does not declare). */
  liveRuntimeMismatch: (appId: string, appRuntime: string | undefined, draftRuntime: string) =>
    `app ${appId} has runtime "${appRuntime}" on the platform, but this Draft saves "${draftRuntime}" code; ` +
    (appRuntime === "rust" ? "set `rust: { target: \"native\" }` on the Draft" : `set \`runtime: "${appRuntime}"\` on the Draft`) +
    ` (an app's runtime cannot change in place; if an App of this program changes it, pass that App as \`app\`)`,
  upFailed: (given: string, appId: string, detail: string) => `ignite: Draft \`code\` "${given}" of ${appId}: ${detail}. Nothing was uploaded.`,
  runtimeMismatchAtUp: (appId: string, appRuntime: string | undefined, draftRuntime: string) =>
    `ignite: ${draft.liveRuntimeMismatch(appId, appRuntime, draftRuntime)}`,
  altered: (appId: string, stored: string, uploaded: string) =>
    `ignite: the platform stored the draft of ${appId} as ${stored}, but ${uploaded} was uploaded; the upload was altered on the way (a proxy rewriting bodies?): check the network path to the endpoint`,
  compiling: (appId: string, target: string | undefined) => `ignite: compiling the draft of ${appId} (Rust, ${target})…`,
  compileLog: (appId: string, line: string) => `[compile ${appId}] ${line}`,
  noteGone: (appId: string) => `ignite: app ${appId} has no draft on the platform (the app is gone); the draft will be saved again`,
  noteDrift: (appId: string, reasons: readonly string[]) => `ignite: the draft of ${appId} was changed outside Pulumi (${reasons.join("; ")}); it will be saved again`,
  noteNotCompiled: (appId: string, state: string) => `ignite: the draft of ${appId} is not compiled (${state}); it will be compiled`,
  saveReason: {
    otherCode: (hash: string) => (hash ? `it holds other code (${hash})` : "it is empty"),
    otherRuntime: (runtime: string) => `it was saved for runtime "${runtime}"`,
    otherRust: (target: string | undefined, toolchain: string) => `it was saved with Rust target "${target}" toolchain "${toolchain}"`,
  },
};

// ---- a Draft's image source ---------------------------------------------------------------------

export const image = {
  refAndContext: () => "`image.ref` and `image.context` are two different sources: set `ref` (an image to pull) or `context` (with `dockerfile`, to build), not both",
  needsSource: () => "`image` needs `ref` (an image reference) or `context` (a directory holding a Dockerfile)",
  refInvalid: (problem: string) => `\`image.ref\` ${problem}`,
  contextIsFile: (context: string) => `\`image.context\` "${context}" is a file; give the directory that holds the Dockerfile`,
  dockerfileMissing: (file: string, context: string, found: readonly string[]) =>
    `\`image.dockerfile\` "${file}" is not among the uploaded files of \`image.context\` "${context}"${found.length ? ` (it has ${found.slice(0, 5).join(", ")})` : ""}; give its path relative to the context, or check include/exclude`,
  contextUnusable: (context: string, abs: string, detail: string) => `\`image.context\` "${context}" (${abs}) cannot be used: ${detail}`,
  codeAndImage: () => "set either `code` (source the platform compiles) or `image`, not both",
  rustWithImage: () => "`rust` is for Rust source; an image is built or pulled, not compiled: remove `rust`",
  noHash: () => "no code hash was computed for `image`; create Drafts with `new ignite.Draft(...)`, which hashes it in the program",
  uploadFailed: (appId: string, detail: string) => `ignite: Draft \`image\` of ${appId}: ${detail}. Nothing was uploaded.`,
  saveReason: {
    holdsCode: () => "it holds code, not an image",
    otherImage: (held: string) => `it holds ${held}`,
  },
};

// ---- PublishedVersion --------------------------------------------------------------------------

export const version = {
  codeHashRequired: () => "`codeHash` is required: pass the Draft's `codeHash` (e.g. `codeHash: draft.codeHash`)",
  codeHashMalformed: (v: unknown) => `\`codeHash\` must look like "sha256:<64 hex digits>" (the Draft's \`codeHash\`); got ${q(v)}`,
  notAVersion: (v: unknown) => `\`version\` must be a published version number (1, 2, …); got ${q(v)}`,
  /** At preview: the pinned version does not exist (and this stack only publishes when unpinned). */
  pinMissing: (appId: string, v: number, have: readonly number[], appExists: boolean) =>
    appExists
      ? `\`version\` ${v} does not exist for app ${appId} (published versions: ${have.length ? list(have.map(String)) : "none yet"}); pin one of them, or remove \`version\` to publish the Draft's code`
      : `\`version\` ${v} cannot be pinned: app ${appId} does not exist yet, so it has no versions. Remove \`version\` to publish the Draft's code as version 1, and pin a version once it exists`,
  pinMissingAtUp: (appId: string, v: number, have: readonly number[]) =>
    `ignite: \`version\` ${v} does not exist for app ${appId} (published versions: ${have.length ? list(have.map(String)) : "none yet"}); pin one of them, or remove \`version\` to publish the draft`,
  draftHoldsOther: (appId: string, draftHash: string | undefined, wanted: string) =>
    `ignite: the draft of ${appId} holds ${draftHash || "no code"}, not ${wanted} (this PublishedVersion's \`codeHash\`), so nothing was published. ` +
    `If \`codeHash\` is the \`codeHash\` of this app's Draft, the draft was saved outside Pulumi while this update ran: run \`pulumi up\` again, and it is saved and published as planned. ` +
    `If \`codeHash\` comes from anywhere else, no Draft saves that code into this app: pass \`codeHash: draft.codeHash\` of the Draft whose \`app\` is ${appId}, ` +
    `and to deploy only code another stack verified, set \`expectCodeHash\` to that stack's hash.`,
  rolling: (appId: string, from: number, to: number) => `ignite: rolling ${appId} from version ${from} to version ${to}`,
  published: (appId: string, v: number) => `ignite: published ${appId} version ${v}`,
  disappeared: (appId: string) => `ignite: app ${appId} was deleted outside Pulumi while publishing; run \`pulumi up\` again to create it again`,
  noteGone: (appId: string) => `ignite: app ${appId} no longer exists on the platform; the code will be published again once it is created`,
  noteMovedPinned: (appId: string, live: number, pinned: number) => `ignite: ${appId} was moved to version ${live} outside Pulumi; it will be set back to version ${pinned}`,
  noteMoved: (appId: string, live: number, reactivate?: number) =>
    `ignite: ${appId} was moved to version ${live} outside Pulumi; ` +
    (reactivate !== undefined ? `version ${reactivate}, which carries the planned code, will be made active again (RollbackVersion, no new version)` : "the planned code will be published again"),
};

// ---- releases: versions mean releases --------------------------------------------------------

export const release = {
  reactivating: (appId: string, from: number, to: number, codeHash: string) =>
    `ignite: making ${appId} version ${to} active again (it carries ${short(codeHash)}; version ${from} was active): RollbackVersion, not a new version`,
};

const short = (hash: string) => (hash.length > 19 ? `${hash.slice(0, 19)}…` : hash);
const seconds = (ms: number) => `${+(ms / 1000).toFixed(1)} s`;

// ---- the health gate -----------------------------------------------------------------------------

/** What a failed health check found, for the messages below (from health-check.ts). */
export interface HealthFailure {
  target: string;
  attempts: number;
  problem: string;
  status?: number;
  body?: string;
  timedOut: boolean;
}

export const health = {
  notObject: () => "`healthCheck` must be an object like { path: \"/healthz\", expectStatus: 200 }",
  unknownField: (key: string, fields: readonly string[]) => `unknown field \`healthCheck.${key}\`; the fields are ${fields.join(", ")}`,
  badPath: (v: unknown) => `\`healthCheck.path\` must start with "/" (e.g. "/healthz"); got ${q(v)}`,
  notString: (field: string) => `\`healthCheck.${field}\` must be a string`,
  headersNotMap: () => "`healthCheck.headers` must be a map of header names to string values",
  badHeaderName: (k: string) => `\`healthCheck.headers\`: ${q(k)} is not a valid HTTP header name`,
  authorizationHeader: () => "`healthCheck.headers` cannot set `authorization`: the check calls the app with the provider's own credentials (`ignite:token` / DODIL_TOKEN or the service account)",
  badStatus: (v: unknown) => `\`healthCheck.expectStatus\` must be an HTTP status (100-599) or a list of them; got ${q(v)}`,
  badTimeout: (v: unknown) => `\`healthCheck.timeoutSecs\` must be a number of seconds greater than 0 (at most 3600); got ${q(v)}`,
  badAttempts: (v: unknown) => `\`healthCheck.attempts\` must be a whole number from 1 to 100; got ${q(v)}`,
  wrongStatus: (status: number, expected?: readonly number[]) => `answered ${status} (expected ${expected ? expected.join(" or ") : "a 2xx status"})`,
  bodyMissing: (text: string) => `answered without ${q(text)} in its body (\`healthCheck.expectBodyContains\`)`,
  noTimeLeft: () => "no time was left to call the app",
  noPublicUrl: () => "the app has no public URL (`healthCheck.via` is \"publicUrl\"; use \"auto\" or \"invoke\" to call it through the Invoke RPC)",
  broken: (detail: string) => `the connection broke before an answer (${detail})`,
  noAnswerWithin: (ms: number) => `no answer within ${seconds(ms)}`,
  unreachable: (code: string, detail: string) => `cannot be reached from here (${code}: ${detail})`,
  checking: (appId: string, version: number, method: string, path: string, url: string | undefined, via: string) =>
    `ignite: checking the health of ${appId} version ${version}: ${method} ${via === "invoke" || !url ? `${path} through the Invoke RPC` : `${url}${path}`}`,
  passed: (appId: string, version: number, target: string, attempts: number) =>
    `ignite: ${appId} version ${version} is healthy (${target}, ${attempts === 1 ? "first attempt" : `attempt ${attempts}`})`,
  /** "GET https://…/healthz answered 500 (expected a 2xx status) after 3 attempts; body: …" */
  failure: (f: HealthFailure, check: { timeoutSecs: number }, cutShort?: { operation: string; secs: number }) =>
    `${f.target} ${f.problem} after ${f.attempts} attempt${f.attempts === 1 ? "" : "s"}` +
    (f.body !== undefined ? `; body: ${q(f.body.replace(/\s+/g, " ").trim().slice(-400))}` : "") +
    (f.timedOut ? (cutShort ? ` (cut short by customTimeouts.${cutShort.operation}, ${cutShort.secs} s)` : ` (within healthCheck.timeoutSecs, ${check.timeoutSecs} s)`) : ""),
  failedRolledBack: (appId: string, version: number, failure: string, before: number) =>
    `ignite: ${appId} version ${version} failed its health check: ${failure}; rolled back to v${before} (the version active before), which serves again. ` +
    `Nothing else changed: the draft holds the new code, and version ${version} stays published but inactive. ` +
    `Fix the code and run \`pulumi up\`: it is published as a new version and checked. If the cause was outside the code (a dependency that was down), ` +
    `\`pulumi up\` makes version ${version} active again (RollbackVersion, no new version) and checks it again.`,
  failedStays: (appId: string, version: number, failure: string, unchanged: boolean) =>
    `ignite: ${appId} version ${version} failed its health check: ${failure}. ` +
    (unchanged ? `This update did not change the active version (it already was ${version}); it stays active.` : `There is no earlier version to roll back to, so version ${version} stays active.`) +
    " Fix the code and run `pulumi up`: it is published as a new version and checked.",
  rollbackFailed: (appId: string, version: number, failure: string, before: number, detail: string) =>
    `ignite: ${appId} version ${version} failed its health check: ${failure}; rolling back to v${before} failed too (${detail}), so version ${version} is still active. ` +
    `To serve version ${before} again, pin \`version: ${before}\` on this PublishedVersion and run \`pulumi up\` once the endpoint answers.`,
};

// ---- promotion: production deploys what staging verified -----------------------------------------

export const promotion = {
  expectMalformed: (v: unknown) =>
    `\`expectCodeHash\` must look like "sha256:<64 hex digits>" (the \`codeHash\` another stack exported); got ${q(v)}`,
  /**
   * This program's code is not the verified code. `files`: "changed handler.py; added b.py",
   * from the verified manifest, when known; `code`: the Draft's `code` path.
   */
  mismatch: (appId: string, codeHash: string, expected: string, files: string | undefined, code?: string) =>
    `the code this stack would deploy to ${appId} is not the verified code: \`codeHash\` is ${codeHash}, \`expectCodeHash\` is ${expected}` +
    (files ? `; compared with the verified manifest, the files under ${code ?? "the Draft's `code`"} that differ: ${files}` : files === "" ? "; the files are the same, so their modes or the archive differ" : "") +
    `. Deploy the verified files: check out the commit the verifying stack deployed (its \`codeHash\` is ${short(expected)}) and preview again; ` +
    "or, to release these files, deploy them to the verifying stack first and let it verify them. Nothing was changed.",
  pinMismatch: (appId: string, version: number, pinnedHash: string, expected: string) =>
    `\`version\` ${version} of ${appId} carries ${pinnedHash}, not the verified code (\`expectCodeHash\` ${expected}); ` +
    "pin the version that carries the verified code, or remove `version` to deploy the Draft's code (which must be the verified code). Nothing was changed.",
  foreignCode: (appId: string, codeHash: string) =>
    `\`codeHash\` ${codeHash} is not the \`codeHash\` of a Draft in this program, and app ${appId} holds no version or draft with that code, so \`up\` could not make it active. ` +
    "A PublishedVersion activates code a Draft saved into its app: pass `codeHash: draft.codeHash` of this app's Draft. " +
    "To deploy only what another stack verified, also set `expectCodeHash` to that stack's exported hash (and `expectManifest` to its manifest): the preview then fails, naming the files, unless this program's code is exactly that code.",
};

// ---- resource options the providers honour (customTimeouts, ignoreChanges) ----------------------

export const options = {
  badTimeout: (operation: string, v: string) =>
    `\`customTimeouts.${operation}\` must be a duration like "30s", "5m" or "1h30m"; got ${q(v)}`,
  timedOut: (operation: string, secs: number, appId: string, detail: string) =>
    `ignite: ${operation === "create" ? "creating" : operation === "update" ? "updating" : "deleting"} ${appId} took longer than its customTimeouts.${operation} (${secs} s) allows, and was stopped: ${detail.replace(/^ignite: /, "")}. ` +
    `What the platform already did stays done and is not repeated by the next \`pulumi up\`. Raise customTimeouts.${operation} if this step needs longer.`,
};
