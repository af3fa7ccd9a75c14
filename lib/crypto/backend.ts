/**
 * The crypto interface every protocol layer uses, and its tweetnacl implementation.
 *
 * All boxes are XSalsa20-Poly1305 in the combined layout: `MAC[16] || ciphertext`.
 *
 * @example
 * ```ts
 * import { tweetnaclBackend as b } from "./backend.ts";
 * const k = b.sharedKey(b.keyPair().publicKey, b.keyPair().secretKey);
 * const n = b.randomBytes(24);
 * const sealed = b.seal(new Uint8Array([1, 2, 3]), n, k);
 * console.assert(b.open(sealed, n, k)?.length === 3);
 * ```
 * @module
 */
import nacl from "tweetnacl";

/** A Curve25519 key pair. */
export interface KeyPair {
  /** 32-byte public key. */
  publicKey: Uint8Array;
  /** 32-byte secret key. */
  secretKey: Uint8Array;
}

/** NaCl operations, implemented by tweetnacl and by libsodium. */
export interface CryptoBackend {
  /** Short name shown in benchmarks and diagnostics. */
  readonly name: string;
  /** A fresh random key pair. */
  keyPair(): KeyPair;
  /** The key pair that belongs to a secret key. */
  keyPairFromSecretKey(secretKey: Uint8Array): KeyPair;
  /** `crypto_box_beforenm(pk, sk)`: HSalsa20 of the X25519 result. */
  sharedKey(publicKey: Uint8Array, secretKey: Uint8Array): Uint8Array;
  /** `crypto_box_afternm` / secretbox: returns `MAC || ciphertext`. */
  seal(message: Uint8Array, nonce: Uint8Array, key: Uint8Array): Uint8Array;
  /** Opens `MAC || ciphertext`; `null` when the MAC does not verify. */
  open(sealed: Uint8Array, nonce: Uint8Array, key: Uint8Array): Uint8Array | null;
  /** Cryptographically secure random bytes. */
  randomBytes(n: number): Uint8Array;
}

/**
 * The tweetnacl backend: pure JavaScript, always available, the cross-check for others.
 *
 * @example
 * ```ts
 * import { tweetnaclBackend } from "./backend.ts";
 * console.assert(tweetnaclBackend.keyPair().publicKey.length === 32);
 * ```
 */
export const tweetnaclBackend: CryptoBackend = {
  name: "tweetnacl",
  keyPair: () => nacl.box.keyPair(),
  keyPairFromSecretKey: (sk) => nacl.box.keyPair.fromSecretKey(sk),
  sharedKey: (pk, sk) => nacl.box.before(pk, sk),
  seal: (m, n, k) => nacl.secretbox(m, n, k),
  open: (c, n, k) => nacl.secretbox.open(c, n, k),
  randomBytes: (n) => nacl.randomBytes(n),
};

let current: CryptoBackend = tweetnaclBackend;

/**
 * The backend in use by the protocol layers.
 *
 * @example
 * ```ts
 * import { backend } from "./backend.ts";
 * console.assert(typeof backend().name === "string");
 * ```
 */
export function backend(): CryptoBackend {
  return current;
}

/**
 * Switches the backend used by every layer (for example to libsodium after `loadSodium()`).
 *
 * @example
 * ```ts
 * import { setBackend, tweetnaclBackend } from "./backend.ts";
 * setBackend(tweetnaclBackend);
 * ```
 */
export function setBackend(b: CryptoBackend): void {
  current = b;
}
