/**
 * SHA-256 and SHA-512, synchronous.
 *
 * @example
 * ```ts
 * import { sha512 } from "./hash.ts";
 * console.assert(sha512(new Uint8Array()).length === 64);
 * ```
 * @module
 */
import { createHash } from "node:crypto";

/**
 * SHA-256 of `data`.
 *
 * @example
 * ```ts
 * import { sha256 } from "./hash.ts";
 * console.assert(sha256(new Uint8Array([1])).length === 32);
 * ```
 */
export function sha256(data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash("sha256").update(data).digest());
}

/**
 * SHA-512 of `data`.
 *
 * @example
 * ```ts
 * import { sha512 } from "./hash.ts";
 * console.assert(sha512(new Uint8Array([1])).length === 64);
 * ```
 */
export function sha512(data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash("sha512").update(data).digest());
}
