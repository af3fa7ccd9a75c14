/**
 * The DHT node's randomness: a pooled CSPRNG source (nonces and request ids are drawn many
 * times a second) and a uniform-enough integer drawn from any source.
 *
 * @example
 * ```ts
 * import { pooledRandom, randInt } from "./random.ts";
 * const r = pooledRandom();
 * console.assert(r(24).length === 24 && randInt(r, 8) < 8);
 * ```
 * @module
 */

/** Bytes of system randomness fetched at once by {@link pooledRandom}. */
const RANDOM_POOL = 4096;

/**
 * The default random source: Web Crypto's CSPRNG, fetched 4 KiB at a time (one call per
 * ~100 answers instead of one per nonce); every byte is handed out once.
 *
 * @example
 * ```ts
 * import { pooledRandom } from "./random.ts";
 * const r = pooledRandom();
 * const a = r(8), b = r(8);
 * console.assert(a.length === 8 && a.some((x, i) => x !== b[i]));
 * ```
 */
export function pooledRandom(): (n: number) => Uint8Array {
  const pool = new Uint8Array(RANDOM_POOL);
  let off = RANDOM_POOL;
  return (n) => {
    if (n > RANDOM_POOL / 4) return crypto.getRandomValues(new Uint8Array(n));
    if (off + n > RANDOM_POOL) {
      crypto.getRandomValues(pool);
      off = 0;
    }
    const out = pool.slice(off, off + n);
    off += n;
    return out;
  };
}

/**
 * An integer in `[0, n)` from four bytes of `random` (big-endian, modulo `n`).
 *
 * @example
 * ```ts
 * import { randInt } from "./random.ts";
 * console.assert(randInt(() => new Uint8Array([0, 0, 1, 4]), 256) === 4);
 * ```
 */
export function randInt(random: (n: number) => Uint8Array, n: number): number {
  const b = random(4);
  return ((b[0]! << 24 | b[1]! << 16 | b[2]! << 8 | b[3]!) >>> 0) % n;
}
