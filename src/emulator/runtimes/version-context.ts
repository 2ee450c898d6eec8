/**
 * What a runtime plug-in is told about a published version (VersionContext), read from the
 * store: its tree, the runtime options it was saved with, and the compiled artifact stored with
 * it (a Rust binary or component; undefined for interpreted runtimes).
 */
import type { Version } from "../../gen/dodil/ignite/v1/compute_pb.js";
import type { Store } from "../store.js";
import type { VersionContext } from "./types.js";

export async function versionContext(store: Store, appId: string, number: number, version: Version | undefined): Promise<VersionContext> {
  return {
    appId,
    version: number,
    treeDir: await store.files.versionTree(appId, number),
    compileRuntime: version?.runtime,
    artifactPath: await store.files.versionArtifact(appId, number),
    ...(version?.image?.source.case ? { image: version.image } : {}),
  };
}
