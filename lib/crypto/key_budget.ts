/**
 * A budget for shared-key computations (one X25519 each) triggered by packets from the
 * network: at most `perSecond` in all and `perSourcePerSecond` from one source address.
 * Packets from peers whose key is already cached cost no budget, so under a flood of
 * packets from fresh keys the node keeps serving the peers it knows and drops the excess
 * cheaply (counted) before any expensive work.
 *
 * @example
 * ```ts
 * import { KeyBudget } from "./key_budget.ts";
 * const b = new KeyBudget({ perSecond: 2, burst: 2, perSourcePerSecond: 1, perSourceBurst: 1 });
 * console.assert(b.take("10.0.0.1", 0) && !b.take("10.0.0.1", 0));
 * console.assert(b.take("10.0.0.2", 0) && !b.take("10.0.0.3", 0));
 * console.assert(b.take("10.0.0.3", 1000) && b.refused === 2);
 * ```
 * @module
 */

/** Options of a {@link KeyBudget}. */
export interface KeyBudgetOptions {
  /** Computations per second in all (default 1024). */
  perSecond?: number;
  /**
   * Computations at once in all (default an eighth of `perSecond`): small, so that a burst
   * of X25519s never blocks the receive loop long enough for the socket buffer to overflow.
   */
  burst?: number;
  /** Computations per second from one source address (default 64). */
  perSourcePerSecond?: number;
  /** Computations at once from one source (default a quarter of `perSourcePerSecond`). */
  perSourceBurst?: number;
  /** Sources tracked at once; the oldest is forgotten beyond it (default 4096). */
  maxSources?: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

/** Token buckets, one shared and one per source address. */
export class KeyBudget {
  /** Computations refused so far. */
  refused = 0;
  readonly #rate: number;
  readonly #burst: number;
  readonly #perSource: number;
  readonly #perSourceBurst: number;
  readonly #maxSources: number;
  readonly #all: Bucket;
  readonly #sources = new Map<string, Bucket>();

  /** A full budget. Throws `RangeError` for a rate that is not positive. */
  constructor(opts: KeyBudgetOptions = {}) {
    this.#rate = opts.perSecond ?? 1024;
    this.#perSource = opts.perSourcePerSecond ?? 64;
    this.#maxSources = opts.maxSources ?? 4096;
    this.#burst = opts.burst ?? Math.max(1, this.#rate / 8);
    this.#perSourceBurst = opts.perSourceBurst ?? Math.max(1, this.#perSource / 4);
    if (
      !(this.#rate > 0) || !(this.#perSource > 0) || !(this.#maxSources >= 1) ||
      !(this.#burst >= 1) || !(this.#perSourceBurst >= 1)
    ) {
      throw new RangeError("key budget rates, bursts and maxSources must be positive");
    }
    this.#all = { tokens: this.#burst, at: -Infinity };
  }

  /** Takes one computation for a packet from `source` at `now` (ms); false: over budget. */
  take(source: string, now: number): boolean {
    const all = this.#refill(this.#all, this.#rate, this.#burst, now);
    let s = this.#sources.get(source);
    if (s) this.#refill(s, this.#perSource, this.#perSourceBurst, now);
    else {
      if (this.#sources.size >= this.#maxSources) {
        const oldest = this.#sources.keys().next().value;
        if (oldest !== undefined) this.#sources.delete(oldest);
      }
      s = { tokens: this.#perSourceBurst, at: now };
      this.#sources.set(source, s);
    }
    if (all.tokens < 1 || s.tokens < 1) {
      this.refused++;
      return false;
    }
    all.tokens--;
    s.tokens--;
    return true;
  }

  #refill(b: Bucket, rate: number, burst: number, now: number): Bucket {
    if (b.at === -Infinity) b.at = now;
    else if (now > b.at) {
      b.tokens = Math.min(burst, b.tokens + ((now - b.at) * rate) / 1000);
      b.at = now;
    }
    return b;
  }
}
