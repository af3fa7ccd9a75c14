/**
 * A sliding anti-replay window over data-packet nonce indices (how many times the peer's
 * base nonce was incremented). c-toxcore never sends a nonce twice, so dropping a repeated
 * index only removes replays; lossless duplicates were already dropped by the ring, this
 * also stops a replayed lossy or kill packet.
 *
 * @example
 * ```ts
 * import { ReplayWindow } from "./replay.ts";
 * const w = new ReplayWindow();
 * console.assert(!w.seen(5));
 * w.mark(5);
 * console.assert(w.seen(5) && !w.seen(4));
 * ```
 * @module
 */

/** Indices remembered below the highest one. */
export const REPLAY_WINDOW = 65536;

/**
 * Remembers which nonce indices in the last {@link REPLAY_WINDOW} were used.
 *
 * @example
 * ```ts
 * import { ReplayWindow } from "./replay.ts";
 * const w = new ReplayWindow();
 * w.mark(100_000);
 * console.assert(w.seen(1)); // too old counts as seen
 * ```
 */
export class ReplayWindow {
  readonly #bits = new Uint8Array(REPLAY_WINDOW / 8);
  #highest = -1;

  /** True when `i` was used or is too old to tell. */
  seen(i: number): boolean {
    if (i > this.#highest) return false;
    if (this.#highest - i >= REPLAY_WINDOW) return true;
    const s = i % REPLAY_WINDOW;
    return (this.#bits[s >> 3]! & (1 << (s & 7))) !== 0;
  }

  /** Records `i` as used. */
  mark(i: number): void {
    if (i > this.#highest) {
      if (i - this.#highest >= REPLAY_WINDOW) this.#bits.fill(0);
      else {
        for (let k = this.#highest + 1; k < i; k++) {
          const s = k % REPLAY_WINDOW;
          this.#bits[s >> 3]! &= ~(1 << (s & 7));
        }
      }
      this.#highest = i;
    }
    const s = i % REPLAY_WINDOW;
    this.#bits[s >> 3]! |= 1 << (s & 7);
  }
}
