// IgniteClient: one typed method per ComputeService RPC (each through the call runner for
// deadlines, retries and error mapping), plus the conveniences the resources need.
import type { DescMessage, MessageInitShape } from "@bufbuild/protobuf";
import { Code, type Client } from "@connectrpc/connect";
import {
  CompileState,
  ComputeService,
  type AppMeta,
  type CompileLogLine,
  type CreateAppRequestSchema,
  type CreateAppResponse,
  type DeleteAppRequestSchema,
  type DeleteAppResponse,
  type Draft,
  type GetAppRequestSchema,
  type GetAppResponse,
  type GetDraftRequestSchema,
  type GetDraftResponse,
  type CompileDraftRequestSchema,
  type CompileDraftResponse,
  type GetExecutionRequestSchema,
  type GetExecutionResponse,
  type GetExecutionStatsRequestSchema,
  type GetExecutionStatsResponse,
  type InvokeAsyncResponse,
  type InvokeRequestSchema,
  type InvokeResponse,
  type ListAppsRequestSchema,
  type ListAppsResponse,
  type ListVersionsRequestSchema,
  type ListVersionsResponse,
  type PublishDraftRequestSchema,
  type PublishDraftResponse,
  type RollbackVersionRequestSchema,
  type RollbackVersionResponse,
  type SaveDraftRequestSchema,
  type SaveDraftResponse,
  type StreamCompileLogsRequestSchema,
  type UpdateAppConfigRequestSchema,
  type UpdateAppConfigResponse,
  type WatchExecutionRequestSchema,
  type WatchExecutionResponse,
} from "../gen/dodil/ignite/v1/compute_pb.js";
import { decodeJwtClaims, organizationsFromClaims, type TokenSource } from "./auth.js";
import type { AttemptOptions, CallOptions, CallRunner, CallTarget } from "./call.js";
import * as messages from "../messages.js";
import { IgniteError } from "./errors.js";
import type { IgniteMethod } from "./retry.js";

/** A protobuf-es init object: plain fields, no $typeName needed. */
type Init<S extends DescMessage> = MessageInitShape<S>;

/** Options for waitForCompile. */
export interface WaitForCompileOptions extends CallOptions {
  /** Called for every compile log line as it arrives. */
  onLog?: (line: string) => void;
  /** Lines of log kept for the error on FAILED. @default 20 */
  tailLines?: number;
}

const TERMINAL_COMPILE_STATES = new Set([CompileState.SUCCEEDED, CompileState.FAILED, CompileState.NOT_REQUIRED]);

/** The app a request is about, "<org>/<name>", for messages; undefined when it names none. */
function appIdOf(req: { organizationName?: string; appName?: string; name?: string }): string | undefined {
  const name = req.appName ?? req.name;
  return req.organizationName && name ? `${req.organizationName}/${name}` : undefined;
}

type Raw = Client<typeof ComputeService>;
/** An RPC by its method name on the generated client ("createApp"). */
type Rpc = keyof Raw & string;
type RequestOf<K extends Rpc> = Parameters<Raw[K]>[0];
type ResponseOf<K extends Rpc> = Raw[K] extends (...args: never[]) => Promise<infer O> ? O : never;
type FrameOf<K extends Rpc> = Raw[K] extends (...args: never[]) => AsyncIterable<infer O> ? O : never;

/** The RPC's name in the contract ("CreateApp"), from the service descriptor: what retries and messages key on. */
const methodOf = (rpc: Rpc): IgniteMethod => ComputeService.method[rpc].name as IgniteMethod;

export interface IgniteClientParts {
  raw: Client<typeof ComputeService>;
  runner: CallRunner;
  tokens?: TokenSource;
  timeoutMs: number;
  streamTimeoutMs: number;
  close: () => void;
}

export class IgniteClient {
  constructor(private readonly parts: IgniteClientParts) {}

  /** The runner, for diagnostics (attempt counts per method). */
  get runner(): CallRunner {
    return this.parts.runner;
  }

  /**
   * A unary RPC through the runner (deadline, retries, error mapping). The contract's method
   * name comes from the descriptor; the app named in messages, from the request unless given.
   */
  private unary<K extends Rpc>(rpc: K, req: RequestOf<K>, opts: CallOptions | undefined, appId = appIdOf(req as object)): Promise<ResponseOf<K>> {
    const call = this.parts.raw[rpc] as unknown as (req: RequestOf<K>, o: AttemptOptions) => Promise<ResponseOf<K>>;
    const target: CallTarget = { method: methodOf(rpc), appId };
    return this.parts.runner.unary(target, opts?.timeoutMs ?? this.parts.timeoutMs, (o) => call(req, o), opts?.signal, opts?.attempts);
  }

  /** A server stream through the runner, as `unary`; its default deadline is streamTimeoutMs. */
  private stream<K extends Rpc>(rpc: K, req: RequestOf<K>, opts: CallOptions | undefined, appId = appIdOf(req as object)): AsyncGenerator<FrameOf<K>> {
    const call = this.parts.raw[rpc] as unknown as (req: RequestOf<K>, o: AttemptOptions) => AsyncIterable<FrameOf<K>>;
    const target: CallTarget = { method: methodOf(rpc), appId };
    return this.parts.runner.stream(target, opts?.timeoutMs ?? this.parts.streamTimeoutMs, (o) => call(req, o), opts?.signal, opts?.attempts);
  }

  // ---- apps -------------------------------------------------------------------------

  createApp(req: Init<typeof CreateAppRequestSchema>, opts?: CallOptions): Promise<CreateAppResponse> {
    return this.unary("createApp", req, opts);
  }

  getApp(req: Init<typeof GetAppRequestSchema>, opts?: CallOptions): Promise<GetAppResponse> {
    return this.unary("getApp", req, opts);
  }

  listApps(req: Init<typeof ListAppsRequestSchema>, opts?: CallOptions): Promise<ListAppsResponse> {
    return this.unary("listApps", req, opts, req.organizationName);
  }

  updateAppConfig(req: Init<typeof UpdateAppConfigRequestSchema>, opts?: CallOptions): Promise<UpdateAppConfigResponse> {
    return this.unary("updateAppConfig", req, opts);
  }

  deleteApp(req: Init<typeof DeleteAppRequestSchema>, opts?: CallOptions): Promise<DeleteAppResponse> {
    return this.unary("deleteApp", req, opts);
  }

  // ---- the draft --------------------------------------------------------------------

  saveDraft(req: Init<typeof SaveDraftRequestSchema>, opts?: CallOptions): Promise<SaveDraftResponse> {
    return this.unary("saveDraft", req, opts);
  }

  getDraft(req: Init<typeof GetDraftRequestSchema>, opts?: CallOptions): Promise<GetDraftResponse> {
    return this.unary("getDraft", req, opts);
  }

  compileDraft(req: Init<typeof CompileDraftRequestSchema>, opts?: CallOptions): Promise<CompileDraftResponse> {
    return this.unary("compileDraft", req, opts);
  }

  /** Compile log lines; with `follow`, until the compile ends. Default deadline: streamTimeoutMs. */
  streamCompileLogs(req: Init<typeof StreamCompileLogsRequestSchema>, opts?: CallOptions): AsyncGenerator<CompileLogLine> {
    return this.stream("streamCompileLogs", req, opts);
  }

  publishDraft(req: Init<typeof PublishDraftRequestSchema>, opts?: CallOptions): Promise<PublishDraftResponse> {
    return this.unary("publishDraft", req, opts);
  }

  // ---- versions ---------------------------------------------------------------------

  listVersions(req: Init<typeof ListVersionsRequestSchema>, opts?: CallOptions): Promise<ListVersionsResponse> {
    return this.unary("listVersions", req, opts);
  }

  rollbackVersion(req: Init<typeof RollbackVersionRequestSchema>, opts?: CallOptions): Promise<RollbackVersionResponse> {
    return this.unary("rollbackVersion", req, opts);
  }

  // ---- invocation -------------------------------------------------------------------

  /** Invoke frames: head, chunks, trailer. Never retried (the handler would run twice). */
  invoke(req: Init<typeof InvokeRequestSchema>, opts?: CallOptions): AsyncGenerator<InvokeResponse> {
    return this.stream("invoke", req, opts);
  }

  invokeAsync(req: Init<typeof InvokeRequestSchema>, opts?: CallOptions): Promise<InvokeAsyncResponse> {
    return this.unary("invokeAsync", req, opts);
  }

  getExecution(req: Init<typeof GetExecutionRequestSchema>, opts?: CallOptions): Promise<GetExecutionResponse> {
    return this.unary("getExecution", req, opts, `execution ${req.executionId ?? ""}`);
  }

  watchExecution(req: Init<typeof WatchExecutionRequestSchema>, opts?: CallOptions): AsyncGenerator<WatchExecutionResponse> {
    return this.stream("watchExecution", req, opts, `execution ${req.executionId ?? ""}`);
  }

  getExecutionStats(req: Init<typeof GetExecutionStatsRequestSchema>, opts?: CallOptions): Promise<GetExecutionStatsResponse> {
    return this.unary("getExecutionStats", req, opts);
  }

  // ---- conveniences -----------------------------------------------------------------

  /** The app, or undefined when it does not exist (what `read` and `create` need). */
  async getAppOrUndefined(organizationName: string, appName: string, opts?: CallOptions): Promise<AppMeta | undefined> {
    try {
      return (await this.getApp({ organizationName, appName }, opts)).app;
    } catch (err) {
      if (err instanceof IgniteError && err.code === Code.NotFound) return undefined;
      throw err;
    }
  }

  /**
   * Follows the compile log until the compile ends and returns the final Draft.
   * Throws IgniteError (FAILED_PRECONDITION) with the log tail when the compile FAILED, or
   * when no compile was started. Deadline: opts.timeoutMs, default streamTimeoutMs.
   */
  async waitForCompile(organizationName: string, appName: string, opts: WaitForCompileOptions = {}): Promise<Draft> {
    const appId = `${organizationName}/${appName}`;
    const tailLines = opts.tailLines ?? 20;
    const tail: string[] = [];
    const deadline = Date.now() + (opts.timeoutMs ?? this.parts.streamTimeoutMs);
    let seen = 0;
    for (;;) {
      // A follow stream that ends early (a server restart, a proxy idle timeout) is
      // re-opened; the server replays the log from the start, so skip what was seen.
      let index = 0;
      const remaining = Math.max(1, deadline - Date.now());
      try {
        for await (const line of this.streamCompileLogs({ organizationName, appName, follow: true }, { timeoutMs: remaining, signal: opts.signal })) {
          if (index++ < seen) continue;
          seen++;
          opts.onLog?.(line.line);
          tail.push(line.line);
          if (tail.length > tailLines) tail.shift();
        }
      } catch (err) {
        // The stream broke after some lines (the runner retries only before the first):
        // the compile goes on server-side, so check its state and follow again.
        if (!(err instanceof IgniteError && err.code === Code.Unavailable)) throw err;
      }
      const draft = (await this.getDraft({ organizationName, appName }, { signal: opts.signal })).draft;
      const state = draft?.compileState ?? CompileState.UNSPECIFIED;
      if (draft && (state === CompileState.SUCCEEDED || state === CompileState.NOT_REQUIRED)) return draft;
      if (state === CompileState.FAILED) {
        throw new IgniteError({
          code: Code.FailedPrecondition,
          method: "CompileDraft",
          appId,
          reason: messages.call.compileFailed(draft?.compileError ?? ""),
          hint: messages.call.compileFailedHint(tail),
        });
      }
      if (!TERMINAL_COMPILE_STATES.has(state) && state !== CompileState.COMPILING) {
        throw new IgniteError({
          code: Code.FailedPrecondition,
          method: "CompileDraft",
          appId,
          reason: messages.call.noCompileRunning(CompileState[state] ?? String(state)),
          hint: messages.call.noCompileRunningHint(),
        });
      }
      if (Date.now() >= deadline) {
        throw new IgniteError({
          code: Code.DeadlineExceeded,
          method: "CompileDraft",
          appId,
          reason: messages.call.compileTimedOut(),
          hint: messages.call.compileTimedOutHint(),
        });
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  /**
   * The `authorization` header value this client sends ("Bearer …"), for calling an app's
   * public URL as the same identity (public URLs check the bearer token and the org, seed 002);
   * undefined without credentials. Never log it.
   */
  async authorization(): Promise<string | undefined> {
    return this.parts.tokens ? `Bearer ${await this.parts.tokens.token()}` : undefined;
  }

  /** Values every message about this client's calls must have scrubbed (tokens, client secrets). */
  get secrets(): readonly string[] {
    return this.parts.tokens?.secrets ?? [];
  }

  /** The per-call deadline this client applies, ms. */
  get timeoutMs(): number {
    return this.parts.timeoutMs;
  }

  /**
   * Organization names carried by the current token's `organization` claim (empty when
   * the token is not a JWT or has no such claim). Lets a program default its organization.
   */
  async tokenOrganizations(): Promise<string[]> {
    if (!this.parts.tokens) return [];
    return organizationsFromClaims(decodeJwtClaims(await this.parts.tokens.token()));
  }

  /** Closes the connection(s): the HTTP/2 session, or the gateway's keep-alive pool; in-flight calls fail. */
  close(): void {
    this.parts.close();
  }
}
