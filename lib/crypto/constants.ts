/** Sizes of the NaCl primitives the Tox protocol uses (c-toxcore crypto_core.h). @module */

/** Curve25519 public key length. */
export const PUBLIC_KEY_SIZE = 32;
/** Curve25519 secret key length. */
export const SECRET_KEY_SIZE = 32;
/** Precomputed shared key (crypto_box_beforenm) length. */
export const SHARED_KEY_SIZE = 32;
/** XSalsa20 nonce length. */
export const NONCE_SIZE = 24;
/** Poly1305 tag length; the tag comes first in every ciphertext. */
export const MAC_SIZE = 16;
/** SHA-256 digest length. */
export const SHA256_SIZE = 32;
/** SHA-512 digest length. */
export const SHA512_SIZE = 64;
