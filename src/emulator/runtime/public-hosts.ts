/**
 * Maps a public-URL host (`<app>-<org>[-<port>].<domain>`) back to its app. Both app names
 * and orgs may contain '-', so the label is ambiguous by itself: every split is tried
 * against the store and accepted only if the control plane's own `publicLabel` formats that
 * app back to the same label. Answers are cached until an app changes, so the request path
 * reads no disk after the first call.
 */
import type { AppMeta } from "../../gen/dodil/ignite/v1/compute_pb.js";
import type { Store } from "../store.js";
import { publicLabel } from "../validation.js";

export interface PublicTarget {
  appId: string;
  port: number;
}

export class PublicHosts {
  private readonly cache = new Map<string, Promise<PublicTarget | undefined>>();

  constructor(
    private readonly store: Store,
    private readonly domain: string,
  ) {}

  /** The DNS label when `host` (no port, lowercase) is under the public domain. */
  labelOf(host: string): string | undefined {
    const suffix = `.${this.domain}`;
    if (!host.endsWith(suffix)) return undefined;
    const label = host.slice(0, -suffix.length);
    return label && !label.includes(".") ? label : undefined;
  }

  resolve(label: string): Promise<PublicTarget | undefined> {
    let hit = this.cache.get(label);
    if (!hit) {
      hit = this.lookup(label);
      this.cache.set(label, hit);
    }
    return hit;
  }

  /** Any app change may add or remove a URL. */
  invalidate(): void {
    this.cache.clear();
  }

  private async lookup(label: string): Promise<PublicTarget | undefined> {
    for (let i = label.indexOf("-"); i > 0; i = label.indexOf("-", i + 1)) {
      const name = label.slice(0, i).split("-dot-").join(".");
      const rest = label.slice(i + 1);
      const candidates: PublicTarget[] = [{ appId: `${rest}/${name}`, port: 80 }];
      const withPort = /^(.+)-(\d{1,5})$/.exec(rest);
      if (withPort) candidates.push({ appId: `${withPort[1]}/${name}`, port: Number(withPort[2]) });
      for (const candidate of candidates) {
        const app = await this.store.getApp(candidate.appId).catch(() => undefined);
        if (app && servesLabel(app, candidate.port, label)) return candidate;
      }
    }
    return undefined;
  }
}

function servesLabel(app: AppMeta, port: number, label: string): boolean {
  const ports = app.ports.length > 0 ? app.ports : [80];
  return ports.includes(port) && publicLabel(app.organizationName, app.name, port) === label;
}
