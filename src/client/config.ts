// Connection settings from Pulumi config (`ignite:*` keys) with environment fallbacks: the
// one place that decides endpoint, organization, credentials and the per-call deadline for the
// provider, and remembers where each value came from so messages can name it.
import * as messages from "../messages.js";
import { DEFAULT_TOKEN_URL } from "./auth.js";
import { DEFAULT_ENDPOINT, DEFAULT_HTTP_ENDPOINT, resolveEndpoint } from "./endpoint.js";
import type { ClientOptions, IgniteProtocol } from "./options.js";
import { DEFAULT_TIMEOUT_SECS, SETTINGS, readSetting, type ConfigSource, type SettingKey, type SettingSource, type SettingSources } from "./settings.js";

export type { ConfigSource } from "./settings.js";

/** Config key → environment variables consulted when the key is unset, in order. */
export const CONFIG_ENV: Readonly<Record<SettingKey, readonly string[]>> = Object.fromEntries(
  Object.entries(SETTINGS).map(([k, s]) => [k, s.env]),
) as unknown as Record<SettingKey, readonly string[]>;

export type ResolvedConnection = ClientOptions & {
  organization?: string;
  /** Where each setting in use came from (config, environment, default). */
  sources: SettingSources;
};

/** Parses a boolean setting; anything unrecognised is an error rather than a silent false. */
export function parseBool(key: SettingKey, value: string, source?: SettingSource): boolean {
  const v = value.trim().toLowerCase();
  if (["true", "1", "yes", "on"].includes(v)) return true;
  if (["false", "0", "no", "off", ""].includes(v)) return false;
  throw new Error(messages.settings.invalidBool(key, source, value));
}

/** Parses ignite:protocol: "grpc" or "http" (any case); anything else is an error. */
export function parseProtocol(key: SettingKey | string, value: string, source?: SettingSource): IgniteProtocol {
  const v = value.trim().toLowerCase();
  if (v === "grpc" || v === "http") return v;
  throw new Error(messages.settings.invalidProtocol(key as SettingKey, source, value));
}

/** Parses ignite:timeoutSecs: seconds, > 0 and at most an hour (fractions allowed); returns ms. */
export function parseTimeoutSecs(key: SettingKey, value: string, source?: SettingSource): number {
  const v = value.trim();
  const n = /^\d+(\.\d+)?$/.test(v) ? Number(v) : NaN;
  if (!(n > 0 && n <= 3600)) throw new Error(messages.settings.invalidTimeout(key, source, value));
  return Math.round(n * 1000);
}

/**
 * Reads the connection settings. Config wins over the environment; empty strings count as
 * unset (Pulumi config and shells both produce them). A token wins over a service account.
 * Throws, naming the setting and where its value came from, when one is unusable.
 */
export function resolveConnection(config: ConfigSource, env: NodeJS.ProcessEnv = process.env): ResolvedConnection {
  const sources: SettingSources = {};
  const read = (key: SettingKey): string | undefined => {
    const { value, source } = readSetting(key, config, env);
    sources[key] = source;
    return value;
  };

  // The protocol is always explicit: an "api." endpoint does not switch to http by itself.
  const protocolRaw = read("ignite:protocol");
  const protocol = protocolRaw === undefined ? undefined : parseProtocol("ignite:protocol", protocolRaw, sources["ignite:protocol"]);
  const endpoint = read("ignite:endpoint") ?? (protocol === "http" ? DEFAULT_HTTP_ENDPOINT : DEFAULT_ENDPOINT);
  const insecureRaw = read("ignite:insecure");
  const insecure = insecureRaw === undefined ? false : parseBool("ignite:insecure", insecureRaw, sources["ignite:insecure"]);
  // Validate here so a bad endpoint fails at configure time, naming the setting.
  resolveEndpoint(endpoint, insecure, messages.settingOrigin(sources["ignite:endpoint"], "ignite:endpoint"));
  const timeoutRaw = read("ignite:timeoutSecs");
  const timeoutMs = timeoutRaw === undefined ? DEFAULT_TIMEOUT_SECS * 1000 : parseTimeoutSecs("ignite:timeoutSecs", timeoutRaw, sources["ignite:timeoutSecs"]);

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
    timeoutMs,
    sources,
  };
  if (token) return { ...base, token };
  if (clientId && !clientSecret) throw new Error(messages.settings.clientSecretMissing(clientId, sources["ignite:clientId"]));
  if (clientSecret && !clientId) throw new Error(messages.settings.clientIdMissing(sources["ignite:clientSecret"]));
  if (clientId && clientSecret) return { ...base, serviceAccount: { clientId, clientSecret, tokenUrl } };
  throw new Error(messages.settings.noCredentials(endpoint));
}
