/**
 * Validation and defaulting of request fields, straight from the platform pages: name rules,
 * the ScalingConfig defaults/clamps, ports, env, and the public-URL format. Errors name the
 * request field (proto names, dotted) and the rule.
 */
import { create } from "@bufbuild/protobuf";
import { ScaleMetric, ScalingConfigSchema, type ScalingConfig } from "../gen/dodil/ignite/v1/compute_pb.js";
import { InvalidArgumentError } from "./errors.js";
import type { ResolvedOptions } from "./options.js";
import { MIN_SCALEDOWN_SECS, SCALING_DEFAULTS } from "../scaling-defaults.js";
import { isAppName, isDnsLabel, isEnvName } from "../names.js";

const LABEL_RULE = "must be a DNS label: 1-63 lowercase letters, digits or '-', not starting or ending with '-'";

export const DEFAULT_PORTS = [80];

export function validateOrgName(org: string, field = "organization_name"): void {
  if (!isDnsLabel(org)) throw new InvalidArgumentError(field, `${JSON.stringify(org)} ${LABEL_RULE}`);
}

/**
 * App names are DNS labels; dots are allowed between labels because the public URL encodes a
 * '.' as "-dot-" (so the URL is still one label).
 */
export function validateAppName(name: string, field = "name"): void {
  if (!isAppName(name)) {
    throw new InvalidArgumentError(
      field,
      `${JSON.stringify(name)} ${LABEL_RULE} (several such labels may be joined by '.')`,
    );
  }
}

/** The effective ScalingConfig: defaults applied, platform cap and KEDA minimum enforced. */
export function applyScalingDefaults(input: ScalingConfig | undefined, options: Pick<ResolvedOptions, "maxReplicasCap">, field = "scaling"): ScalingConfig {
  const s = input ?? create(ScalingConfigSchema);
  const nonNegative = (value: number, name: string): number => {
    if (value < 0) throw new InvalidArgumentError(`${field}.${name}`, `must be >= 0, got ${value}`);
    return value;
  };
  const reserved = nonNegative(s.reservedCapacity, "reserved_capacity");
  const maxReplicas = Math.min(nonNegative(s.maxReplicas, "max_replicas") || SCALING_DEFAULTS.maxReplicas, options.maxReplicasCap);
  const threshold = nonNegative(s.scaleThreshold, "scale_threshold") || SCALING_DEFAULTS.scaleThreshold;
  const scaledown = Math.max(nonNegative(s.scaledownPeriodSecs, "scaledown_period_secs") || SCALING_DEFAULTS.scaledownPeriodSecs, MIN_SCALEDOWN_SECS);
  let metric = s.scaleMetric;
  if (metric === ScaleMetric.UNSPECIFIED) metric = ScaleMetric.REQUEST_RATE;
  if (metric !== ScaleMetric.REQUEST_RATE && metric !== ScaleMetric.CONCURRENCY) {
    throw new InvalidArgumentError(`${field}.scale_metric`, `unknown value ${metric}; use SCALE_METRIC_REQUEST_RATE or SCALE_METRIC_CONCURRENCY`);
  }
  if (reserved > maxReplicas) {
    throw new InvalidArgumentError(
      `${field}.reserved_capacity`,
      `${reserved} is more than the effective max_replicas ${maxReplicas} (min(max_replicas, platform cap ${options.maxReplicasCap})); lower reserved_capacity`,
    );
  }
  return create(ScalingConfigSchema, {
    reservedCapacity: reserved,
    maxReplicas,
    scaleMetric: metric,
    scaleThreshold: threshold,
    scaledownPeriodSecs: scaledown,
  });
}

export function validatePorts(ports: readonly number[], field = "ports"): number[] {
  if (ports.length === 0) return [...DEFAULT_PORTS];
  const seen = new Set<number>();
  ports.forEach((port, i) => {
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      throw new InvalidArgumentError(`${field}[${i}]`, `${port} is not a TCP port (1-65535)`);
    }
    if (seen.has(port)) throw new InvalidArgumentError(`${field}[${i}]`, `port ${port} is declared twice`);
    seen.add(port);
  });
  return [...ports];
}

export function validateEnv(env: Record<string, string>, field = "env"): void {
  for (const key of Object.keys(env)) {
    if (!isEnvName(key)) {
      throw new InvalidArgumentError(`${field}.${key}`, "environment variable names are letters, digits and '_', not starting with a digit");
    }
  }
}

export function validateHealthPath(p: string, field = "health_path"): void {
  if (p !== "" && !p.startsWith("/")) throw new InvalidArgumentError(field, `${JSON.stringify(p)} must start with '/'`);
}

/**
 * A Rust toolchain pin (seed 003: `--toolchain <ver>`): a rustup channel (`stable`, `beta`,
 * `nightly`, optionally dated `nightly-2026-01-15`) or a release (`1.95` or `1.95.0`), with an
 * optional host triple as rustup names them (`1.95.0-x86_64-unknown-linux-gnu`); empty means
 * the platform's current toolchain. Whether it is installed is the compile's business.
 */
export function validateToolchain(toolchain: string, field = "code.compile.runtime.rust.toolchain"): void {
  if (toolchain === "") return;
  // rustup's names: a channel or version, an optional date, an optional host triple.
  if (!/^(stable|beta|nightly|\d+\.\d+(\.\d+)?)(-\d{4}-\d{2}-\d{2})?(-[a-z0-9_]+(-[a-z0-9_.]+){1,3})?$/.test(toolchain)) {
    throw new InvalidArgumentError(
      field,
      `${JSON.stringify(toolchain)} is not a Rust toolchain: use a channel (stable, beta, nightly, nightly-YYYY-MM-DD) or a version (1.95.0), or leave it empty for the platform's current one`,
    );
  }
}

/** The DNS label of an app's public URL: `<app>-<org>` for port 80, `<app>-<org>-<port>` otherwise. */
export function publicLabel(org: string, name: string, port: number): string {
  const app = name.split(".").join("-dot-");
  return port === 80 ? `${app}-${org}` : `${app}-${org}-${port}`;
}

/** One URL per port, in ports order; empty until the first publish (active_version > 0). */
export function publicUrls(
  app: { organizationName: string; name: string; ports: readonly number[]; activeVersion: number },
  options: Pick<ResolvedOptions, "domain" | "publicScheme" | "publicPort">,
): string[] {
  if (app.activeVersion <= 0) return [];
  const defaultPort = options.publicScheme === "https" ? 443 : 80;
  const suffix = options.publicPort === undefined || options.publicPort === defaultPort ? "" : `:${options.publicPort}`;
  const ports = app.ports.length > 0 ? app.ports : DEFAULT_PORTS;
  return ports.map((port) => `${options.publicScheme}://${publicLabel(app.organizationName, app.name, port)}.${options.domain}${suffix}`);
}
