// The provider's settings: every `ignite:*` config key, the environment variables that stand
// in for it, and whether it is a secret. The one list that resolveConnection reads (the
// connection settings; `ignite:namePrefix` is read by the App in the program), the docs'
// configuration table describes, and every hint may name (a test holds hints to it).

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
