// The platform's naming rules (docs/contract.md "Names and ids"): what an organization or app
// name and an environment variable name may be. One module for the program's checks (the
// resources) and the local Ignite's validation, so the two cannot drift apart; each side
// still says in its own words what is wrong. Imports nothing: the program loads it.

/**
 * A single DNS label: 1-63 lowercase letters, digits or '-', not starting or ending with
 * '-'. What the platform accepts for an organization name, and for each label of an app name.
 */
export const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** The longest app name: DNS labels joined by '.', as a DNS name, characters. */
export const MAX_APP_NAME_CHARS = 253;

/** An environment variable name: letters, digits and '_', not starting with a digit. */
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Whether `value` is a single DNS label (an organization name, or one label of an app name). */
export function isDnsLabel(value: string): boolean {
  return DNS_LABEL.test(value);
}

/**
 * Whether `value` is an app name the platform accepts: DNS labels joined by '.' (a public URL
 * writes a '.' as "-dot-", so the URL is still one label).
 */
export function isAppName(value: string): boolean {
  return value.length > 0 && value.length <= MAX_APP_NAME_CHARS && value.split(".").every(isDnsLabel);
}

/** Whether `value` is an environment variable name the platform accepts. */
export function isEnvName(value: string): boolean {
  return ENV_NAME.test(value);
}
