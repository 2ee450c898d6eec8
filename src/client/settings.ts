// The provider's settings: every `ignite:*` config key, the environment variables that stand
// in for it, and whether it is a secret. The one list that resolveConnection reads (the
// connection settings; `ignite:namePrefix` is read by the App in the program), the docs'
// configuration table describes, and every hint may name (a test holds hints to it). It also
// holds the one rule for reading a setting (readSetting), which the program uses too: this
// file imports nothing, so the program can read settings without loading the client.

export interface Setting {
  /** Environment variables consulted when the config key is unset, in order. */
  env: readonly string[];
  /** Set with `pulumi config set --secret`. */
  secret: boolean;
  /** A value for examples in messages. */
  example: string;
}

export const SETTINGS = {
  "ignite:endpoint": { env: ["DODIL_IGNITE_ENDPOINT", "IGNITE_GRPC"], secret: false, example: "rpc.dev.dodil.io:443" },
  "ignite:protocol": { env: ["DODIL_IGNITE_PROTOCOL"], secret: false, example: "grpc" },
  "ignite:organization": { env: ["DODIL_ORG"], secret: false, example: "acme-corp" },
  "ignite:token": { env: ["DODIL_TOKEN"], secret: true, example: "<token>" },
  "ignite:clientId": { env: ["DODIL_CLIENT_ID"], secret: false, example: "<client id>" },
  "ignite:clientSecret": { env: ["DODIL_CLIENT_SECRET"], secret: true, example: "<client secret>" },
  "ignite:tokenUrl": { env: ["DODIL_TOKEN_URL"], secret: false, example: "https://id.dev.dodil.io/realms/dodil/protocol/openid-connect/token" },
  "ignite:insecure": { env: ["DODIL_IGNITE_INSECURE"], secret: false, example: "true" },
  "ignite:timeoutSecs": { env: ["DODIL_IGNITE_TIMEOUT_SECS"], secret: false, example: "60" },
  "ignite:namePrefix": { env: ["DODIL_NAME_PREFIX"], secret: false, example: "staging-" },
} as const satisfies Record<string, Setting>;

export type SettingKey = keyof typeof SETTINGS;

/** Where a setting's value came from: the stack config, an environment variable, or nowhere (its default). */
export interface SettingSource {
  key: SettingKey;
  from: "config" | "env" | "default";
  /** The variable, when `from` is "env". */
  env?: string;
}

export type SettingSources = Partial<Record<SettingKey, SettingSource>>;

/** The per-call deadline when ignite:timeoutSecs is unset, seconds. */
export const DEFAULT_TIMEOUT_SECS = 30;

/**
 * Anything with `get("ignite:token")`: the dynamic provider's `configure({ config })`
 * argument (full "namespace:key" names) or a plain wrapper over a record.
 */
export interface ConfigSource {
  get(key: string): string | undefined;
}

/**
 * Reads one setting: the config wins over the environment, whose variables are tried in
 * order; empty strings count as unset (Pulumi config and shells both produce them). Returns
 * the value, if any, and where it came from, so messages can name it.
 */
export function readSetting(key: SettingKey, config: ConfigSource, env: NodeJS.ProcessEnv = process.env): { value?: string; source: SettingSource } {
  const fromConfig = config.get(key);
  if (fromConfig !== undefined && fromConfig !== "") return { value: fromConfig, source: { key, from: "config" } };
  for (const name of SETTINGS[key].env) {
    const v = env[name];
    if (v !== undefined && v !== "") return { value: v, source: { key, from: "env", env: name } };
  }
  return { source: { key, from: "default" } };
}

/**
 * The organization an App without `organization` belongs to: `ignite:organization`, else
 * DODIL_ORG. The one rule the program (App), the provider (`check`) and the connection
 * settings all follow.
 */
export function defaultOrganization(config: ConfigSource, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return readSetting("ignite:organization", config, env).value;
}
