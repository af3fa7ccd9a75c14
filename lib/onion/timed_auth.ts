/**
 * c-toxcore's timed authenticators (timed_auth.c): an HMAC-SHA-512-256 over
 * `[period u64][data]`, where the period is `floor(now / timeout)`; a tag is accepted in its
 * own period and the next one. Announce nodes use it as the ping id.
 *
 * @example
 * ```ts
 * import { checkTimedAuth, generateTimedAuth } from "./timed_auth.ts";
 * const key = new Uint8Array(32), data = new Uint8Array([1]);
 * const tag = generateTimedAuth(key, 300_000, 0, data);
 * console.assert(checkTimedAuth(key, 300_000, 400_000, data, tag));
 * console.assert(!checkTimedAuth(key, 300_000, 600_000, data, tag));
 * ```
 * @module
 */
import { createHmac, timingSafeEqual } from "node:crypto";

/** Tag size (crypto_auth, HMAC-SHA-512 truncated to 256 bits). */
export const TIMED_AUTH_SIZE = 32;

/**
 * HMAC-SHA-512-256 of `data` under `key` (libsodium `crypto_auth`).
 *
 * @example
 * ```ts
 * import { hmacSha512256 } from "./timed_auth.ts";
 * console.assert(hmacSha512256(new Uint8Array(32), new Uint8Array()).length === 32);
 * ```
 */
export function hmacSha512256(key: Uint8Array, data: Uint8Array): Uint8Array {
  const full = createHmac("sha512", key).update(data).digest();
  return new Uint8Array(full.subarray(0, TIMED_AUTH_SIZE));
}

function toHash(period: number, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(Math.max(0, period)), true);
  out.set(data, 8);
  return out;
}

/**
 * The tag of `data` for the period containing `now` (ms; `timeout` in ms).
 *
 * @example
 * ```ts
 * import { generateTimedAuth } from "./timed_auth.ts";
 * const k = new Uint8Array(32), d = new Uint8Array([2]);
 * console.assert(generateTimedAuth(k, 1000, 10, d).join() === generateTimedAuth(k, 1000, 999, d).join());
 * ```
 */
export function generateTimedAuth(
  key: Uint8Array,
  timeout: number,
  now: number,
  data: Uint8Array,
): Uint8Array {
  return hmacSha512256(key, toHash(Math.floor(now / timeout), data));
}

/**
 * True when `tag` was generated for `data` in the current or the previous period.
 *
 * @example
 * ```ts
 * import { checkTimedAuth } from "./timed_auth.ts";
 * console.assert(!checkTimedAuth(new Uint8Array(32), 1000, 0, new Uint8Array(), new Uint8Array(32)));
 * ```
 */
export function checkTimedAuth(
  key: Uint8Array,
  timeout: number,
  now: number,
  data: Uint8Array,
  tag: Uint8Array,
): boolean {
  if (tag.length !== TIMED_AUTH_SIZE) return false;
  const period = Math.floor(now / timeout);
  for (const p of [period, period - 1]) {
    if (timingSafeEqual(hmacSha512256(key, toHash(p, data)), tag)) return true;
  }
  return false;
}
