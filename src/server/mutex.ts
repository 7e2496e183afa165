// A promise-based mutex: run() calls its functions one at a time, in the order they were queued, each
// after the previous one settled (fulfilled or not).
export class Mutex {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(fn: () => T | Promise<T>): Promise<T> {
    const result = this.tail.then(fn);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
