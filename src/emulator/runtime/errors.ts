/**
 * Errors of the runtime (pods and proxying), as the control plane's typed domain errors so
 * `toConnectError` maps them to gRPC codes in its one place; `httpStatus` is what the
 * public URL and the HTTP gateway answer, since a proxy reports a bad upstream as 502/504
 * rather than grpc-gateway's generic mapping.
 */
import { Code } from "@connectrpc/connect";
import { DomainError } from "../errors.js";

export abstract class RuntimeError extends DomainError {
  abstract override readonly httpStatus: number;
}

/** The request ran past the app timeout (or no pod was ready within the cold-start budget). */
export class InvocationTimeoutError extends RuntimeError {
  readonly code = Code.DeadlineExceeded;
  override readonly httpStatus = 504;
}

/** A request ran past the app timeout and its pod was killed (every path says it the same way). */
export function appTimeoutError(timeoutMs: number): InvocationTimeoutError {
  return new InvocationTimeoutError(`the handler did not answer within the app timeout (${timeoutMs} ms); its pod was stopped`);
}

/** The pod died while serving the request. */
export function podExitedError(cause?: unknown): PodFailedError {
  return new PodFailedError("the pod exited while handling the request; see the app logs", { cause });
}

/** The pod died, or never came up, while serving the request. */
export class PodFailedError extends RuntimeError {
  readonly code = Code.Unavailable;
  override readonly httpStatus = 502;
}

/** The pod's response body is larger than the runtime accepts. */
export class ResponseTooLargeError extends RuntimeError {
  readonly code = Code.ResourceExhausted;
  override readonly httpStatus = 502;
}

/** A public-URL request body above the local Ignite's request cap (the gateway's cap). */
export class RequestTooLargeError extends RuntimeError {
  readonly code = Code.ResourceExhausted;
  override readonly httpStatus = 413;
}

export function requestTooLarge(max: number): RequestTooLargeError {
  return new RequestTooLargeError(`the request body exceeds the local Ignite's ${max}-byte limit (the gateway's --max-request-bytes)`);
}

/**
 * The app cannot run here: no published version, or a runtime the local Ignite does not
 * execute. FAILED_PRECONDITION is HTTP 400 on every surface (contract.md), as the gateway maps it.
 */
export class NotRunnableError extends RuntimeError {
  readonly code = Code.FailedPrecondition;
  override readonly httpStatus = 400;
}
