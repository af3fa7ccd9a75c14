/**
 * Nonces: random ones for stateless packets, and c-toxcore's big-endian 192-bit increment
 * for the stream protocols (TCP relay links, net_crypto data).
 *
 * @example
 * ```ts
 * import { incrementNonce } from "./nonce.ts";
 * const n = new Uint8Array(24).fill(0xff);
 * incrementNonce(n);
 * console.assert(n.every((b) => b === 0));
 * ```
 * @module
 */
import { backend } from "./backend.ts";
import { NONCE_SIZE } from "./constants.ts";

/**
 * A fresh random 24-byte nonce.
 *
 * @example
 * ```ts
 * import { randomNonce } from "./nonce.ts";
 * console.assert(randomNonce().length === 24);
 * ```
 */
export function randomNonce(): Uint8Array {
  return backend().randomBytes(NONCE_SIZE);
}

/**
 * Adds 1 to the nonce in place, as one big-endian integer (carry runs towards byte 0).
 *
 * @example
 * ```ts
 * import { incrementNonce } from "./nonce.ts";
 * const n = new Uint8Array(24); n[23] = 0xff;
 * incrementNonce(n);
 * console.assert(n[22] === 1 && n[23] === 0);
 * ```
 */
export function incrementNonce(nonce: Uint8Array): void {
  for (let i = nonce.length - 1; i >= 0; i--) {
    const v = (nonce[i]! + 1) & 0xff;
    nonce[i] = v;
    if (v !== 0) return;
  }
}

/**
 * Adds a 32-bit unsigned number to the nonce in place (big-endian, like
 * `increment_nonce_number`).
 *
 * @example
 * ```ts
 * import { incrementNonceBy } from "./nonce.ts";
 * const n = new Uint8Array(24);
 * incrementNonceBy(n, 0x1_00);
 * console.assert(n[22] === 1);
 * ```
 */
export function incrementNonceBy(nonce: Uint8Array, by: number): void {
  if (!Number.isInteger(by) || by < 0 || by > 0xffffffff) {
    throw new RangeError("increment must be a 32-bit unsigned integer");
  }
  let carry = by;
  for (let i = nonce.length - 1; i >= 0 && carry > 0; i--) {
    const v = nonce[i]! + (carry % 256);
    nonce[i] = v & 0xff;
    carry = Math.floor(carry / 256) + (v > 0xff ? 1 : 0);
  }
}
