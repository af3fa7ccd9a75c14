/**
 * Tox's encryption helpers (`encrypt_data`, `encrypt_data_symmetric` and their inverses)
 * over the current backend. Empty plaintexts are refused, as c-toxcore refuses them.
 *
 * @example
 * ```ts
 * import { decryptData, encryptData } from "./box.ts";
 * import { backend, trySharedKey } from "./backend.ts";
 * import { randomNonce } from "./nonce.ts";
 * const a = backend().keyPair(), b = backend().keyPair(), n = randomNonce();
 * const c = encryptData(b.publicKey, a.secretKey, n, new Uint8Array([7]));
 * console.assert(decryptData(a.publicKey, b.secretKey, n, c)?.[0] === 7);
 * ```
 * @module
 */
import { backend, trySharedKey } from "./backend.ts";
import { MAC_SIZE, NONCE_SIZE, SHARED_KEY_SIZE } from "./constants.ts";

function checkNonceKey(nonce: Uint8Array, key: Uint8Array): void {
  if (nonce.length !== NONCE_SIZE) throw new TypeError("nonce must be 24 bytes");
  if (key.length !== SHARED_KEY_SIZE) throw new TypeError("key must be 32 bytes");
}

/**
 * `Box(k, n, m)` with a precomputed key: `MAC[16] || ciphertext`. Throws on empty `m`.
 *
 * @example
 * ```ts
 * import { encryptSymmetric } from "./box.ts";
 * const c = encryptSymmetric(new Uint8Array(32), new Uint8Array(24), new Uint8Array([1]));
 * console.assert(c.length === 17);
 * ```
 */
export function encryptSymmetric(key: Uint8Array, nonce: Uint8Array, m: Uint8Array): Uint8Array {
  checkNonceKey(nonce, key);
  if (m.length === 0) throw new RangeError("refusing to encrypt an empty message");
  return backend().seal(m, nonce, key);
}

/**
 * Opens `MAC || ciphertext` with a precomputed key; `null` on a bad MAC or a too short input.
 *
 * @example
 * ```ts
 * import { decryptSymmetric } from "./box.ts";
 * console.assert(decryptSymmetric(new Uint8Array(32), new Uint8Array(24), new Uint8Array(3)) === null);
 * ```
 */
export function decryptSymmetric(
  key: Uint8Array,
  nonce: Uint8Array,
  c: Uint8Array,
): Uint8Array | null {
  checkNonceKey(nonce, key);
  if (c.length <= MAC_SIZE) return null;
  return backend().open(c, nonce, key);
}

/**
 * `encrypt_data`: box to `publicKey` from `secretKey`.
 *
 * @example
 * ```ts
 * import { encryptData } from "./box.ts";
 * import { backend, trySharedKey } from "./backend.ts";
 * const a = backend().keyPair();
 * console.assert(encryptData(a.publicKey, a.secretKey, new Uint8Array(24), new Uint8Array([1])).length === 17);
 * ```
 */
export function encryptData(
  publicKey: Uint8Array,
  secretKey: Uint8Array,
  nonce: Uint8Array,
  m: Uint8Array,
): Uint8Array {
  return encryptSymmetric(backend().sharedKey(publicKey, secretKey), nonce, m);
}

/**
 * `decrypt_data`: opens a box from `publicKey` to `secretKey`; `null` on failure, also when
 * `publicKey` is a low-order point.
 *
 * @example
 * ```ts
 * import { decryptData } from "./box.ts";
 * import { backend, trySharedKey } from "./backend.ts";
 * const a = backend().keyPair();
 * console.assert(decryptData(a.publicKey, a.secretKey, new Uint8Array(24), new Uint8Array(20)) === null);
 * ```
 */
export function decryptData(
  publicKey: Uint8Array,
  secretKey: Uint8Array,
  nonce: Uint8Array,
  c: Uint8Array,
): Uint8Array | null {
  const key = trySharedKey(backend(), publicKey, secretKey);
  return key && decryptSymmetric(key, nonce, c);
}
