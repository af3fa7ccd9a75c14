/**
 * A set of background tasks a driver owns: it tracks each promise until it settles (errors
 * are the task's own business) and can wait until none is left, so `close()` returns only
 * when every loop it started has ended.
 *
 * @example
 * ```ts
 * import { TaskSet } from "./tasks.ts";
 * const tasks = new TaskSet();
 * let done = false;
 * tasks.track((async () => { done = true; })());
 * await tasks.drain();
 * console.assert(done && tasks.size === 0);
 * ```
 * @module
 */

/** Background promises owned by one object. */
export class TaskSet {
  readonly #tasks = new Set<Promise<void>>();

  /** Number of tasks still running. */
  get size(): number {
    return this.#tasks.size;
  }

  /** Tracks `p` until it settles; a rejection is swallowed here. */
  track(p: Promise<unknown>): void {
    const t: Promise<void> = p.then(() => {}, () => {}).finally(() => this.#tasks.delete(t));
    this.#tasks.add(t);
  }

  /** Resolves once every tracked task, including ones started meanwhile, has settled. */
  async drain(): Promise<void> {
    while (this.#tasks.size > 0) await Promise.allSettled([...this.#tasks]);
  }
}
