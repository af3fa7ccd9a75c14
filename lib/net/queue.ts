/**
 * An unbounded async queue with close semantics, used by the in-memory sockets.
 *
 * @example
 * ```ts
 * import { AsyncQueue } from "./queue.ts";
 * const q = new AsyncQueue<number>();
 * q.push(1);
 * console.assert(await q.shift() === 1);
 * ```
 * @module
 */
import { ClosedError } from "./types.ts";

/** FIFO of values; `shift` waits for one, and rejects once the queue is closed and empty. */
export class AsyncQueue<T> {
  #items: T[] = [];
  #waiters: { resolve: (v: T) => void; reject: (e: Error) => void }[] = [];
  #closed = false;
  readonly #what: string;

  /** An empty queue; `what` names it in the {@link ClosedError} message. */
  constructor(what = "queue") {
    this.#what = what;
  }

  /** Items waiting to be taken. */
  get length(): number {
    return this.#items.length;
  }

  /** True after {@link AsyncQueue.close}. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Adds an item (ignored after close). */
  push(item: T): void {
    if (this.#closed) return;
    const w = this.#waiters.shift();
    if (w) w.resolve(item);
    else this.#items.push(item);
  }

  /** Takes the next item, waiting if needed. */
  shift(): Promise<T> {
    if (this.#items.length > 0) return Promise.resolve(this.#items.shift()!);
    if (this.#closed) return Promise.reject(new ClosedError(this.#what));
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  /** Closes: waiters reject, queued items may still be taken when `drain` is true. */
  close(drain = false): void {
    if (this.#closed) return;
    this.#closed = true;
    if (!drain) this.#items = [];
    for (const w of this.#waiters.splice(0)) w.reject(new ClosedError(this.#what));
  }
}
