// Issue 9: every user-facing message of the provider and the client is built in
// src/messages.ts. Each builder is called here with realistic arguments and read: it names what
// it is about and what to do, names only settings that exist, never prints a secret it was
// given, and a limit never says "run again". A builder added without a line here fails the
// completeness test.
import { describe, expect, it } from "vitest";
import { SETTINGS, type SettingSources } from "../../src/client/settings.js";
import * as m from "../../src/messages.js";
import { MAX_CODE_BYTES, MAX_DRAFT_FILES, MiB } from "../../src/platform-limits.js";

const fromConfig: SettingSources = {
  "ignite:endpoint": { key: "ignite:endpoint", from: "config" },
  "ignite:token": { key: "ignite:token", from: "config" },
  "ignite:timeoutSecs": { key: "ignite:timeoutSecs", from: "default" },
};
const fromEnv: SettingSources = {
  "ignite:endpoint": { key: "ignite:endpoint", from: "env", env: "DODIL_IGNITE_ENDPOINT" },
  "ignite:token": { key: "ignite:token", from: "env", env: "DODIL_TOKEN" },
  "ignite:clientId": { key: "ignite:clientId", from: "env", env: "DODIL_CLIENT_ID" },
  "ignite:clientSecret": { key: "ignite:clientSecret", from: "env", env: "DODIL_CLIENT_SECRET" },
  "ignite:tokenUrl": { key: "ignite:tokenUrl", from: "config" },
};
const facts: m.ConnectionFacts = {
  endpoint: "rpc.dev.dodil.io:443",
  protocol: "grpc",
  organization: "acme-corp",
  organizationOrigin: "the App's `organization`",
  auth: { kind: "token" },
  timeoutMs: 30_000,
  sources: fromConfig,
};
const saFacts = { ...facts, auth: { kind: "serviceAccount" as const, clientId: "ci", tokenUrl: "https://id.example/token" }, sources: fromEnv };
const ctx: m.CallContext = { method: "SaveDraft", appId: "acme-corp/greet", endpoint: "rpc.dev.dodil.io:443", timeoutMs: 30_000, sources: fromConfig };
const live = { latestVersion: 2, activeVersion: 1, description: "made by hand" };

/** Builder path → [its text, what it must say]. */
const EXAMPLES: Record<string, [string, RegExp]> = {
  settingNames: [m.settingNames("ignite:token"), /^`ignite:token` \/ DODIL_TOKEN$/],
  settingOrigin: [m.settingOrigin(fromEnv["ignite:token"], "ignite:token"), /^environment variable DODIL_TOKEN$/],
  howToSet: [m.howToSet("ignite:token"), /`pulumi config set --secret ignite:token <token>` \(or DODIL_TOKEN\)/],

  "settings.invalidBool": [m.settings.invalidBool("ignite:insecure", { key: "ignite:insecure", from: "env", env: "DODIL_IGNITE_INSECURE" }, "maybe"), /ignite:insecure must be true or false; got "maybe" from environment variable DODIL_IGNITE_INSECURE/],
  "settings.invalidProtocol": [m.settings.invalidProtocol("ignite:protocol", { key: "ignite:protocol", from: "config" }, "rest"), /got "rest" from stack config `ignite:protocol`/],
  "settings.invalidTimeout": [m.settings.invalidTimeout("ignite:timeoutSecs", { key: "ignite:timeoutSecs", from: "config" }, "soon"), /number of seconds .* The default is 30/],
  "settings.noCredentials": [m.settings.noCredentials("rpc.dev.dodil.io:443"), /no credentials for rpc\.dev\.dodil\.io:443: set a token with `pulumi config set --secret ignite:token/],
  "settings.clientSecretMissing": [m.settings.clientSecretMissing("ci", fromEnv["ignite:clientId"]), /ignite:clientId is set \("ci", from environment variable DODIL_CLIENT_ID\) but ignite:clientSecret is not/],
  "settings.clientIdMissing": [m.settings.clientIdMissing(fromEnv["ignite:clientSecret"]), /ignite:clientSecret is set \(from environment variable DODIL_CLIENT_SECRET\) but ignite:clientId is not/],

  "endpoint.empty": [m.endpoint.empty(), /endpoint is empty; set ignite:endpoint/],
  "endpoint.badScheme": [m.endpoint.badScheme("ftp://x", "ftp", "stack config `ignite:endpoint`"), /\(from stack config `ignite:endpoint`\) has scheme "ftp:\/\/"/],
  "endpoint.invalid": [m.endpoint.invalid("::", "the default"), /not a valid "host:port" or URL/],
  "endpoint.credentialsInUrl": [m.endpoint.credentialsInUrl(), /must not contain credentials .* `ignite:token`/],
  "endpoint.noHost": [m.endpoint.noHost("http://:1"), /has no host/],
  "endpoint.plaintextRemote": [m.endpoint.plaintextRemote("http://10.0.0.5:7700"), /ignite:insecure to true/],

  "call.failed": [m.call.failed("PublishDraft", "acme-corp/tiny", "the draft is not compiled", "FAILED_PRECONDITION", "Run CompileDraft."), /^ignite: PublishDraft acme-corp\/tiny failed: the draft is not compiled \(FAILED_PRECONDITION\)\. Run CompileDraft\.$/],
  "call.reason.refused": [m.call.reason.refused(ctx, "connect ECONNREFUSED"), /refused the connection/],
  "call.reason.dns": [m.call.reason.dns(ctx, "ENOTFOUND"), /cannot be resolved/],
  "call.reason.closed": [m.call.reason.closed(ctx, "read ECONNRESET"), /closed before it answered \(read ECONNRESET\)/],
  "call.reason.tlsUntrusted": [m.call.reason.tlsUntrusted(ctx, "CERT_HAS_EXPIRED", "certificate has expired"), /not trusted \(CERT_HAS_EXPIRED/],
  "call.reason.tlsToPlaintext": [m.call.reason.tlsToPlaintext(ctx, "wrong version number"), /TLS was used, but .* answered in plaintext/],
  "call.reason.notHttp2": [m.call.reason.notHttp2(ctx, "Protocol error"), /does not speak HTTP\/2/],
  "call.reason.notHttp1": [m.call.reason.notHttp1(ctx, "Parse Error"), /did not answer HTTP\/1\.1/],
  "call.reason.notIgnite": [m.call.reason.notIgnite(ctx, "unsupported content type text/html"), /not as an Ignite ComputeService/],
  "call.reason.tooLarge": [m.call.reason.tooLarge(40 * MiB, 32 * MiB, "message size …"), /the request is 40 MiB, over the platform's limit of 32 MiB per request/],
  "call.hint": [m.call.hint("DEADLINE_EXCEEDED", "", ctx), /within 30 s .* `ignite:timeoutSecs` \/ DODIL_IGNITE_TIMEOUT_SECS/],
  "call.compileFailed": [m.call.compileFailed("src/lib.rs: no `#[ignite::main]`"), /the compile failed: src\/lib\.rs/],
  "call.compileFailedHint": [m.call.compileFailedHint(["checking Cargo.toml", "compile failed"]), /Last 2 compile log lines:\n {2}\| checking Cargo\.toml/],
  "call.noCompileRunning": [m.call.noCompileRunning("NOT_COMPILED"), /no compile is running \(compile state NOT_COMPILED\)/],
  "call.noCompileRunningHint": [m.call.noCompileRunningHint(), /CompileDraft/],
  "call.compileTimedOut": [m.call.compileTimedOut(), /did not finish before the deadline/],
  "call.compileTimedOutHint": [m.call.compileTimedOutHint(), /compile-logs.*not compiled again/],

  "tokenExchange.subject": [m.tokenExchange.subject("ci", "https://id.example/token"), /client "ci" at https:\/\/id\.example\/token/],
  "tokenExchange.unreachable": [m.tokenExchange.unreachable("fetch failed: connect ECONNREFUSED"), /unreachable: fetch failed/],
  "tokenExchange.refused": [m.tokenExchange.refused(401, "invalid_client"), /^HTTP 401 invalid_client$/],
  "tokenExchange.noAccessToken": [m.tokenExchange.noAccessToken(), /no access_token/],
  "tokenExchange.unreachableHint": [m.tokenExchange.unreachableHint(fromEnv), /stack config `ignite:tokenUrl`/],
  "tokenExchange.refusedHint": [m.tokenExchange.refusedHint(fromEnv), /environment variable DODIL_CLIENT_ID and environment variable DODIL_CLIENT_SECRET/],

  "connection.failed": [m.connection.failed("something", "Do this."), /^ignite: the connection check failed: something\. Do this\. \(Checked once per preview/],
  "connection.tokenRejected": [m.connection.tokenRejected(facts, "invalid bearer token"), /rejected the token from stack config `ignite:token`: invalid bearer token\. .*`pulumi config set --secret ignite:token <token>`/],
  "connection.serviceAccountRefused": [m.connection.serviceAccountRefused(saFacts, "HTTP 401 invalid_client"), /refused client "ci" \(from environment variable DODIL_CLIENT_ID\).*client secret \(from environment variable DODIL_CLIENT_SECRET\)/],
  "connection.tokenUrlUnreachable": [m.connection.tokenUrlUnreachable(saFacts, "fetch failed"), /token endpoint https:\/\/id\.example\/token \(from stack config `ignite:tokenUrl`\) could not be reached/],
  "connection.serviceAccountTokenRejected": [m.connection.serviceAccountTokenRejected(saFacts, "invalid bearer token"), /different environments/],
  "connection.permissionDenied": [m.connection.permissionDenied(facts, "organization acme-corp may not access apps of organization other"), /may not access organization "acme-corp" \(from the App's `organization`\)/],
  "connection.unreachable": [m.connection.unreachable(facts, "it refused the connection", "Check the port."), /could not be used: it refused the connection\. Check the port\./],
  "connection.timedOut": [m.connection.timedOut(facts), /did not answer within 30 s \(the per-call deadline, from the default \(`ignite:timeoutSecs` is not set\)\).*raise `ignite:timeoutSecs`/],
  "connection.other": [m.connection.other(facts, "boom"), /ListApps at .* failed: boom/],
  "connection.setting": [m.connection.setting("ignite: ignite:protocol must be …"), /^ignite: the connection settings are not usable: ignite:protocol must be/],

  "code.missing": [m.code.missing("./app", "/p/app", "/p"), /no such file or directory \(resolved to \/p\/app\)/],
  "code.notFileOrDirectory": [m.code.notFileOrDirectory("./fifo"), /not a regular file or directory/],
  "code.nothingSelected": [m.code.nothingSelected("./app", "/p/app", ["*.nothing"], [], ".igniteignore"), /no files selected .*widen `include`/],
  "code.brokenSymlink": [m.code.brokenSymlink("./app", "gone.py", ".igniteignore"), /gone\.py is a broken symlink/],
  "code.symlinkOutside": [m.code.symlinkOutside("./app", "s.txt", "/etc/hostname", ".igniteignore"), /outside the code directory; a link inside the code may only point within it/],
  "code.changedWhilePacking": [m.code.changedWhilePacking("big.bin", "size changed"), /being written to/],
  "code.changedAfterPreview": [m.code.changedAfterPreview("./greet", "changed handler.py", "sha256:x"), /changed after preview: changed handler\.py; .*run pulumi up again to preview and deploy the files as they are now/],
  "code.empty": [m.code.empty(), /`code` is empty/],
  "code.required": [m.code.required(), /`code` is required/],
  "code.unusable": [m.code.unusable("./app", "/p/app", "EACCES"), /`code` "\.\/app" \(\/p\/app\) cannot be used: EACCES/],
  "code.noHash": [m.code.noHash(), /new ignite\.Draft/],
  "code.noPython": [m.code.noPython(), /no Python 3 .*text scan.*syntax errors are not found/],
  "code.finding": [m.code.finding("./app", "python", { file: "handler.py", problem: "has no top-level `handler`", fix: "define it" }), /^`code` "\.\/app" \(python\): handler\.py: has no top-level `handler`; define it\.$/],
  "code.overLimit": [
    m.code.overLimit("./app", { limit: "files", actual: 12_000, max: MAX_DRAFT_FILES, largest: [{ path: "node_modules/", bytes: MiB, files: 11_000 }] }),
    /has 12,000 files, over the platform's limit of 10,000 files per draft; the largest parts are node_modules\/ \(11,000 files, 1 MiB\)/,
  ],

  "app.scalingNotObject": [m.app.scalingNotObject(), /`scaling` must be an object/],
  "app.scalingNotWhole": [m.app.scalingNotWhole("maxReplicas", -1), /`scaling\.maxReplicas` must be a whole number ≥ 0; got -1/],
  "app.scaledownTooShort": [m.app.scaledownTooShort(300, 30, 10), /at least 30/],
  "app.scalingUnknownField": [m.app.scalingUnknownField("minReplicas", ["reservedCapacity"]), /unknown field `scaling\.minReplicas`/],
  "app.reservedAboveMax": [m.app.reservedAboveMax(8, 5, 5), /clamped to the platform cap of 5/],
  "app.badName": [m.app.badName("is empty"), /`name` is empty; set `name`/],
  "app.noOrganization": [m.app.noOrganization(), /ignite:organization.*DODIL_ORG/],
  "app.badOrganization": [m.app.badOrganization("is empty"), /`organization` is empty/],
  "app.descriptionNotString": [m.app.descriptionNotString(), /`description`/],
  "app.envNotMap": [m.app.envNotMap(), /`env`/],
  "app.envBadName": [m.app.envBadName("A-B"), /"A-B" is not a valid variable name/],
  "app.envNotString": [m.app.envNotString("N", "number"), /`env\.N` must be a string; got number/],
  "app.portsEmpty": [m.app.portsEmpty(), /`ports`/],
  "app.badPort": [m.app.badPort(0, 70000), /`ports\[0\]` must be a port number 1-65535; got 70000/],
  "app.duplicatePort": [m.app.duplicatePort(), /more than once/],
  "app.notBoolean": [m.app.notBoolean("adopt"), /`adopt` must be true or false/],
  "app.createFirstReplace": [m.app.createFirstReplace(), /`deleteBeforeReplace: false` cannot work for an App.*Remove the option/],
  "app.nameTaken": [m.app.nameTaken("acme-corp/greet", "greet", live), /does not manage it \(it has 2 published versions; version 1 is active\), described as "made by hand"\. It may belong to another stack.*delete it on `pulumi destroy`.*another `name`.*`adopt: true`/],
  "app.createConflict": [m.app.createConflict("acme-corp/greet"), /created after the preview.*another `name`.*`adopt: true`/],
  "app.adoptMissing": [m.app.adoptMissing("acme-corp/greet"), /does not exist, so it cannot be adopted; remove `adopt: true`/],
  "app.adoptRuntime": [m.app.adoptRuntime("acme-corp/greet", "python", "rust"), /set `runtime: "python"`/],
  "app.adopting": [m.app.adopting("adopting", "acme-corp/greet", ["scaling"]), /adopting app acme-corp\/greet; updating scaling/],
  "app.deletedBeforeUpdate": [m.app.deletedBeforeUpdate("acme-corp/greet"), /deleted outside Pulumi after the preview; run `pulumi up` again to create it again/],
  "app.noteGone": [m.app.noteGone("acme-corp/greet"), /will be created again/],
  "app.noteRuntime": [m.app.noteRuntime("acme-corp/greet", "python", "rust"), /replaced to get runtime "rust"/],
  "app.noteDrift": [
    m.app.noteDrift("acme-corp/greet", ["scaling.maxReplicas 4 → 2", "env (API_KEY changed)"]),
    /app acme-corp\/greet: changed outside Pulumi: scaling\.maxReplicas 4 → 2; env \(API_KEY changed\) \(live → this program\); `pulumi up` sets them back\. `pulumi preview --refresh --diff` shows each field .*`ignoreChanges`/,
  ],
  "app.badHealthPath": [m.app.badHealthPath("healthz"), /`healthPath` must be a path starting with "\/" \(e\.g\. "\/healthz"\), or "" for none; got "healthz"/],
  "app.adoptionPlan": [
    m.app.adoptionPlan("acme-corp/legacy", { latestVersion: 2, activeVersion: 2 }, ['description: "made by hand" → "managed now"']),
    /^adopt existing app acme-corp\/legacy \(no CreateApp; 2 published versions, version 2 active\): UpdateAppConfig sets description: "made by hand" → "managed now"$/,
  ],
  "app.returnedNothing": [m.app.returnedNothing("CreateApp", "acme-corp/greet", "app"), /CreateApp acme-corp\/greet returned no app/],

  "appRef.required": [m.appRef.required(), /`app: app`/],
  "appRef.malformed": [m.appRef.malformed("greet"), /got "greet"/],
  "appRef.missing": [m.appRef.missing("acme-corp/greet"), /does not exist; create it with an ignite\.App/],
  "checks.oneOf": [m.checks.oneOf("runtime", ["python", "rust"], "java"), /`runtime` must be one of "python", "rust"; got "java"/],

  "draft.rustWithoutRustRuntime": [m.draft.rustWithoutRustRuntime("python"), /remove `rust` or set `runtime: "rust"`/],
  "draft.rustTargetRequired": [m.draft.rustTargetRequired(), /`rust\.target` is required/],
  "draft.rustTargetInvalid": [m.draft.rustTargetInvalid("arm"), /got "arm"/],
  "draft.rustToolchainInvalid": [m.draft.rustToolchainInvalid(), /`rust\.toolchain`/],
  "draft.rustNeedsTarget": [m.draft.rustNeedsTarget(), /rust: \{ target: "native" \}/],
  "draft.runtimeMismatch": [m.draft.runtimeMismatch("acme-corp/tiny", "rust", "python", "runtime"), /App acme-corp\/tiny has runtime "rust", but this Draft saves "python" code \(because of `runtime`\); set `rust: \{ target: "native" \}`/],
  "draft.liveRuntimeMismatch": [m.draft.liveRuntimeMismatch("acme-corp/tiny", "rust", "python"), /on the platform.*pass that App as `app`/],
  "draft.upFailed": [m.draft.upFailed("./app", "acme-corp/greet", "files changed"), /Nothing was uploaded/],
  "draft.runtimeMismatchAtUp": [m.draft.runtimeMismatchAtUp("acme-corp/greet", "deno", "python"), /^ignite: app acme-corp\/greet has runtime "deno" on the platform/],
  "draft.altered": [m.draft.altered("acme-corp/greet", "sha256:a", "sha256:b"), /altered on the way/],
  "draft.compiling": [m.draft.compiling("acme-corp/tiny", "native"), /compiling the draft of acme-corp\/tiny \(Rust, native\)/],
  "draft.compileLog": [m.draft.compileLog("acme-corp/tiny", "checking Cargo.toml"), /^\[compile acme-corp\/tiny\] checking Cargo\.toml$/],
  "draft.noteGone": [m.draft.noteGone("acme-corp/greet"), /saved again/],
  "draft.noteDrift": [m.draft.noteDrift("acme-corp/greet", ["it is empty"]), /changed outside Pulumi \(it is empty\)/],
  "draft.noteNotCompiled": [m.draft.noteNotCompiled("acme-corp/tiny", "not-compiled"), /will be compiled/],
  "draft.saveReason.otherCode": [m.draft.saveReason.otherCode("sha256:a"), /other code \(sha256:a\)/],
  "draft.saveReason.otherRuntime": [m.draft.saveReason.otherRuntime("deno"), /runtime "deno"/],
  "draft.saveReason.otherRust": [m.draft.saveReason.otherRust("wasm", ""), /target "wasm"/],

  "image.refAndContext": [m.image.refAndContext(), /set `ref` \(an image to pull\) or `context`/],
  "image.needsSource": [m.image.needsSource(), /`image` needs `ref`.*or `context`/],
  "image.refInvalid": [m.image.refInvalid("\"Ghcr.io/x:\" is not an image reference; use [registry/]repository[:tag][@sha256:<digest>]"), /^`image\.ref` .*use \[registry\/\]repository/],
  "image.contextIsFile": [m.image.contextIsFile("./site/index.html"), /is a file; give the directory that holds the Dockerfile/],
  "image.dockerfileMissing": [m.image.dockerfileMissing("Dockerfile", "./site", ["deploy/Containerfile"]), /"Dockerfile" is not among the uploaded files.*\(it has deploy\/Containerfile\); give its path relative to the context/],
  "image.contextUnusable": [m.image.contextUnusable("./site", "/repo/site", "ENOENT: no such file or directory"), /cannot be used: ENOENT/],
  "image.codeAndImage": [m.image.codeAndImage(), /set either `code`.*or `image`, not both/],
  "image.rustWithImage": [m.image.rustWithImage(), /remove `rust`/],
  "image.noHash": [m.image.noHash(), /no code hash was computed for `image`/],
  "image.uploadFailed": [m.image.uploadFailed("acme-corp/site", "files changed"), /Draft `image` of acme-corp\/site: files changed\. Nothing was uploaded\./],
  "image.saveReason.holdsCode": [m.image.saveReason.holdsCode(), /holds code, not an image/],
  "image.saveReason.otherImage": [m.image.saveReason.otherImage("image ghcr.io/acme/site:1"), /^it holds image ghcr\.io\/acme\/site:1$/],

  "version.codeHashRequired": [m.version.codeHashRequired(), /draft\.codeHash/],
  "version.codeHashMalformed": [m.version.codeHashMalformed("abc"), /got "abc"/],
  "version.notAVersion": [m.version.notAVersion(0), /got 0/],
  "version.pinMissing": [m.version.pinMissing("acme-corp/greet", 99, [1, 2], true), /`version` 99 does not exist for app acme-corp\/greet \(published versions: 1, 2\); pin one of them, or remove `version`/],
  "version.pinMissingAtUp": [m.version.pinMissingAtUp("acme-corp/greet", 99, []), /published versions: none yet/],
  "version.draftHoldsOther": [m.version.draftHoldsOther("acme-corp/greet", "sha256:a", "sha256:b"), /If `codeHash` comes from anywhere else, no Draft saves that code into this app: pass `codeHash: draft\.codeHash` .* set `expectCodeHash`/],
  "version.rolling": [m.version.rolling("acme-corp/greet", 2, 1), /from version 2 to version 1/],
  "version.published": [m.version.published("acme-corp/greet", 3), /version 3/],
  "version.disappeared": [m.version.disappeared("acme-corp/greet"), /deleted outside Pulumi while publishing/],
  "version.noteGone": [m.version.noteGone("acme-corp/greet"), /published again once it is created/],
  "version.noteMovedPinned": [m.version.noteMovedPinned("acme-corp/greet", 3, 1), /set back to version 1/],
  "version.noteMoved": [m.version.noteMoved("acme-corp/greet", 3, 2), /moved to version 3 outside Pulumi; version 2, which carries the planned code, will be made active again \(RollbackVersion, no new version\)/],

  "release.reactivating": [m.release.reactivating("acme-corp/greet", 1, 2, `sha256:${"ab".repeat(32)}`), /making acme-corp\/greet version 2 active again \(it carries sha256:(ab)+…; version 1 was active\): RollbackVersion, not a new version/],

  "health.notObject": [m.health.notObject(), /`healthCheck` must be an object/],
  "health.unknownField": [m.health.unknownField("retries", ["path", "attempts"]), /unknown field `healthCheck\.retries`; the fields are path, attempts/],
  "health.badPath": [m.health.badPath("healthz"), /`healthCheck\.path` must start with "\/"/],
  "health.notString": [m.health.notString("body"), /`healthCheck\.body` must be a string/],
  "health.headersNotMap": [m.health.headersNotMap(), /`healthCheck\.headers` must be a map/],
  "health.badHeaderName": [m.health.badHeaderName("x y"), /"x y" is not a valid HTTP header name/],
  "health.authorizationHeader": [m.health.authorizationHeader(), /cannot set `authorization`: .* provider's own credentials \(`ignite:token` \/ DODIL_TOKEN/],
  "health.badStatus": [m.health.badStatus(700), /HTTP status \(100-599\) or a list of them; got 700/],
  "health.badTimeout": [m.health.badTimeout(0), /`healthCheck\.timeoutSecs` must be a number of seconds greater than 0/],
  "health.badAttempts": [m.health.badAttempts(0), /`healthCheck\.attempts` must be a whole number from 1 to 100; got 0/],
  "health.wrongStatus": [m.health.wrongStatus(500), /^answered 500 \(expected a 2xx status\)$/],
  "health.bodyMissing": [m.health.bodyMissing("ok"), /answered without "ok" in its body/],
  "health.noTimeLeft": [m.health.noTimeLeft(), /no time was left/],
  "health.noPublicUrl": [m.health.noPublicUrl(), /no public URL .* "invoke"/],
  "health.broken": [m.health.broken("socket hang up"), /connection broke before an answer \(socket hang up\)/],
  "health.noAnswerWithin": [m.health.noAnswerWithin(120_000), /^no answer within 120 s$/],
  "health.unreachable": [m.health.unreachable("ENOTFOUND", "getaddrinfo ENOTFOUND x"), /cannot be reached from here \(ENOTFOUND/],
  "health.checking": [m.health.checking("acme-corp/greet", 3, "GET", "/healthz", "https://greet-acme-corp.ignite.dodil.cloud", "auto"), /checking the health of acme-corp\/greet version 3: GET https:\/\/greet-acme-corp\.ignite\.dodil\.cloud\/healthz/],
  "health.passed": [m.health.passed("acme-corp/greet", 3, "GET https://greet-acme-corp.ignite.dodil.cloud/healthz", 2), /version 3 is healthy \(GET .*, attempt 2\)/],
  "health.failure": [
    m.health.failure({ target: "GET https://greet-acme-corp.ignite.dodil.cloud/healthz", attempts: 3, problem: "answered 500 (expected a 2xx status)", status: 500, body: '{"error": "handler.py failed to import"}', timedOut: false }, { timeoutSecs: 120 }),
    /^GET https:\/\/greet-acme-corp\.ignite\.dodil\.cloud\/healthz answered 500 \(expected a 2xx status\) after 3 attempts; body: "\{\\"error\\": \\"handler\.py failed to import\\"\}"$/,
  ],
  "health.failedRolledBack": [
    m.health.failedRolledBack("acme-corp/greet", 3, "GET … answered 500", 2),
    /version 3 failed its health check: GET … answered 500; rolled back to v2 \(the version active before\), which serves again\. .*Fix the code and run `pulumi up`: it is published as a new version .*makes version 3 active again \(RollbackVersion, no new version\)/,
  ],
  "health.failedStays": [m.health.failedStays("acme-corp/greet", 1, "GET … answered 500", false), /no earlier version to roll back to, so version 1 stays active\. Fix the code/],
  "health.rollbackFailed": [m.health.rollbackFailed("acme-corp/greet", 3, "GET … answered 500", 2, "UNAVAILABLE"), /rolling back to v2 failed too \(UNAVAILABLE\), so version 3 is still active\. .*pin `version: 2`/],

  "promotion.expectMalformed": [m.promotion.expectMalformed("abc"), /`expectCodeHash` must look like "sha256:<64 hex digits>"; got "abc"|`expectCodeHash` must look like "sha256:<64 hex digits>" \(the `codeHash` another stack exported\); got "abc"/],
  "promotion.mismatch": [
    m.promotion.mismatch("acme-corp/greet", "sha256:aaa", `sha256:${"b".repeat(64)}`, "changed handler.py; added debug.py", "app"),
    /not the verified code: `codeHash` is sha256:aaa, `expectCodeHash` is sha256:b{64}; compared with the verified manifest, the files under app that differ: changed handler\.py; added debug\.py\. Deploy the verified files: check out the commit the verifying stack deployed .*Nothing was changed\./,
  ],
  "promotion.pinMismatch": [m.promotion.pinMismatch("acme-corp/greet", 2, "sha256:aaa", "sha256:bbb"), /`version` 2 of acme-corp\/greet carries sha256:aaa, not the verified code/],
  "promotion.foreignCode": [m.promotion.foreignCode("acme-corp/greet", "sha256:aaa"), /not the `codeHash` of a Draft in this program.*pass `codeHash: draft\.codeHash`.*`expectCodeHash`/],

  "options.badTimeout": [m.options.badTimeout("create", "5 minutes"), /`customTimeouts\.create` must be a duration like "30s", "5m" or "1h30m"; got "5 minutes"/],
  "options.timedOut": [
    m.options.timedOut("create", 5, "acme-corp/greet", "ignite: CompileDraft acme-corp/greet failed: no answer"),
    /^ignite: creating acme-corp\/greet took longer than its customTimeouts\.create \(5 s\) allows, and was stopped: CompileDraft .*Raise customTimeouts\.create/,
  ],
};

/** Dotted paths of every builder function the module exports. */
function builders(obj: Record<string, unknown>, prefix = ""): string[] {
  return Object.entries(obj).flatMap(([k, v]) =>
    typeof v === "function" ? [`${prefix}${k}`] : typeof v === "object" && v !== null && !Array.isArray(v) && Object.values(v).some((x) => typeof x === "function" || typeof x === "object") ? builders(v as Record<string, unknown>, `${prefix}${k}.`) : [],
  );
}

describe("messages", () => {
  it("every builder has an example here (a new message cannot skip its test)", () => {
    expect(builders(m as unknown as Record<string, unknown>).sort()).toEqual(Object.keys(EXAMPLES).sort());
  });

  it.each(Object.entries(EXAMPLES))("%s says what it must", (_path, [text, expected]) => {
    expect(text).toMatch(expected);
  });

  const KNOWN_ENV = new Set([...Object.values(SETTINGS).flatMap((s) => s.env), "NODE_EXTRA_CA_CERTS"]);
  it.each(Object.entries(EXAMPLES))("%s names only settings that exist", (_path, [text]) => {
    for (const [key] of text.matchAll(/\bignite:[A-Za-z]+\b/g)) expect(Object.keys(SETTINGS), key).toContain(key);
    for (const [name] of text.matchAll(/\b(?:DODIL|IGNITE|NODE)_[A-Z_]+\b/g)) expect([...KNOWN_ENV], name).toContain(name);
    expect(text).not.toMatch(/timeoutMs|streamTimeoutMs/); // client options, not settings a user of the provider has
  });

  it("no connection or call message tells the user to run again what would fail the same way", () => {
    const permanent = [
      "call.reason.tooLarge",
      "code.overLimit",
      "code.finding",
      "app.nameTaken",
      "app.createConflict",
      "version.pinMissing",
      "promotion.mismatch",
      "promotion.pinMismatch",
      "promotion.foreignCode",
      "health.failedStays",
      ...Object.keys(EXAMPLES).filter((k) => k.startsWith("connection.") || k.startsWith("settings.")),
    ];
    for (const k of permanent) expect(EXAMPLES[k]![0], k).not.toMatch(/run (`?pulumi (up|preview)`? )?again|wait and/i);
    for (const code of ["RESOURCE_EXHAUSTED", "ABORTED", "INTERNAL", "UNKNOWN"]) {
      expect(m.call.hint(code, "request body of 43341206 bytes exceeds the limit of 32 MiB", ctx), code).not.toMatch(/run again|platform failed|concurrent change/i);
    }
    expect(m.call.hint("RESOURCE_EXHAUSTED", "x", ctx, "too-large")).toMatch(/refuses the same request every time/);
  });

  it("the limit messages name the limit and what weighs most", () => {
    const bytes = m.code.overLimit("./app", { limit: "bytes", actual: 40 * MiB, max: MAX_CODE_BYTES, largest: [{ path: "data/", bytes: 39 * MiB, files: 2 }, { path: "big.csv", bytes: MiB, files: 1 }] });
    expect(bytes).toMatch(/is 40 MiB to upload, over the platform's limit of 32 MiB per request; the largest parts are data\/ \(39 MiB in 2 files\), big\.csv \(1 MiB\)/);
    const justOver = m.code.overLimit("./app", { limit: "bytes", actual: MAX_CODE_BYTES + 10, max: MAX_CODE_BYTES, largest: [] });
    expect(justOver).toMatch(/with the rest of the request is over the platform's limit of 32 MiB/);
  });

  it("a message given a secret's origin never contains a secret value", () => {
    // Builders take origins, never values, for secrets: a token appears in none of the signatures.
    const text = m.connection.tokenRejected(facts, "invalid bearer token");
    expect(text).not.toMatch(/ign_|eyJ/);
  });
});
