/**
 * A seeded byte source for tests that need random bytes to replay exactly (xorshift32).
 * Not for keys.
 *
 * @example
 * ```ts
 * import { seededBytes } from "./seeded.ts";
 * console.assert(seededBytes(7)(8).join() === seededBytes(7)(8).join());
 * ```
 * @module
 */

/**
 * A function returning `n` bytes at a time, the same sequence for the same seed.
 *
 * @example
 * ```ts
 * import { seededBytes } from "./seeded.ts";
 * const r = seededBytes(1);
 * console.assert(r(4).length === 4 && r(4).join() !== seededBytes(1)(4).join());
 * ```
 */
export function seededBytes(seed: number): (n: number) => Uint8Array {
  let x = seed >>> 0 || 1;
  return (n) => {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      out[i] = x & 0xff;
    }
    return out;
  };
}
