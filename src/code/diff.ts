// manifestDiff: which files a code change adds, removes or changes, for provider diffs and
// for the "files changed after preview" error.

export interface ManifestDiff {
  added: string[];
  removed: string[];
  changed: string[];
}

/** Compares two path → "sha256:<hex>" manifests; each list is sorted. */
export function manifestDiff(oldManifest: Record<string, string>, newManifest: Record<string, string>): ManifestDiff {
  const added: string[] = [];
  const removed: string[] = [];
  const changed: string[] = [];
  for (const [p, h] of Object.entries(newManifest)) {
    if (!Object.prototype.hasOwnProperty.call(oldManifest, p)) added.push(p);
    else if (oldManifest[p] !== h) changed.push(p);
  }
  for (const p of Object.keys(oldManifest)) {
    if (!Object.prototype.hasOwnProperty.call(newManifest, p)) removed.push(p);
  }
  return { added: added.sort(), removed: removed.sort(), changed: changed.sort() };
}

/** "changed a.py, b.py; added c.py" (empty string when nothing differs). */
export function describeManifestDiff(d: ManifestDiff, max = 10): string {
  const part = (label: string, paths: string[]) =>
    paths.length === 0 ? [] : [`${label} ${paths.slice(0, max).join(", ")}${paths.length > max ? ` and ${paths.length - max} more` : ""}`];
  return [...part("changed", d.changed), ...part("added", d.added), ...part("removed", d.removed)].join("; ");
}
