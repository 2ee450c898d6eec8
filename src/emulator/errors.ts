/**
 * Domain errors of the local Ignite, and their one mapping onto RPC codes.
 *
 * Everything inside the emulator (store, semantics, archive, auth) throws these typed errors;
 * `toConnectError` turns them into `ConnectError`s at the edge (the service wrapper and the
 * HTTP gateway), so each wire code is chosen in exactly one place.
 */
import { Code, ConnectError } from "@connectrpc/connect";

export abstract class IgniteError extends Error {
  abstract readonly code: Code;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class UnauthenticatedError extends IgniteError {
  readonly code = Code.Unauthenticated;
}

export class PermissionDeniedError extends IgniteError {
  readonly code = Code.PermissionDenied;
}

export class AppNotFoundError extends IgniteError {
  readonly code = Code.NotFound;
  constructor(readonly appId: string) {
    super(`app ${appId} not found`);
  }
}

export class NotFoundError extends IgniteError {
  readonly code = Code.NotFound;
}

export class AlreadyExistsError extends IgniteError {
  readonly code = Code.AlreadyExists;
}

/** Bad input; `field` is the request field path (proto names, dotted) that is wrong. */
export class InvalidArgumentError extends IgniteError {
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
export class MalformedInputError extends IgniteError {
  readonly code = Code.InvalidArgument;
}

export class FailedPreconditionError extends IgniteError {
  readonly code = Code.FailedPrecondition;
}

/** A size or count limit was hit; the message states the limit. */
export class ResourceExhaustedError extends IgniteError {
  readonly code = Code.ResourceExhausted;
}

export class UnimplementedError extends IgniteError {
  readonly code = Code.Unimplemented;
}

/** The single mapping from anything thrown inside the emulator to a ConnectError. */
export function toConnectError(err: unknown): ConnectError {
  if (err instanceof ConnectError) return err;
  if (err instanceof IgniteError) return new ConnectError(err.message, err.code, undefined, undefined, err);
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
