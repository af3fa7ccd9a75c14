/**
 * A token bucket measured in bytes: the relay's per-client rate limit. Spending may drive the
 * balance negative; the debt says how long the client's reads pause.
 *
 * @example
 * ```ts
 * import { TokenBucket } from "./rate.ts";
 * const b = new TokenBucket(1000, 500, 0);
 * b.spend(1500, 0);
 * console.assert(b.pauseMs(0) === 1000 && b.pauseMs(1000) === 0);
 * ```
 * @module
 */

/**
 * Bytes-per-second token bucket with a burst allowance.
 *
 * @example
 * ```ts
 * import { TokenBucket } from "./rate.ts";
 * const b = new TokenBucket(100, 100, 0);
 * b.spend(50, 0);
 * console.assert(b.pauseMs(0) === 0);
 * ```
 */
export class TokenBucket {
  #tokens: number;
  #at: number;

  /**
   * A full bucket. Throws `RangeError` for a rate that is not positive.
   *
   * @param rate bytes per second (> 0)
   * @param burst largest balance in bytes
   * @param now current time in ms
   */
  constructor(readonly rate: number, readonly burst: number, now: number) {
    if (!(rate > 0) || !(burst >= 0)) throw new RangeError("rate must be > 0 and burst >= 0");
    this.#tokens = burst;
    this.#at = now;
  }

  #refill(now: number): void {
    if (now > this.#at) {
      this.#tokens = Math.min(this.burst, this.#tokens + ((now - this.#at) * this.rate) / 1000);
      this.#at = now;
    }
  }

  /** Takes `bytes` from the balance (it may go negative). */
  spend(bytes: number, now: number): void {
    this.#refill(now);
    this.#tokens -= bytes;
  }

  /** Milliseconds until the balance is back to zero (0 when not in debt). */
  pauseMs(now: number): number {
    this.#refill(now);
    return this.#tokens >= 0 ? 0 : Math.ceil((-this.#tokens * 1000) / this.rate);
  }
}
