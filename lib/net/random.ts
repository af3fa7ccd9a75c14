/**
 * A small seeded random generator (xorshift128), so simulations, NAT port choice and loss
 * replay exactly from a seed. Not for keys.
 *
 * @example
 * ```ts
 * import { seededRandom } from "./random.ts";
 * const a = seededRandom(7), b = seededRandom(7);
 * console.assert(a() === b() && a() < 1);
 * ```
 * @module
 */

/**
 * A generator of numbers in [0, 1), the same sequence for the same seed.
 *
 * @example
 * ```ts
 * import { seededRandom } from "./random.ts";
 * const r = seededRandom(1);
 * const x = r();
 * console.assert(x >= 0 && x < 1);
 * ```
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0 || 1, b = (seed * 2654435761) >>> 0 || 2, c = 0x9e3779b9, d = 0x7f4a7c15;
  return () => {
    const t = a ^ (a << 11);
    a = b;
    b = c;
    c = d;
    d = (d ^ (d >>> 19)) ^ (t ^ (t >>> 8));
    return (d >>> 0) / 4294967296;
  };
}
