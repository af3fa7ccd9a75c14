/**
 * A tiny timing helper for side-by-side benchmarks: runs a function for a minimum time and
 * reports operations per second.
 *
 * @example
 * ```ts
 * import { opsPerSecond } from "./_measure.ts";
 * console.assert(opsPerSecond(() => {}, 10) > 0);
 * ```
 * @module
 */

/**
 * Calls `fn` repeatedly for at least `ms` milliseconds (after a short warm-up) and returns
 * calls per second.
 *
 * @example
 * ```ts
 * import { opsPerSecond } from "./_measure.ts";
 * console.assert(opsPerSecond(() => Math.sqrt(2), 5) > 1000);
 * ```
 */
export function opsPerSecond(fn: () => void, ms = 500): number {
  const warm = performance.now() + Math.min(100, ms / 4);
  while (performance.now() < warm) fn();
  let n = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    for (let i = 0; i < 16; i++) fn();
    n += 16;
    now = performance.now();
  }
  return (n * 1000) / (now - start);
}

/**
 * Median of a list of numbers.
 *
 * @example
 * ```ts
 * import { median } from "./_measure.ts";
 * console.assert(median([3, 1, 2]) === 2);
 * ```
 */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
