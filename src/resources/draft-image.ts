// A Draft's image source (`image: { ref }` or `image: { context, dockerfile }`), instead of
// `code` (issue 15; the sample apps' `--image-ref` and `--dockerfile-path`). The same rules as
// code: the program computes the manifest and the code hash, so `pulumi preview --diff` names
// the changed files of a build context; the provider saves the draft only when the live one
// holds another image. The code hash is the context's hash (the same deterministic archive as
// code), or the reference's digest when it is pinned by digest (image-ref.ts).
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { collectCodeSet, verifyCodeSet } from "../code/index.js";
import { imageRefCodeHash, parseImageRef } from "../image-ref.js";
import * as messages from "../messages.js";
import type { Failures, PlainDraft } from "./common.js";

export interface ImageArgs {
  /**
   * An image reference the platform pulls, `[registry/]repository[:tag][@sha256:<digest>]`.
   * Pin it by digest for a reproducible deploy: a tag can move without the program seeing it.
   * Set either `ref` or `context`.
   * @default none
   * @example "ghcr.io/acme/greet@sha256:4f1c…"
   */
  ref?: pulumi.Input<string>;
  /**
   * The build context: a directory, relative to the Pulumi project, uploaded like `code` (the
   * Draft's `include` / `exclude` and `.igniteignore` apply) and built by the platform.
   * @default none
   * @example "./greet"
   */
  context?: pulumi.Input<string>;
  /**
   * The Dockerfile, relative to `context`.
   * @default "Dockerfile"
   * @example "deploy/Containerfile"
   */
  dockerfile?: pulumi.Input<string>;
}

/** The image inputs the provider receives: a reference, or a context (relative to the project, "/" separators) and its Dockerfile. */
export type ImageInputs = { ref: string } | { context: string; dockerfile: string };

/** What the program computes for an image source (the same fields `code` fills). */
export interface DescribedImage {
  /** The normalized source; as given when it cannot be used (codeProblem says why). */
  image: ImageInputs | ImageArgsPlain;
  code: string;
  manifest: Record<string, string>;
  codeHash: string;
  sourceKind: string;
  codeProblem?: string;
}

type ImageArgsPlain = { ref?: string; context?: string; dockerfile?: string };

/** Reads the image source like describeCode reads code: the manifest and code hash, or why not. */
export async function describeImage(args: {
  image: ImageArgsPlain;
  include?: string[];
  exclude?: string[];
  cwd?: string;
}): Promise<DescribedImage> {
  const { ref, context, dockerfile } = args.image;
  const problem = (message: string): DescribedImage => ({ image: args.image, code: "", manifest: {}, codeHash: "", sourceKind: "image", codeProblem: message });
  if (ref !== undefined && (context !== undefined || dockerfile !== undefined)) {
    return problem(messages.image.refAndContext());
  }
  if (ref !== undefined) {
    const parsed = parseImageRef(ref);
    if ("problem" in parsed) return problem(messages.image.refInvalid(parsed.problem));
    return { image: { ref }, code: "", manifest: {}, codeHash: imageRefCodeHash(ref), sourceKind: "image" };
  }
  if (context === undefined || context === "") {
    return problem(messages.image.needsSource());
  }
  const cwd = args.cwd ?? process.cwd();
  const abs = path.resolve(cwd, context);
  const rel = path.relative(cwd, abs).split(path.sep).join("/") || ".";
  const file = (dockerfile ?? "Dockerfile").replace(/^\.\//, "");
  try {
    const set = await collectCodeSet({ path: abs, include: args.include, exclude: args.exclude });
    if (set.kind !== "directory") return problem(messages.image.contextIsFile(context));
    if (!(file in set.manifest)) {
      const found = Object.keys(set.manifest).filter((p) => /(^|\/)(Dockerfile|Containerfile)[^/]*$/.test(p));
      return problem(messages.image.dockerfileMissing(file, context, found));
    }
    return { image: { context: rel, dockerfile: file }, code: "", manifest: set.manifest, codeHash: set.codeHash, sourceKind: "image" };
  } catch (err) {
    return problem(messages.image.contextUnusable(context, abs, (err as Error).message));
  }
}

/** check(): the image and the other inputs a Draft with an image cannot have. */
export function checkImageInputs(f: Failures, news: Record<string, unknown>): void {
  if (news.code !== undefined && news.code !== "") f.add("image", messages.image.codeAndImage());
  if (news.rust !== undefined && news.rust !== null) f.add("rust", messages.image.rustWithImage());
}

/** The bytes an image source uploads (the context's archive), re-read and checked against what the preview planned. */
export async function imageUpload(image: ImageInputs, i: { include: string[]; exclude: string[]; manifest: Record<string, string>; codeHash: string }): Promise<{ dockerfilePath: string; contextArchive: Uint8Array } | { imageRef: string }> {
  if ("ref" in image) return { imageRef: image.ref };
  const set = await collectCodeSet({ path: path.resolve(process.cwd(), image.context), include: i.include, exclude: i.exclude, keepBytes: true });
  return { dockerfilePath: image.dockerfile, contextArchive: await verifyCodeSet(set, i.codeHash, { plannedManifest: i.manifest }) };
}

/** Whether the live draft holds another image source (the code hash alone does not say: two references may share a digest). */
export function imageSaveReasons(image: ImageInputs, live: PlainDraft): string[] {
  if (!live.image) return live.codeHash ? [messages.image.saveReason.holdsCode()] : [];
  const wanted = "ref" in image ? { ref: image.ref } : { dockerfile: image.dockerfile };
  const held = live.image.ref !== undefined ? { ref: live.image.ref } : { dockerfile: live.image.dockerfile };
  return JSON.stringify(wanted) === JSON.stringify(held)
    ? []
    : [messages.image.saveReason.otherImage(held.ref !== undefined ? `image ${held.ref}` : `a build of ${held.dockerfile ?? "a git repository"}`)];
}
