/**
 * Small byte helpers over native `Uint8Array`: hex, concatenation, comparison.
 *
 * @example
 * ```ts
 * import { fromHex, toHex } from "./bytes.ts";
 * console.assert(toHex(fromHex("00ff")) === "00ff");
 * ```
 * @module
 */

const HEX = "0123456789abcdef";

/**
 * Lower-case hex of `bytes`.
 *
 * @example
 * ```ts
 * import { toHex } from "./bytes.ts";
 * console.assert(toHex(new Uint8Array([1, 171])) === "01ab");
 * ```
 */
export function toHex(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) out += HEX[b >> 4]! + HEX[b & 15]!;
  return out;
}

/**
 * Parses hex (either case, even length). Throws `TypeError` on anything else.
 *
 * @example
 * ```ts
 * import { fromHex } from "./bytes.ts";
 * console.assert(fromHex("0A")[0] === 10);
 * ```
 */
export function fromHex(hex: string): Uint8Array {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) {
    throw new TypeError("not a hex string");
  }
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/**
 * True when `s` is exactly `bytes` bytes of hex.
 *
 * @example
 * ```ts
 * import { isHex } from "./bytes.ts";
 * console.assert(isHex("ab".repeat(32), 32));
 * ```
 */
export function isHex(s: string, bytes: number): boolean {
  return s.length === bytes * 2 && /^[0-9a-fA-F]*$/.test(s);
}

/**
 * Concatenates byte arrays into a new array.
 *
 * @example
 * ```ts
 * import { concat } from "./bytes.ts";
 * console.assert(concat(new Uint8Array([1]), new Uint8Array([2])).length === 2);
 * ```
 */
export function concat(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/**
 * Constant-time-in-length equality of two byte arrays.
 *
 * @example
 * ```ts
 * import { equals } from "./bytes.ts";
 * console.assert(equals(new Uint8Array([1]), new Uint8Array([1])));
 * ```
 */
export function equals(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}
