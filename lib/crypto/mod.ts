/**
 * Curve25519 identities and the NaCl boxes of the Tox protocol.
 *
 * Layout of every box: `MAC[16] || ciphertext` (libsodium's combined layout). Shared keys are
 * `crypto_box_beforenm`; stream nonces increment as one big-endian 192-bit integer.
 *
 * @example
 * ```ts
 * import { backend, encryptData, decryptData, randomNonce } from "./mod.ts";
 * const a = backend().keyPair(), b = backend().keyPair(), n = randomNonce();
 * const c = encryptData(b.publicKey, a.secretKey, n, new TextEncoder().encode("hi"));
 * console.assert(decryptData(a.publicKey, b.secretKey, n, c) !== null);
 * ```
 * @module
 */
export * from "./constants.ts";
export * from "./backend.ts";
export * from "./box.ts";
export * from "./nonce.ts";
export * from "./hash.ts";
export * from "./shared_key_cache.ts";
export { loadSodium, loadSodiumWasm, useFastestBackend } from "./sodium.ts";
export { loadNativeSodium } from "./sodium_native.ts";
export * from "./x25519.ts";
