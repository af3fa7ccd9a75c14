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
 * const b = new KeyBudget({ perSecond: 2, perSourcePerSecond: 1 });
 * console.assert(b.take("10.0.0.1", 0) && !b.take("10.0.0.1", 0));
 * console.assert(b.take("10.0.0.2", 0) && !b.take("10.0.0.3", 0));
 * console.assert(b.take("10.0.0.3", 1000) && b.refused === 2);
 * ```
 * @module
 */

/** Options of a {@link KeyBudget}. */
export interface KeyBudgetOptions {
  /** Computations per second in all (default 1024); the burst is the same number. */
  perSecond?: number;
  /** Computations per second from one source address (default 64); the same burst. */
  perSourcePerSecond?: number;
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
  readonly #perSource: number;
  readonly #maxSources: number;
  readonly #all: Bucket;
  readonly #sources = new Map<string, Bucket>();

  /** A full budget. Throws `RangeError` for a rate that is not positive. */
  constructor(opts: KeyBudgetOptions = {}) {
    this.#rate = opts.perSecond ?? 1024;
    this.#perSource = opts.perSourcePerSecond ?? 64;
    this.#maxSources = opts.maxSources ?? 4096;
    if (!(this.#rate > 0) || !(this.#perSource > 0) || !(this.#maxSources >= 1)) {
      throw new RangeError("key budget rates and maxSources must be positive");
    }
    this.#all = { tokens: this.#rate, at: -Infinity };
  }

  /** Takes one computation for a packet from `source` at `now` (ms); false: over budget. */
  take(source: string, now: number): boolean {
    const all = this.#refill(this.#all, this.#rate, now);
    let s = this.#sources.get(source);
    if (s) this.#refill(s, this.#perSource, now);
    else {
      if (this.#sources.size >= this.#maxSources) {
        const oldest = this.#sources.keys().next().value;
        if (oldest !== undefined) this.#sources.delete(oldest);
      }
      s = { tokens: this.#perSource, at: now };
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

  #refill(b: Bucket, rate: number, now: number): Bucket {
    if (b.at === -Infinity) b.at = now;
    else if (now > b.at) {
      b.tokens = Math.min(rate, b.tokens + ((now - b.at) * rate) / 1000);
      b.at = now;
    }
    return b;
  }
}
