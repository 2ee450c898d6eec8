/**
 * Domain errors of the local Ignite, and their one mapping onto RPC codes.
 *
 * Everything inside the emulator (store, semantics, archive, auth) throws these typed errors;
 * `toConnectError` turns them into `ConnectError`s at the edge (the service wrapper and the
 * HTTP gateway), so each wire code is chosen in exactly one place.
 */
import { Code, ConnectError } from "@connectrpc/connect";

export abstract class DomainError extends Error {
  abstract readonly code: Code;
  /**
   * The HTTP status where it differs from the gateway's mapping of `code`: a proxy reports a
   * bad upstream as 502/504 (runtime/errors.ts), a refused body as 413, a bad verb as 405.
   */
  readonly httpStatus?: number;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class UnauthenticatedError extends DomainError {
  readonly code = Code.Unauthenticated;
}

export class PermissionDeniedError extends DomainError {
  readonly code = Code.PermissionDenied;
}

export class AppNotFoundError extends DomainError {
  readonly code = Code.NotFound;
  constructor(readonly appId: string) {
    super(`app ${appId} not found`);
  }
}

export class NotFoundError extends DomainError {
  readonly code = Code.NotFound;
}

export class AlreadyExistsError extends DomainError {
  readonly code = Code.AlreadyExists;
}

/** Bad input; `field` is the request field path (proto names, dotted) that is wrong. */
export class InvalidArgumentError extends DomainError {
  readonly code = Code.InvalidArgument;
  constructor(
    readonly field: string,
    problem: string,
    options?: { cause?: unknown },
  ) {
    super(`${field}: ${problem}`, options);
  }
}

/** Malformed input that is not attributable to one field (bad JSON, corrupt gzip). */
export class MalformedInputError extends DomainError {
  readonly code = Code.InvalidArgument;
}

export class FailedPreconditionError extends DomainError {
  readonly code = Code.FailedPrecondition;
}

/** A size or count limit was hit; the message states the limit. */
export class ResourceExhaustedError extends DomainError {
  readonly code = Code.ResourceExhausted;
}

export class UnimplementedError extends DomainError {
  readonly code = Code.Unimplemented;
}

/** A known HTTP route asked with a verb it does not take. */
export class MethodNotAllowedError extends DomainError {
  readonly code = Code.Unimplemented;
  override readonly httpStatus = 405;
  constructor(
    message: string,
    /** The verbs the route takes (the Allow header). */
    readonly allowed: string[],
  ) {
    super(message);
  }
}

/** An HTTP request head above the size the local Ignite reads (64 KiB). */
export class HeadTooLargeError extends DomainError {
  readonly code = Code.ResourceExhausted;
  override readonly httpStatus = 431;
}

/** The local Ignite is not ready yet (a request that arrives while it starts). */
export class UnavailableError extends DomainError {
  readonly code = Code.Unavailable;
}

/** The single mapping from anything thrown inside the emulator to a ConnectError. */
export function toConnectError(err: unknown): ConnectError {
  if (err instanceof ConnectError) return err;
  if (err instanceof DomainError) return new ConnectError(err.message, err.code, undefined, undefined, err);
  // Anything else is a bug in the emulator: report it as INTERNAL but keep the cause.
  const message = err instanceof Error ? err.message : String(err);
  return new ConnectError(`internal error: ${message}`, Code.Internal, undefined, undefined, err);
}

/** HTTP status for a gRPC code, as google.api HTTP gateways (grpc-gateway) map them. */
export function httpStatusForCode(code: Code): number {
  switch (code) {
    case Code.Canceled:
      return 499;
    case Code.InvalidArgument:
    case Code.OutOfRange:
      return 400;
    case Code.FailedPrecondition:
      return 400;
    case Code.DeadlineExceeded:
      return 504;
    case Code.NotFound:
      return 404;
    case Code.AlreadyExists:
    case Code.Aborted:
      return 409;
    case Code.PermissionDenied:
      return 403;
    case Code.Unauthenticated:
      return 401;
    case Code.ResourceExhausted:
      return 429;
    case Code.Unimplemented:
      return 501;
    case Code.Unavailable:
      return 503;
    default:
      return 500;
  }
}

/** The google.rpc.Status-shaped JSON body the gateway answers errors with. */
export function errorBody(err: ConnectError): { code: number; message: string; details: unknown[] } {
  return { code: err.code, message: err.rawMessage, details: [] };
}

/**
 * The single mapping from anything thrown inside the emulator to an HTTP error answer: the
 * status (the error's own, else the gateway's for its code), the JSON body, and headers it
 * implies. Every HTTP surface (gateway, public URL, relay, admin, router) answers errors
 * through this, as every gRPC one through toConnectError.
 */
export function httpErrorOf(err: unknown): { status: number; body: string; headers: Record<string, string> } {
  const ce = toConnectError(err);
  const own = err instanceof DomainError ? err.httpStatus : undefined;
  const headers: Record<string, string> = err instanceof MethodNotAllowedError ? { allow: err.allowed.join(", ") } : {};
  return { status: own ?? httpStatusForCode(ce.code), body: JSON.stringify(errorBody(ce)), headers };
}
