/**
 * Clocks: the real one for drivers and a virtual one for tests and simulations, where time
 * moves only when the test says so.
 *
 * @example
 * ```ts
 * import { VirtualClock } from "./clock.ts";
 * const c = new VirtualClock();
 * let fired = 0;
 * c.setTimeout(() => fired++, 1000);
 * c.advance(999); console.assert(fired === 0);
 * c.advance(1); console.assert(fired === 1);
 * ```
 * @module
 */

/** Opaque timer handle. */
export type TimerId = number | ReturnType<typeof setTimeout>;

/** Time source and timers, in milliseconds. */
export interface Clock {
  /** Current time in ms. */
  now(): number;
  /** Calls `cb` after `ms`. */
  setTimeout(cb: () => void, ms: number): TimerId;
  /** Cancels a timer; unknown ids are ignored. */
  clearTimeout(id: TimerId): void;
}

/**
 * Wall-clock time and the runtime's timers.
 *
 * @example
 * ```ts
 * import { realClock } from "./clock.ts";
 * console.assert(realClock.now() > 0);
 * ```
 */
export const realClock: Clock = {
  now: () => performance.timeOrigin + performance.now(),
  // A delay computed as `at - now()` can come out a hair below zero; the runtime warns
  // (TimeoutNegativeWarning) on negative delays, so clamp as VirtualClock does.
  setTimeout: (cb, ms) => setTimeout(cb, Math.max(0, ms)),
  clearTimeout: (id) => clearTimeout(id as number),
};

interface Timer {
  at: number;
  seq: number;
  id: number;
  cb: () => void;
}

/** A clock whose time advances only through {@link VirtualClock.advance}. Timers at equal times fire in the order set. */
export class VirtualClock implements Clock {
  #now: number;
  #seq = 0;
  #heap: Timer[] = [];
  #cancelled = new Set<number>();

  /** A clock starting at `start` ms. */
  constructor(start = 0) {
    this.#now = start;
  }

  /** Current virtual time. */
  now(): number {
    return this.#now;
  }

  /** Schedules `cb` at `now + max(0, ms)`. */
  setTimeout(cb: () => void, ms: number): number {
    const id = ++this.#seq;
    this.#push({ at: this.#now + Math.max(0, ms), seq: id, id, cb });
    return id;
  }

  /** Cancels a pending timer. */
  clearTimeout(id: TimerId): void {
    if (typeof id === "number") this.#cancelled.add(id);
  }

  /** Number of timers not yet fired (cancelled ones included until they surface). */
  get pending(): number {
    return this.#heap.length;
  }

  /** Time of the earliest pending timer, or `undefined`. */
  nextAt(): number | undefined {
    return this.#heap[0]?.at;
  }

  /** Moves time forward by `ms`, firing every timer due on the way, in order. */
  advance(ms: number): void {
    this.runUntil(this.#now + ms);
  }

  /** Fires timers due at or before `t`, then sets the time to `t`. */
  runUntil(t: number): void {
    for (;;) {
      const top = this.#heap[0];
      if (!top || top.at > t) break;
      this.#pop();
      this.#now = top.at;
      if (this.#cancelled.delete(top.id)) continue;
      top.cb();
    }
    if (t > this.#now) this.#now = t;
  }

  #push(t: Timer): void {
    const h = this.#heap;
    h.push(t);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  #pop(): void {
    const h = this.#heap;
    const last = h.pop()!;
    if (h.length === 0) return;
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1, r = l + 1;
      let m = i;
      if (l < h.length && before(h[l]!, h[m]!)) m = l;
      if (r < h.length && before(h[r]!, h[m]!)) m = r;
      if (m === i) return;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
  }
}

function before(a: Timer, b: Timer): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}
