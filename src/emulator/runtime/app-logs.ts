/**
 * Per-app logs: everything a pod writes (prints, tracebacks, pip output) is appended to
 * `<data-plane dir>/logs/<org>/<app>.log` and echoed to the emulator's log with the app id.
 * Streams are opened once per app, so the request path never opens files.
 */
import * as fs from "node:fs";
import * as path from "node:path";

export class AppLogs {
  private readonly streams = new Map<string, fs.WriteStream>();

  constructor(
    private readonly root: string,
    private readonly log: (line: string) => void,
  ) {}

  /** Absolute path of an app's log file. */
  fileFor(appId: string): string {
    return path.join(this.root, ...appId.split("/")) + ".log";
  }

  writerFor(appId: string): (chunk: string) => void {
    return (chunk: string) => {
      let stream = this.streams.get(appId);
      if (!stream) {
        const file = this.fileFor(appId);
        fs.mkdirSync(path.dirname(file), { recursive: true });
        stream = fs.createWriteStream(file, { flags: "a" });
        this.streams.set(appId, stream);
      }
      stream.write(chunk);
      for (const line of chunk.split("\n")) if (line) this.log(`[${appId}] ${line}`);
    };
  }

  async close(): Promise<void> {
    const streams = [...this.streams.values()];
    this.streams.clear();
    await Promise.all(streams.map((s) => new Promise<void>((resolve) => s.end(resolve))));
  }
}
