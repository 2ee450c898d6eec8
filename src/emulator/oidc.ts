/**
 * The OIDC token endpoint for service accounts (`POST {httpUrl}/oidc/token`), as the platform's
 * identity provider serves it: form-encoded `grant_type=client_credentials`, `client_id`,
 * `client_secret` (or HTTP Basic client authentication), answering
 * `{access_token, token_type: "Bearer", expires_in}` or an OAuth 2.0 error body.
 */
import type { Authenticator } from "./auth.js";
import { UnauthenticatedError } from "./errors.js";
import type { HttpRequest, HttpResponse } from "./http-types.js";
import { readBody, sendJson } from "./http-util.js";

export const TOKEN_PATH = "/oidc/token";

export async function handleTokenRequest(req: HttpRequest, res: HttpResponse, auth: Authenticator): Promise<void> {
  const oauthError = (status: number, error: string, description: string): void =>
    sendJson(res, status, { error, error_description: description }, { "cache-control": "no-store" });
  if (req.method !== "POST") return oauthError(405, "invalid_request", "use POST");
  const form = new URLSearchParams((await readBody(req, 64 * 1024)).toString("utf8"));
  let clientId = form.get("client_id") ?? "";
  let clientSecret = form.get("client_secret") ?? "";
  const basic = /^Basic\s+(\S+)$/i.exec(req.headers.authorization ?? "");
  if (basic) {
    const [id, ...secret] = Buffer.from(basic[1]!, "base64").toString("utf8").split(":");
    clientId = decodeURIComponent(id ?? "");
    clientSecret = decodeURIComponent(secret.join(":"));
  }
  if (form.get("grant_type") !== "client_credentials") {
    return oauthError(400, "unsupported_grant_type", "only grant_type=client_credentials is supported");
  }
  try {
    sendJson(res, 200, auth.issueToken(clientId, clientSecret), { "cache-control": "no-store" });
  } catch (err) {
    if (err instanceof UnauthenticatedError) return oauthError(401, "invalid_client", err.message);
    throw err;
  }
}
