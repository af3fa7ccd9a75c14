/**
 * Curve25519 key pairs through the runtime's native X25519 (`node:crypto`), for the
 * identity commands: a cold process derives a key in well under a millisecond, where the
 * pure-JavaScript backend first has to warm up. Tests prove the keys equal tweetnacl's and
 * libsodium's.
 *
 * @example
 * ```ts
 * import { x25519KeyPair, x25519PublicKey } from "./x25519.ts";
 * const kp = x25519KeyPair();
 * console.assert(x25519PublicKey(kp.secretKey).every((b, i) => b === kp.publicKey[i]));
 * ```
 * @module
 */
import { createPrivateKey, createPublicKey } from "node:crypto";
import type { KeyPair } from "./backend.ts";
import { PUBLIC_KEY_SIZE, SECRET_KEY_SIZE } from "./constants.ts";

// DER prefixes of a PKCS#8 X25519 private key and of an SPKI public key (RFC 8410).
const PKCS8_PREFIX = Uint8Array.from([
  0x30,
  0x2e,
  0x02,
  0x01,
  0x00,
  0x30,
  0x05,
  0x06,
  0x03,
  0x2b,
  0x65,
  0x6e,
  0x04,
  0x22,
  0x04,
  0x20,
]);

/**
 * The public key of a 32-byte Curve25519 secret key (scalar clamped as NaCl does).
 *
 * @example
 * ```ts
 * import { x25519PublicKey } from "./x25519.ts";
 * console.assert(x25519PublicKey(new Uint8Array(32).fill(1)).length === 32);
 * ```
 */
export function x25519PublicKey(secretKey: Uint8Array): Uint8Array {
  if (secretKey.length !== SECRET_KEY_SIZE) throw new TypeError("secret key must be 32 bytes");
  const der = new Uint8Array(PKCS8_PREFIX.length + SECRET_KEY_SIZE);
  der.set(PKCS8_PREFIX);
  der.set(secretKey, PKCS8_PREFIX.length);
  const priv = createPrivateKey({ key: der as unknown as Buffer, format: "der", type: "pkcs8" });
  const spki = createPublicKey(priv).export({ format: "der", type: "spki" });
  return new Uint8Array(spki.subarray(spki.length - PUBLIC_KEY_SIZE));
}

/**
 * A fresh key pair from 32 random bytes.
 *
 * @example
 * ```ts
 * import { x25519KeyPair } from "./x25519.ts";
 * console.assert(x25519KeyPair().publicKey.length === 32);
 * ```
 */
export function x25519KeyPair(): KeyPair {
  const secretKey = crypto.getRandomValues(new Uint8Array(SECRET_KEY_SIZE));
  return { publicKey: x25519PublicKey(secretKey), secretKey };
}
