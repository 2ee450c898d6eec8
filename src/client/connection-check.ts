// The connection check: one read-only, authenticated call (ListApps, one app, one attempt)
// that tells at preview whether the endpoint, the protocol, the credentials and the
// organization work together — instead of letting `up` find out after it has created things.
// Each way it can fail gets its own message, naming the setting and where its value came from.
import { Code } from "@connectrpc/connect";
import * as messages from "../messages.js";
import type { IgniteClient } from "./client.js";
import type { ResolvedConnection } from "./config.js";
import { IgniteError } from "./errors.js";
import { DEFAULT_TIMEOUT_SECS } from "./settings.js";

/** Facts about the connection in use, for the messages. */
export function connectionFacts(conn: ResolvedConnection, organization: string, organizationOrigin: string): messages.ConnectionFacts {
  return {
    endpoint: conn.endpoint,
    protocol: conn.protocol ?? "grpc",
    organization,
    organizationOrigin,
    auth: conn.token || !conn.serviceAccount
      ? { kind: "token" }
      : { kind: "serviceAccount", clientId: conn.serviceAccount.clientId, tokenUrl: conn.serviceAccount.tokenUrl },
    timeoutMs: conn.timeoutMs ?? DEFAULT_TIMEOUT_SECS * 1000,
    sources: conn.sources,
  };
}

/** The message for a failed check call. */
export function describeConnectionFailure(err: unknown, f: messages.ConnectionFacts): string {
  if (!(err instanceof IgniteError)) return messages.connection.other(f, err instanceof Error ? err.message : String(err));
  const sa = f.auth.kind === "serviceAccount" ? (f as messages.ConnectionFacts & { auth: { kind: "serviceAccount" } }) : undefined;
  if (err.method === "token exchange" && sa) {
    return err.code === Code.Unavailable ? messages.connection.tokenUrlUnreachable(sa, err.reason) : messages.connection.serviceAccountRefused(sa, err.reason);
  }
  if (err.code === Code.Unauthenticated) return sa ? messages.connection.serviceAccountTokenRejected(sa, err.reason) : messages.connection.tokenRejected(f, err.reason);
  if (err.code === Code.PermissionDenied) return messages.connection.permissionDenied(f, err.reason);
  if (err.code === Code.DeadlineExceeded) return messages.connection.timedOut(f);
  if (err.transport || err.code === Code.Unavailable || err.code === Code.Unimplemented) return messages.connection.unreachable(f, err.reason, err.hint);
  return messages.connection.other(f, err.message);
}

/**
 * Calls ListApps(organization, one app) once, without retries, within the per-call deadline.
 * Resolves to undefined when the connection works, else to the message saying why not.
 */
export async function checkConnection(client: IgniteClient, conn: ResolvedConnection, organization: string, organizationOrigin: string): Promise<string | undefined> {
  try {
    await client.listApps({ organizationName: organization, pageSize: 1 }, { attempts: 1 });
    return undefined;
  } catch (err) {
    return describeConnectionFailure(err, connectionFacts(conn, organization, organizationOrigin));
  }
}
