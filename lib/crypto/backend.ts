/**
 * The crypto interface every protocol layer uses, and its tweetnacl implementation.
 *
 * All boxes are XSalsa20-Poly1305 in the combined layout: `MAC[16] || ciphertext`. Every
 * backend refuses a low-order public key (one whose X25519 result is all zero) the same way:
 * `sharedKey` throws {@link LowOrderKeyError}; {@link trySharedKey} returns `null` instead.
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
  /**
   * `crypto_box_beforenm(pk, sk)`: HSalsa20 of the X25519 result. Throws
   * {@link LowOrderKeyError} when `pk` is a low-order point (the X25519 result is all zero).
   */
  sharedKey(publicKey: Uint8Array, secretKey: Uint8Array): Uint8Array;
  /** `crypto_box_afternm` / secretbox: returns `MAC || ciphertext`. */
  seal(message: Uint8Array, nonce: Uint8Array, key: Uint8Array): Uint8Array;
  /**
   * Optional: `seal` written into `out` (exactly `message.length + 16` bytes, e.g. a view
   * into a frame buffer) instead of a new array. Callers fall back to `seal` without it.
   */
  sealInto?(out: Uint8Array, message: Uint8Array, nonce: Uint8Array, key: Uint8Array): void;
  /**
   * Optional: `open` written into `out` (exactly `sealed.length - 16` bytes); false when the
   * MAC does not verify (`out` is then unspecified). Callers fall back to `open` without it.
   */
  openInto?(out: Uint8Array, sealed: Uint8Array, nonce: Uint8Array, key: Uint8Array): boolean;
  /** Opens `MAC || ciphertext`; `null` when the MAC does not verify. */
  open(sealed: Uint8Array, nonce: Uint8Array, key: Uint8Array): Uint8Array | null;
  /** Cryptographically secure random bytes. */
  randomBytes(n: number): Uint8Array;
}

/**
 * Thrown by {@link CryptoBackend.sharedKey} for a low-order public key: a point whose shared
 * secret is all zero whatever the secret key, so a box "to" it proves nothing. libsodium
 * refuses such keys; every backend here refuses them the same way.
 *
 * @example
 * ```ts
 * import { LowOrderKeyError, tweetnaclBackend as b } from "./backend.ts";
 * try {
 *   b.sharedKey(new Uint8Array(32), b.keyPair().secretKey);
 * } catch (e) {
 *   console.assert(e instanceof LowOrderKeyError && e.code === "LOW_ORDER_KEY");
 * }
 * ```
 */
export class LowOrderKeyError extends Error {
  /** Stable code for callers that count errors. */
  readonly code = "LOW_ORDER_KEY";
  /** An error naming the refused key's role. */
  constructor() {
    super("low-order public key: no shared key");
    this.name = "LowOrderKeyError";
  }
}

/**
 * `b.sharedKey(pk, sk)`, or `null` for a low-order public key (see {@link LowOrderKeyError}).
 * Other errors (wrong sizes) still throw.
 *
 * @example
 * ```ts
 * import { trySharedKey, tweetnaclBackend as b } from "./backend.ts";
 * console.assert(trySharedKey(b, new Uint8Array(32), b.keyPair().secretKey) === null);
 * ```
 */
export function trySharedKey(
  b: CryptoBackend,
  publicKey: Uint8Array,
  secretKey: Uint8Array,
): Uint8Array | null {
  try {
    return b.sharedKey(publicKey, secretKey);
  } catch (e) {
    if (e instanceof LowOrderKeyError) return null;
    throw e;
  }
}

/**
 * Throws `TypeError` unless both keys are 32 bytes (so a later failure means a low-order key).
 *
 * @example
 * ```ts
 * import { checkKeySizes } from "./backend.ts";
 * checkKeySizes(new Uint8Array(32), new Uint8Array(32));
 * ```
 */
export function checkKeySizes(publicKey: Uint8Array, secretKey: Uint8Array): void {
  if (publicKey.length !== 32 || secretKey.length !== 32) {
    throw new TypeError("public and secret keys must be 32 bytes");
  }
}

interface NaclLowLevel {
  crypto_core_hsalsa20(out: Uint8Array, inp: Uint8Array, k: Uint8Array, c: Uint8Array): number;
}
const lowlevel = (nacl as unknown as { lowlevel: NaclLowLevel }).lowlevel;
const SIGMA = new TextEncoder().encode("expand 32-byte k");
const ZERO16 = new Uint8Array(16);

/** tweetnacl's `box.before`, with the all-zero X25519 result refused as libsodium does. */
function tweetnaclSharedKey(publicKey: Uint8Array, secretKey: Uint8Array): Uint8Array {
  checkKeySizes(publicKey, secretKey);
  const s = nacl.scalarMult(secretKey, publicKey);
  let acc = 0;
  for (let i = 0; i < s.length; i++) acc |= s[i]!;
  if (acc === 0) throw new LowOrderKeyError();
  const k = new Uint8Array(32);
  lowlevel.crypto_core_hsalsa20(k, ZERO16, s, SIGMA);
  return k;
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
  sharedKey: tweetnaclSharedKey,
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
