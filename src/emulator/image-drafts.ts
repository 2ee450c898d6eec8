/**
 * SaveDraft's image branch (`code.image`, the sample apps' `--dockerfile-path`, `--git-url`,
 * `--image-ref`): what makes an image source valid, what the draft stores, and its code hash
 * (docs/contract.md, "Image sources"). Running image versions is the image runtime's
 * (runtimes/image/).
 *
 *   dockerfile_path  a Dockerfile inside context_archive (a tar, like code.compile.archive);
 *                    the draft's tree is the context; code_hash = sha256 of the archive.
 *   image_ref        a reference (image-ref.ts); no files; code_hash = its digest when pinned,
 *                    else sha256 of the reference text.
 *   git_url          a repository the platform builds (its Dockerfile at the root); the local
 *                    Ignite checks at save that it can reach it (`git ls-remote`), since a URL
 *                    it cannot reach could never build; no files; code_hash = sha256 of the URL.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { create } from "@bufbuild/protobuf";
import { ImageSourceSchema, type ImageSource } from "../gen/dodil/ignite/v1/compute_pb.js";
import { parseImageRef } from "../image-ref.js";
import { unpackArchive } from "./archive.js";
import { FailedPreconditionError, InvalidArgumentError } from "./errors.js";
import type { ResolvedOptions } from "./options.js";
import type { TreeFile } from "./store.js";

export interface CheckedImage {
  /** What code_hash is computed over (unless pinned by digest). */
  saved: Uint8Array;
  codeHash: string;
  files: TreeFile[];
  /** The source as the Draft and its versions show it: without context_archive. */
  image: ImageSource;
}

const sha256 = (data: Uint8Array): string => "sha256:" + createHash("sha256").update(data).digest("hex");

/** How long SaveDraft waits for `git ls-remote` of a git_url. */
export const GIT_REACH_TIMEOUT_MS = 15_000;

export async function checkImageSource(image: ImageSource, options: ResolvedOptions): Promise<CheckedImage> {
  const source = image.source;
  const shown = create(ImageSourceSchema, { source });
  const noContext = (what: string): void => {
    if (image.contextArchive.length > 0) {
      throw new InvalidArgumentError("code.image.context_archive", `is only used with dockerfile_path (the build context); remove it, or use dockerfile_path instead of ${what}`);
    }
  };
  switch (source.case) {
    case "dockerfilePath": {
      const dockerfile = source.value;
      if (dockerfile === "" || dockerfile.startsWith("/") || dockerfile.split("/").includes("..") || dockerfile.includes("\\")) {
        throw new InvalidArgumentError("code.image.dockerfile_path", `must be a relative path inside the build context, e.g. "Dockerfile"; got ${JSON.stringify(dockerfile)}`);
      }
      if (image.contextArchive.length === 0) {
        throw new InvalidArgumentError("code.image.context_archive", "is required with dockerfile_path: the build context as a tar (optionally gzip-compressed) holding the Dockerfile");
      }
      const files = await unpackArchive(image.contextArchive, options, "code.image.context_archive");
      const wanted = dockerfile.replace(/^\.\//, "");
      if (!files.some((f) => f.path === wanted)) {
        const found = files.filter((f) => /(^|\/)(Dockerfile|Containerfile)[^/]*$/.test(f.path)).map((f) => f.path);
        throw new InvalidArgumentError(
          "code.image.dockerfile_path",
          `${JSON.stringify(dockerfile)} is not in the build context${found.length ? ` (it has ${found.slice(0, 5).join(", ")})` : " (it has no Dockerfile)"}; give its path relative to the context's root`,
        );
      }
      shown.source = { case: "dockerfilePath", value: wanted };
      return { saved: image.contextArchive, codeHash: sha256(image.contextArchive), files, image: shown };
    }
    case "imageRef": {
      noContext("image_ref");
      const parsed = parseImageRef(source.value);
      if ("problem" in parsed) throw new InvalidArgumentError("code.image.image_ref", parsed.problem);
      const saved = Buffer.from(source.value, "utf8");
      return { saved, codeHash: parsed.digest ?? sha256(saved), files: [], image: shown };
    }
    case "gitUrl": {
      noContext("git_url");
      const url = source.value;
      if (!isGitUrl(url)) {
        throw new InvalidArgumentError(
          "code.image.git_url",
          `${JSON.stringify(url)} is not a git repository URL; use https://host/owner/repo.git (optionally #ref), ssh://…, git@host:owner/repo.git or file:///path`,
        );
      }
      await checkReachable(url);
      const saved = Buffer.from(url, "utf8");
      return { saved, codeHash: sha256(saved), files: [], image: shown };
    }
    default:
      throw new InvalidArgumentError("code.image", "set exactly one image source: dockerfile_path (with context_archive), git_url or image_ref");
  }
}

export function isGitUrl(url: string): boolean {
  if (/\s/.test(url)) return false;
  if (/^[\w.-]+@[\w.-]+:[^/].*$/.test(url)) return true; // scp-like: git@github.com:owner/repo.git
  try {
    const u = new URL(url);
    return ["https:", "http:", "ssh:", "git:", "file:"].includes(u.protocol) && (u.protocol === "file:" ? u.pathname.length > 1 : u.hostname !== "");
  } catch {
    return false;
  }
}

/** `git ls-remote` of the URL (without its #ref); a URL the local Ignite cannot reach is FAILED_PRECONDITION saying why. */
async function checkReachable(url: string): Promise<void> {
  const [repo, ref] = url.split("#", 2) as [string, string | undefined];
  const result = await new Promise<{ code: number | string | null; stderr: string; stdout: string }>((resolve) => {
    execFile(
      "git",
      ["ls-remote", "--", repo, ...(ref ? [ref] : ["HEAD"])],
      { timeout: GIT_REACH_TIMEOUT_MS, env: { ...process.env, GIT_TERMINAL_PROMPT: "0", GIT_SSH_COMMAND: "ssh -o BatchMode=yes -o ConnectTimeout=10" } },
      (err, stdout, stderr) => resolve({ code: err ? ((err as NodeJS.ErrnoException).code ?? (err.killed ? "timeout" : 1)) : 0, stderr: String(stderr), stdout: String(stdout) }),
    );
  });
  if (result.code === "ENOENT") {
    throw new FailedPreconditionError(`code.image.git_url: the local Ignite checks a git_url with git, which is not installed here; install git or use dockerfile_path with a build context`);
  }
  const why =
    result.code === 0
      ? ref && result.stdout.trim() === ""
        ? `it has no ref ${JSON.stringify(ref)}`
        : undefined
      : result.code === "timeout" || result.code === null
        ? `no answer within ${GIT_REACH_TIMEOUT_MS / 1000} s`
        : (result.stderr.trim().split("\n").filter(Boolean).pop() ?? `git ls-remote failed (${result.code})`);
  if (why !== undefined) {
    throw new FailedPreconditionError(
      `code.image.git_url: the local Ignite cannot reach ${repo} (${why.replace(/^fatal: /, "")}); the platform builds the image from that repository, so it must be reachable — check the URL and your access, or save a build context with dockerfile_path instead`,
    );
  }
}
