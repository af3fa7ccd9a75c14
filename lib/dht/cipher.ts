/**
 * The encryption seam of the DHT node: precomputed shared keys plus `Box`/`Box⁻¹`. The
 * default is real NaCl with a bounded cache of shared keys (one X25519 per peer, not per
 * packet). Simulations may use {@link simulationCipher}, which keeps every size and layout
 * but skips the cryptography, so ten thousand nodes fit in one process in reasonable time.
 *
 * @example
 * ```ts
 * import { naclCipher } from "./cipher.ts";
 * import { backend } from "../crypto/mod.ts";
 * const a = backend().keyPair(), b = backend().keyPair();
 * const ca = naclCipher(a.secretKey), cb = naclCipher(b.secretKey);
 * const n = new Uint8Array(24);
 * const box = ca.seal(ca.sharedKey(b.publicKey), n, new Uint8Array([1]));
 * console.assert(cb.open(cb.sharedKey(a.publicKey), n, box)?.[0] === 1);
 * ```
 * @module
 */
import { decryptSymmetric, encryptSymmetric } from "../crypto/box.ts";
import { SharedKeyCache } from "../crypto/shared_key_cache.ts";
import { toHex } from "../util/bytes.ts";
import type { OpenFn, SealFn } from "./wire.ts";

/** What the node needs to encrypt and decrypt. */
export interface DhtCipher {
  /** Shared key with `publicKey` (cached by the implementation). */
  sharedKey(publicKey: Uint8Array): Uint8Array;
  /** `MAC || ciphertext`. */
  seal: SealFn;
  /** `null` on a bad MAC. */
  open: OpenFn;
  /** Cache counters, when there is a cache. */
  stats?(): { hits: number; misses: number; size: number };
  /** True when the shared key with `publicKey` is cached (computing it would be free). */
  has?(publicKey: Uint8Array): boolean;
}

/**
 * Real NaCl boxes over the current crypto backend, with an LRU of `cacheSize` shared keys.
 *
 * @example
 * ```ts
 * import { naclCipher } from "./cipher.ts";
 * console.assert(naclCipher(new Uint8Array(32)).stats!().size === 0);
 * ```
 */
export function naclCipher(secretKey: Uint8Array, cacheSize = 1024): DhtCipher {
  const cache = new SharedKeyCache(secretKey, cacheSize);
  return {
    sharedKey: (pk) => cache.get(pk),
    has: (pk) => cache.has(pk),
    seal: encryptSymmetric,
    open: decryptSymmetric,
    stats: () => ({ hits: cache.hits, misses: cache.misses, size: cache.size }),
  };
}

/** Minimal view of libsodium's raw WebAssembly exports (64-bit lengths split in two). */
interface RawSodium {
  HEAPU8: Uint8Array;
  _malloc(n: number): number;
  _crypto_secretbox_easy(
    c: number,
    m: number,
    lo: number,
    hi: number,
    n: number,
    k: number,
  ): number;
  _crypto_secretbox_open_easy(
    m: number,
    c: number,
    lo: number,
    hi: number,
    n: number,
    k: number,
  ): number;
}

/** Largest message the libsodium cipher handles (a UDP datagram c-toxcore reads). */
const SODIUM_MAX = 2048;

/**
 * NaCl boxes through libsodium's WebAssembly functions called directly on one preallocated
 * buffer (no per-call allocation and no wrapper checks): several times faster than tweetnacl
 * for DHT-sized packets. Shared keys (`crypto_box_beforenm`) are cached, `cacheSize` of them.
 * Byte-identical to {@link naclCipher}.
 *
 * @example
 * ```ts
 * import { naclCipher, sodiumCipher } from "./cipher.ts";
 * import { backend } from "../crypto/mod.ts";
 * const a = backend().keyPair(), b = backend().keyPair(), n = new Uint8Array(24);
 * const fast = await sodiumCipher(a.secretKey), slow = naclCipher(b.secretKey);
 * const box = fast.seal(fast.sharedKey(b.publicKey), n, new Uint8Array([5]));
 * console.assert(slow.open(slow.sharedKey(a.publicKey), n, box)?.[0] === 5);
 * ```
 */
export async function sodiumCipher(secretKey: Uint8Array, cacheSize = 1024): Promise<DhtCipher> {
  const mod = await import("libsodium-wrappers");
  const s = mod.default;
  await s.ready;
  const raw = (s as unknown as { libsodium: RawSodium }).libsodium;
  const nonceP = raw._malloc(24), keyP = raw._malloc(32);
  const inP = raw._malloc(SODIUM_MAX + 16), outP = raw._malloc(SODIUM_MAX + 16);
  const cache = new Map<string, Uint8Array>();
  let hits = 0, misses = 0;
  const load = (key: Uint8Array, nonce: Uint8Array, data: Uint8Array) => {
    const heap = raw.HEAPU8;
    heap.set(nonce, nonceP);
    heap.set(key, keyP);
    heap.set(data, inP);
  };
  return {
    sharedKey: (pk) => {
      const id = toHex(pk);
      const hit = cache.get(id);
      if (hit) {
        hits++;
        return hit;
      }
      misses++;
      const k = s.crypto_box_beforenm(pk, secretKey);
      if (cache.size >= cacheSize) {
        const oldest = cache.keys().next().value;
        if (oldest !== undefined) cache.delete(oldest);
      }
      cache.set(id, k);
      return k;
    },
    seal: (key, nonce, m) => {
      if (m.length === 0) throw new RangeError("refusing to encrypt an empty message");
      if (m.length > SODIUM_MAX) return encryptSymmetric(key, nonce, m);
      load(key, nonce, m);
      raw._crypto_secretbox_easy(outP, inP, m.length, 0, nonceP, keyP);
      return raw.HEAPU8.slice(outP, outP + m.length + 16);
    },
    open: (key, nonce, c) => {
      if (c.length <= MAC) return null;
      if (c.length > SODIUM_MAX) return decryptSymmetric(key, nonce, c);
      load(key, nonce, c);
      if (raw._crypto_secretbox_open_easy(outP, inP, c.length, 0, nonceP, keyP) !== 0) return null;
      return raw.HEAPU8.slice(outP, outP + c.length - MAC);
    },
    stats: () => ({ hits, misses, size: cache.size }),
    has: (pk) => cache.has(toHex(pk)),
  };
}

const MAC = 16;

/**
 * For simulations only: the "shared key" is the XOR of both public keys (symmetric, like
 * DH), the "MAC" is the first 16 bytes of that key and the plaintext travels in clear. Sizes
 * and layouts match real packets; nothing is secret. Never use it on a real network.
 *
 * @example
 * ```ts
 * import { simulationCipher } from "./cipher.ts";
 * const a = new Uint8Array(32).fill(1), b = new Uint8Array(32).fill(2);
 * const ca = simulationCipher(a), cb = simulationCipher(b), n = new Uint8Array(24);
 * const box = ca.seal(ca.sharedKey(b), n, new Uint8Array([9]));
 * console.assert(box.length === 17 && cb.open(cb.sharedKey(a), n, box)?.[0] === 9);
 * ```
 */
export function simulationCipher(ownPublicKey: Uint8Array): DhtCipher {
  return {
    sharedKey: (pk) => {
      const k = new Uint8Array(32);
      for (let i = 0; i < 32; i++) k[i] = pk[i]! ^ ownPublicKey[i]!;
      return k;
    },
    seal: (key, _nonce, m) => {
      const out = new Uint8Array(MAC + m.length);
      out.set(key.subarray(0, MAC));
      out.set(m, MAC);
      return out;
    },
    open: (key, _nonce, c) => {
      if (c.length <= MAC) return null;
      for (let i = 0; i < MAC; i++) if (c[i] !== key[i]) return null;
      return c.slice(MAC);
    },
  };
}
