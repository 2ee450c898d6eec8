/**
 * A keyed promise-chain mutex: work for one key runs strictly one after another, work for
 * different keys runs in parallel. The control plane holds an app's lock around every
 * read-modify-write of that app, so concurrent SaveDraft/PublishDraft never interleave.
 */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    // Run after the previous holder whether it succeeded or failed.
    const result = previous.then(work, work);
    const tail = result.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      // Drop the entry once nobody queued behind us, so the map does not grow forever.
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }
}
