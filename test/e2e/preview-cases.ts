// Issue 9: every input that is certain to fail `up` must fail `pulumi preview` — naming the
// property or setting, with nothing called that changes the platform. One line per case;
// preview-failures.test.ts runs each through the real CLI against the local Ignite.
//
// A case: an id, the program (JavaScript statements with `ignite`, `pulumi` and `app`-making
// helpers in scope; "$" in a string is the case's own folder), what the output must match
// (the property or key first), and options: files in the case's folder, stack config
// (null removes a key of the base stack, which points at the local Ignite with its token),
// environment variables, and platform state made beforehand.

export interface CaseContext {
  /** host:port of the local Ignite (plaintext). */
  emulator: string;
  /** host:port of a second local Ignite serving TLS with a self-signed certificate. */
  tlsEmulator: string;
  /** host:port of a server that accepts connections and never answers. */
  hang: string;
  /** host:port of an HTTP/1.1 web server answering HTML. */
  web1: string;
  /** host:port of an HTTP/2 (h2c) web server answering 404. */
  web2: string;
  /** A correctly signed access token of the local Ignite that has expired. */
  expiredToken: string;
  serviceAccount: { clientId: string; clientSecret: string; tokenUrl: string };
  /** Creates an app on the platform outside Pulumi (optionally with published versions). */
  createApp(name: string, opts?: { runtime?: "python" | "rust"; versions?: number; description?: string }): Promise<void>;
}

type Value = string | null | ((x: CaseContext) => string);
export type FileSpec = string | { zeros: number } | { link: string } | { many: number };

export interface PreviewCase {
  id: string;
  program: string;
  expect: RegExp[];
  files?: Record<string, FileSpec>;
  /** Stack config; a value wrapped in secret() is set with --secret. */
  config?: Record<string, Value | { secret: Value }>;
  env?: Record<string, Value>;
  before?: (x: CaseContext) => Promise<void>;
}

export const secret = (v: Value) => ({ secret: v });

// Programs reused by many cases.
const APP = `new ignite.App("a", {})`;
const PY_HANDLER = "import json\n\ndef handler(payload, ctx):\n    return {'ok': True}\n";
const CARGO = '[package]\nname = "crab"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\nignite = "*"\n';
const LIB_RS = "use ignite::prelude::*;\n\n#[ignite::main]\nasync fn handler(req: Request, ctx: Context) -> Result<impl IntoResponse> {\n    Ok(Response::text(\"hi\"))\n}\n";
const pyDraft = (extra = "") => `const app = new ignite.App("a", {}); new ignite.Draft("d", { app, code: "$/app"${extra} })`;
const rustDraft = `const app = new ignite.App("a", { runtime: "rust" }); new ignite.Draft("d", { app, code: "$/app", rust: { target: "native" } })`;
const HASH = `sha256:${"0".repeat(64)}`;

const c = (id: string, program: string, expect: RegExp[], opts: Omit<PreviewCase, "id" | "program" | "expect"> = {}): PreviewCase => ({ id, program, expect, ...opts });

export const CASES: PreviewCase[] = [
  // ---- connection and settings: checked once per preview, before anything is created -------
  c("token-wrong-config", APP, [/stack config `ignite:token`/, /rejected the token/, /pulumi config set --secret ignite:token/], { config: { "ignite:token": secret("wrong-token-123456") } }),
  c("token-wrong-env", APP, [/environment variable DODIL_TOKEN/, /invalid bearer token/, /set DODIL_TOKEN/], { config: { "ignite:token": null }, env: { DODIL_TOKEN: "wrong-token-123456" } }),
  c("token-expired", APP, [/environment variable DODIL_TOKEN/, /access token expired/, /ignite:token/], { config: { "ignite:token": null }, env: { DODIL_TOKEN: (x) => x.expiredToken } }),
  c("token-missing", APP, [/no credentials/, /ignite:token/, /ignite:clientId/], { config: { "ignite:token": null } }),
  c("service-account-secret-wrong", APP, [/refused client/, /environment variable DODIL_CLIENT_SECRET/, /ignite:clientSecret/], {
    config: { "ignite:token": null },
    env: { DODIL_CLIENT_ID: (x) => x.serviceAccount.clientId, DODIL_CLIENT_SECRET: "not-the-secret", DODIL_TOKEN_URL: (x) => x.serviceAccount.tokenUrl },
  }),
  c("service-account-half", APP, [/ignite:clientId is set/, /ignite:clientSecret is not/], { config: { "ignite:token": null, "ignite:clientId": "deployer" } }),
  c("service-account-token-url-down", APP, [/token endpoint http:\/\/127\.0\.0\.1:1\/token .*could not be reached/, /ignite:tokenUrl/], {
    config: { "ignite:token": null },
    env: { DODIL_CLIENT_ID: "deployer", DODIL_CLIENT_SECRET: "s3cret-value", DODIL_TOKEN_URL: "http://127.0.0.1:1/token" },
  }),
  c("endpoint-refuses", APP, [/`ignite:endpoint`/, /refused the connection/], { config: { "ignite:endpoint": "127.0.0.1:1" } }),
  c("endpoint-never-answers", APP, [/did not answer within 2 s/, /ignite:timeoutSecs/], { config: { "ignite:endpoint": (x) => x.hang, "ignite:timeoutSecs": "2" } }),
  c("endpoint-tls-to-plaintext", APP, [/TLS was used, but .* answered in plaintext/, /`ignite:endpoint`/], { config: { "ignite:endpoint": (x) => `https://${x.emulator}` } }),
  c("endpoint-plaintext-to-tls", APP, [/closed before it answered/, /may require TLS/], { config: { "ignite:endpoint": (x) => x.tlsEmulator } }),
  c("endpoint-tls-untrusted", APP, [/certificate .* is not trusted/, /NODE_EXTRA_CA_CERTS/, /ignite:endpoint/], { config: { "ignite:endpoint": (x) => `https://${x.tlsEmulator}` } }),
  c("endpoint-http1-web-server", APP, [/does not speak HTTP\/2/, /`ignite:protocol` to http/], { config: { "ignite:endpoint": (x) => x.web1 } }),
  c("endpoint-http2-not-ignite", APP, [/not as an Ignite ComputeService/, /ignite:endpoint/], { config: { "ignite:endpoint": (x) => x.web2 } }),
  c("endpoint-gateway-not-ignite", APP, [/not as an Ignite ComputeService/, /ignite:protocol/], { config: { "ignite:endpoint": (x) => `http://${x.web1}`, "ignite:protocol": "http" } }),
  c("endpoint-bad-scheme", APP, [/stack config `ignite:endpoint`/, /scheme "ftp:\/\/"/], { config: { "ignite:endpoint": "ftp://127.0.0.1:1" } }),
  c("endpoint-plaintext-remote", APP, [/plaintext http:\/\/ to a non-loopback host/, /ignite:insecure/], { config: { "ignite:endpoint": "http://10.255.255.1:7700" } }),
  c("protocol-invalid", APP, [/ignite:protocol must be "grpc" or "http"; got "rest"/], { config: { "ignite:protocol": "rest" } }),
  c("insecure-invalid", APP, [/ignite:insecure must be true or false; got "maybe" from environment variable DODIL_IGNITE_INSECURE/], { env: { DODIL_IGNITE_INSECURE: "maybe" } }),
  c("timeout-invalid", APP, [/ignite:timeoutSecs must be a number of seconds/], { config: { "ignite:timeoutSecs": "soon" } }),
  c("organization-not-allowed", `new ignite.App("a", { organization: "other-org" })`, [/may not access organization "other-org" \(from the App's `organization`\)/]),

  // ---- the code, checked in the program ---------------------------------------------------
  c("python-no-handler-file", pyDraft(), [/property code/, /handler\.py: not found at the top of the code \(found src\/handler\.py\)/], { files: { "app/src/handler.py": PY_HANDLER } }),
  c("python-no-handler", pyDraft(), [/property code/, /handler\.py: has no top-level `handler`; its top-level functions are handle/], { files: { "app/handler.py": "def handle(payload, ctx):\n    return 1\n" } }),
  c("python-handler-in-class", pyDraft(), [/property code/, /inside class Api/], { files: { "app/handler.py": "class Api:\n    def handler(self, payload, ctx):\n        return 1\n" } }),
  c("python-syntax-error", pyDraft(), [/property code/, /handler\.py: line 2, column \d+: '\(' was never closed/], { files: { "app/handler.py": "def handler(payload, ctx):\n    return dict(\n" } }),
  c("python-one-parameter", pyDraft(), [/property code/, /`handler` takes 1 positional parameter/], { files: { "app/handler.py": "def handler(payload):\n    return 1\n" } }),
  c("python-single-file-no-handler", `const app = new ignite.App("a", {}); new ignite.Draft("d", { app, code: "$/main.py" })`, [/property code/, /handler\.py: has no top-level `handler`/], { files: { "main.py": "print('hi')\n" } }),
  c("rust-no-cargo-toml", rustDraft, [/property code/, /Cargo\.toml: not found at the root/], { files: { "app/src/lib.rs": LIB_RS } }),
  c("rust-no-package", rustDraft, [/property code/, /Cargo\.toml: has no \[package\] section/], { files: { "app/Cargo.toml": '[workspace]\nmembers = ["crab"]\n', "app/src/lib.rs": LIB_RS } }),
  c("rust-no-lib-rs", rustDraft, [/property code/, /src\/lib\.rs: not found/], { files: { "app/Cargo.toml": CARGO, "app/src/main.rs": LIB_RS } }),
  c("rust-no-ignite-main", rustDraft, [/property code/, /src\/lib\.rs: no `#\[ignite::main\]`/], { files: { "app/Cargo.toml": CARGO, "app/src/lib.rs": "async fn handler() {}\n" } }),
  c("rust-single-file", `const app = new ignite.App("a", { runtime: "rust" }); new ignite.Draft("d", { app, code: "$/lib.rs", rust: { target: "native" } })`, [/property code/, /Cargo\.toml: not found/], { files: { "lib.rs": LIB_RS } }),
  c("too-many-files", pyDraft(), [/property code/, /has 10,002 files, over the platform's limit of 10,000 files/, /vendor\/ \(10,001 files/], { files: { "app/handler.py": PY_HANDLER, "app/vendor/": { many: 10_001 } } }),
  c("too-many-bytes", pyDraft(), [/property code/, /over the platform's limit of 32 MiB per request/, /data\/ \(40 MiB in 1 file\)/], { files: { "app/handler.py": PY_HANDLER, "app/data/model.bin": { zeros: 40 * 1024 * 1024 } } }),
  c("too-large-single-file", `const app = new ignite.App("a", {}); new ignite.Draft("d", { app, code: "$/handler.py" })`, [/property code/, /over the platform's limit of 32 MiB/], { files: { "handler.py": { zeros: 33 * 1024 * 1024 } } }),
  c("symlink-inside-leads-out", pyDraft(), [/property code/, /is a symlink to .*, outside the code directory/], { files: { "app/handler.py": PY_HANDLER, "app/secrets.txt": { link: "/etc/hostname" } } }),
  c("symlink-inside-broken", pyDraft(), [/property code/, /broken symlink/], { files: { "app/handler.py": PY_HANDLER, "app/gone.py": { link: "/nonexistent/gone.py" } } }),
  c("code-missing", pyDraft(), [/property code/, /no such file or directory/]),
  c("code-nothing-selected", pyDraft(`, include: ["*.nothing"]`), [/property code/, /no files selected/], { files: { "app/handler.py": PY_HANDLER } }),

  // ---- the app, checked against the program and the platform -------------------------------
  c("runtime-mismatch-app-resource", `const app = new ignite.App("a", { runtime: "rust" }); new ignite.Draft("d", { app, code: "$/app", runtime: "python" })`, [/property runtime/, /the App acme-corp\/a has runtime "rust", but this Draft saves "python" code/], { files: { "app/handler.py": PY_HANDLER } }),
  c("runtime-mismatch-rust-on-python-app", `const app = new ignite.App("a", {}); new ignite.Draft("d", { app, code: "$/app", rust: { target: "native" } })`, [/property rust/, /has runtime "python", but this Draft saves "rust" code/], { files: { "app/Cargo.toml": CARGO, "app/src/lib.rs": LIB_RS } }),
  c("runtime-mismatch-app-id-string", `const app = new ignite.App("a", { runtime: "rust" }); new ignite.Draft("d", { app: app.appId, code: "$/app", runtime: "python" })`, [/property runtime/, /has runtime "rust", but this Draft saves "python"/], { files: { "app/handler.py": PY_HANDLER } }),
  c("runtime-mismatch-live-app", `new ignite.Draft("d", { app: "acme-corp/live-rust", code: "$/app" })`, [/property runtime/, /app acme-corp\/live-rust has runtime "rust" on the platform/], { files: { "app/handler.py": PY_HANDLER }, before: (x) => x.createApp("live-rust", { runtime: "rust" }) }),
  c("name-taken-by-another-stack", `new ignite.App("taken", {})`, [/property name/, /already exists on the platform, and this stack does not manage it/, /another stack/, /`adopt: true`/], { before: (x) => x.createApp("taken", { versions: 1, description: "someone's" }) }),
  c("name-taken-empty-but-different", `new ignite.App("taken-empty", { description: "mine" })`, [/property name/, /does not manage it \(it has no published version\)/], { before: (x) => x.createApp("taken-empty", { description: "theirs" }) }),
  c("create-first-replace", `new ignite.App("a", {}, { deleteBeforeReplace: false })`, [/property deleteBeforeReplace/, /cannot work for an App/]),
  c("adopt-missing-app", `new ignite.App("nobody", { adopt: true })`, [/property adopt/, /does not exist, so it cannot be adopted/]),
  c("adopt-other-runtime", `new ignite.App("adoptee", { runtime: "rust", adopt: true })`, [/property runtime/, /exists with runtime "python"/], { before: (x) => x.createApp("adoptee") }),
  c("version-missing-new-app", `${pyDraft()}; new ignite.PublishedVersion("p", { app: "acme-corp/a", codeHash: "${HASH}", version: 99 })`, [/property version/, /`version` 99 cannot be pinned: app acme-corp\/a does not exist yet/], { files: { "app/handler.py": PY_HANDLER } }),
  // ---- releases (issue 10): health checks, verified code -------------------------------------
  c("version-expect-mismatch", `${pyDraft()}; new ignite.PublishedVersion("p", { app, codeHash: d.codeHash, expectCodeHash: "${HASH}" })`.replace('new ignite.Draft("d"', 'const d = new ignite.Draft("d"'), [/property expectCodeHash/, /is not the verified code/, /check out the commit the verifying stack deployed/], { files: { "app/handler.py": PY_HANDLER } }),
  c("version-expect-names-files", `${pyDraft()}; new ignite.PublishedVersion("p", { app, codeHash: d.codeHash, expectCodeHash: "${HASH}", expectManifest: { "handler.py": "sha256:${"1".repeat(64)}", "gone.py": "sha256:${"2".repeat(64)}" } })`.replace('new ignite.Draft("d"', 'const d = new ignite.Draft("d"'), [/property expectCodeHash/, /the files under .* that differ: changed handler\.py; removed gone\.py/], { files: { "app/handler.py": PY_HANDLER } }),
  c("version-foreign-code-hash", `new ignite.PublishedVersion("p", { app: "acme-corp/promoted", codeHash: "${HASH}" })`, [/property codeHash/, /is not the `codeHash` of a Draft in this program/, /`expectCodeHash`/], { before: (x) => x.createApp("promoted", { versions: 1 }) }),
  c("version-missing-existing-app", `new ignite.PublishedVersion("p", { app: "acme-corp/versioned", codeHash: "${HASH}", version: 99 })`, [/property version/, /`version` 99 does not exist for app acme-corp\/versioned \(published versions: 1, 2\)/], { before: (x) => x.createApp("versioned", { versions: 2 }) }),

  // ---- inputs (these failed at preview before issue 9 too) ----------------------------------
  c("app-name", `new ignite.App("a", { name: "Not_A_Label" })`, [/property name/, /not a single DNS label/]),
  c("app-runtime", `new ignite.App("a", { runtime: "java" })`, [/property runtime/, /must be one of "python", "rust", "deno", "go"/]),
  c("app-tier", `new ignite.App("a", { resourceTier: "huge" })`, [/property resourceTier/]),
  c("app-metric", `new ignite.App("a", { scaling: { scaleMetric: "CPU" } })`, [/property scaling\.scaleMetric/]),
  c("app-max-replicas-negative", `new ignite.App("a", { scaling: { maxReplicas: -1 } })`, [/property scaling\.maxReplicas/]),
  c("app-reserved-above-max", `new ignite.App("a", { scaling: { reservedCapacity: 4, maxReplicas: 2 } })`, [/property scaling\.reservedCapacity/]),
  c("app-scaledown-short", `new ignite.App("a", { scaling: { scaledownPeriodSecs: 10 } })`, [/property scaling\.scaledownPeriodSecs/]),
  c("app-scaling-unknown-field", `new ignite.App("a", { scaling: { minReplicas: 1 } })`, [/property scaling\.minReplicas/]),
  c("app-scaling-not-object", `new ignite.App("a", { scaling: 5 })`, [/property scaling/, /must be an object/]),
  c("app-no-organization", `new ignite.App("a", {})`, [/property organization/, /ignite:organization/], { config: { "ignite:organization": null } }),
  c("app-organization-label", `new ignite.App("a", { organization: "Acme Corp" })`, [/property organization/]),
  c("app-description", `new ignite.App("a", { description: 42 })`, [/property description/]),
  c("app-env-name", `new ignite.App("a", { env: { "BAD-NAME": "x" } })`, [/property env\.BAD-NAME/]),
  c("app-env-value", `new ignite.App("a", { env: { COUNT: 3 } })`, [/property env\.COUNT/, /String\(\.\.\.\)/]),
  c("app-ports-empty", `new ignite.App("a", { ports: [] })`, [/property ports/]),
  c("app-port-range", `new ignite.App("a", { ports: [70000] })`, [/property ports\[0\]/]),
  c("app-port-duplicate", `new ignite.App("a", { ports: [80, 80] })`, [/property ports/, /more than once/]),
  c("app-allow-unauthenticated", `new ignite.App("a", { allowUnauthenticated: "yes" })`, [/property allowUnauthenticated/]),
  c("app-adopt-type", `new ignite.App("a", { adopt: "yes" })`, [/property adopt/]),
  c("draft-app-id", `new ignite.Draft("d", { app: "greet", code: "$/app" })`, [/property app/, /<organization>\/<name>/], { files: { "app/handler.py": PY_HANDLER } }),
  c("draft-rust-target-missing", `new ignite.Draft("d", { app: "acme-corp/a", code: "$/app", rust: {} })`, [/property rust\.target/], { files: { "app/handler.py": PY_HANDLER } }),
  c("draft-rust-target-invalid", `new ignite.Draft("d", { app: "acme-corp/a", code: "$/app", rust: { target: "arm" } })`, [/property rust\.target/, /"native" or "wasm"/], { files: { "app/handler.py": PY_HANDLER } }),
  c("draft-rust-toolchain", `new ignite.Draft("d", { app: "acme-corp/a", code: "$/app", rust: { target: "native", toolchain: 1.83 } })`, [/property rust\.toolchain/], { files: { "app/handler.py": PY_HANDLER } }),
  c("draft-rust-on-python-runtime", `new ignite.Draft("d", { app: "acme-corp/a", code: "$/app", runtime: "python", rust: { target: "native" } })`, [/property rust/, /remove `rust`/], { files: { "app/handler.py": PY_HANDLER } }),
  c("draft-runtime-invalid", `new ignite.Draft("d", { app: "acme-corp/a", code: "$/app", runtime: "cobol" })`, [/property runtime/], { files: { "app/handler.py": PY_HANDLER } }),
  c("version-zero", `new ignite.PublishedVersion("p", { app: "acme-corp/a", codeHash: "${HASH}", version: 0 })`, [/property version/, /1, 2, …/]),
  c("version-fraction", `new ignite.PublishedVersion("p", { app: "acme-corp/a", codeHash: "${HASH}", version: 1.5 })`, [/property version/]),
  c("version-code-hash", `new ignite.PublishedVersion("p", { app: "acme-corp/a", codeHash: "abc" })`, [/property codeHash/, /sha256:<64 hex digits>/]),
  c("version-app-id", `new ignite.PublishedVersion("p", { app: "acme-corp", codeHash: "${HASH}" })`, [/property app/]),
  c("version-expect-malformed", `new ignite.PublishedVersion("p", { app: "acme-corp/a", codeHash: "${HASH}", expectCodeHash: "abc" })`, [/property expectCodeHash/, /sha256:<64 hex digits>/]),
  c("version-health-check-path", `new ignite.PublishedVersion("p", { app: "acme-corp/a", codeHash: "${HASH}", healthCheck: { path: "healthz" } })`, [/property healthCheck\.path/, /must start with "\/"/]),
  c("version-health-check-authorization", `new ignite.PublishedVersion("p", { app: "acme-corp/a", codeHash: "${HASH}", healthCheck: { headers: { Authorization: "Bearer x" } } })`, [/property healthCheck\.headers\.Authorization/, /provider's own credentials/]),
  c("version-health-check-status", `new ignite.PublishedVersion("p", { app: "acme-corp/a", codeHash: "${HASH}", healthCheck: { expectStatus: 700 } })`, [/property healthCheck\.expectStatus/]),
  c("app-health-path", `new ignite.App("a", { healthPath: "healthz" })`, [/property healthPath/, /must be a path starting with "\/"/]),
];
