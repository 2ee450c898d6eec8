// Connection settings from Pulumi config (`ignite:*` keys) with environment fallbacks: the
// one place that decides endpoint, organization and credentials for the provider.
import { DEFAULT_TOKEN_URL } from "./auth.js";
import { DEFAULT_ENDPOINT, DEFAULT_HTTP_ENDPOINT, resolveEndpoint } from "./endpoint.js";
import type { ClientOptions, IgniteProtocol } from "./index.js";

/**
 * Anything with `get("ignite:token")`: the dynamic provider's `configure({ config })`
 * argument (full "namespace:key" names) or a plain wrapper over a record.
 */
export interface ConfigSource {
  get(key: string): string | undefined;
}

/** Config key → environment variables consulted when the key is unset, in order. */
export const CONFIG_ENV: Readonly<Record<string, readonly string[]>> = {
  "ignite:endpoint": ["DODIL_IGNITE_ENDPOINT", "IGNITE_GRPC"],
  "ignite:organization": ["DODIL_ORG"],
  "ignite:token": ["DODIL_TOKEN"],
  "ignite:clientId": ["DODIL_CLIENT_ID"],
  "ignite:clientSecret": ["DODIL_CLIENT_SECRET"],
  "ignite:tokenUrl": ["DODIL_TOKEN_URL"],
  "ignite:insecure": ["DODIL_IGNITE_INSECURE"],
  "ignite:protocol": ["DODIL_IGNITE_PROTOCOL"],
};

export type ResolvedConnection = ClientOptions & { organization?: string };

/** Parses a boolean setting; anything unrecognised is an error rather than a silent false. */
export function parseBool(key: string, value: string): boolean {
  const v = value.trim().toLowerCase();
  if (["true", "1", "yes", "on"].includes(v)) return true;
  if (["false", "0", "no", "off", ""].includes(v)) return false;
  throw new Error(`ignite: ${key} must be true or false, got "${value}"`);
}

/** Parses ignite:protocol: "grpc" or "http" (any case); anything else is an error. */
export function parseProtocol(key: string, value: string): IgniteProtocol {
  const v = value.trim().toLowerCase();
  if (v === "grpc" || v === "http") return v;
  throw new Error(`ignite: ${key} must be "grpc" or "http", got "${value}"`);
}

/**
 * Reads the connection settings. Config wins over the environment; empty strings count as
 * unset (Pulumi config and shells both produce them). A token wins over a service account.
 */
export function resolveConnection(config: ConfigSource, env: NodeJS.ProcessEnv = process.env): ResolvedConnection {
  const read = (key: string): string | undefined => {
    const fromConfig = config.get(key);
    if (fromConfig !== undefined && fromConfig !== "") return fromConfig;
    for (const name of CONFIG_ENV[key] ?? []) {
      const v = env[name];
      if (v !== undefined && v !== "") return v;
    }
    return undefined;
  };

  // The protocol is always explicit: an "api." endpoint does not switch to http by itself.
  const protocolRaw = read("ignite:protocol");
  const protocol = protocolRaw === undefined ? undefined : parseProtocol("ignite:protocol", protocolRaw);
  const endpoint = read("ignite:endpoint") ?? (protocol === "http" ? DEFAULT_HTTP_ENDPOINT : DEFAULT_ENDPOINT);
  const insecureRaw = read("ignite:insecure");
  const insecure = insecureRaw === undefined ? false : parseBool("ignite:insecure", insecureRaw);
  // Validate here so a bad endpoint fails at configure time, naming the setting.
  resolveEndpoint(endpoint, insecure);

  const organization = read("ignite:organization");
  const token = read("ignite:token");
  const clientId = read("ignite:clientId");
  const clientSecret = read("ignite:clientSecret");
  const tokenUrl = read("ignite:tokenUrl") ?? DEFAULT_TOKEN_URL;

  const base: ResolvedConnection = {
    endpoint,
    ...(protocol ? { protocol } : {}),
    ...(insecure ? { insecure } : {}),
    ...(organization ? { organization } : {}),
  };
  if (token) return { ...base, token };
  if (clientId && !clientSecret) {
    throw new Error(
      `ignite: ignite:clientId is set ("${clientId}") but ignite:clientSecret is not: ` +
        `pulumi config set --secret ignite:clientSecret ... (or DODIL_CLIENT_SECRET)`,
    );
  }
  if (clientSecret && !clientId) {
    throw new Error(`ignite: ignite:clientSecret is set but ignite:clientId is not: pulumi config set ignite:clientId ... (or DODIL_CLIENT_ID)`);
  }
  if (clientId && clientSecret) return { ...base, serviceAccount: { clientId, clientSecret, tokenUrl } };
  throw new Error(
    `ignite: no credentials for ${endpoint}: set ignite:token (pulumi config set --secret ignite:token ...) ` +
      `or DODIL_TOKEN, or a service account (ignite:clientId + ignite:clientSecret, or DODIL_CLIENT_ID + DODIL_CLIENT_SECRET)`,
  );
}
