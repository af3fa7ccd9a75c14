/**
 * Per-source token buckets in a bounded table (least recently seen source evicted first),
 * so a STUN responder answers each address at most `perSecond` times a second after an
 * initial `burst`.
 *
 * @example
 * ```ts
 * import { SourceRateLimiter } from "./rate.ts";
 * const r = new SourceRateLimiter({ perSecond: 1, burst: 2, maxSources: 8 });
 * console.assert(r.allow("192.0.2.1", 0) && r.allow("192.0.2.1", 0) && !r.allow("192.0.2.1", 0));
 * console.assert(r.allow("192.0.2.1", 1000));
 * ```
 * @module
 */

/** Options of {@link SourceRateLimiter}. */
export interface RateLimitOptions {
  /** Tokens added per second (default 10). */
  perSecond?: number;
  /** Bucket size (default 20). */
  burst?: number;
  /** Most sources remembered (default 4096). */
  maxSources?: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

/** Bounded per-source token buckets. */
export class SourceRateLimiter {
  readonly #rate: number;
  readonly #burst: number;
  readonly #max: number;
  readonly #buckets = new Map<string, Bucket>();

  /** A limiter; throws `RangeError` on non-positive settings. */
  constructor(opts: RateLimitOptions = {}) {
    this.#rate = opts.perSecond ?? 10;
    this.#burst = opts.burst ?? 20;
    this.#max = opts.maxSources ?? 4096;
    if (!(this.#rate > 0 && this.#burst >= 1 && this.#max >= 1)) {
      throw new RangeError("rate limit settings must be positive");
    }
  }

  /** Sources currently remembered. */
  get size(): number {
    return this.#buckets.size;
  }

  /** Takes one token for `source` at `now` (ms); `false` when its bucket is empty. */
  allow(source: string, now: number): boolean {
    let b = this.#buckets.get(source);
    if (b) {
      this.#buckets.delete(source);
      b.tokens = Math.min(this.#burst, b.tokens + (Math.max(0, now - b.at) * this.#rate) / 1000);
      b.at = now;
    } else {
      if (this.#buckets.size >= this.#max) {
        const oldest = this.#buckets.keys().next().value;
        if (oldest !== undefined) this.#buckets.delete(oldest);
      }
      b = { tokens: this.#burst, at: now };
    }
    this.#buckets.set(source, b);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }
}
