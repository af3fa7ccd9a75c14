/**
 * A bounded least-recently-used cache of precomputed shared keys, so a busy node does not
 * run an X25519 for every packet from the same peer.
 *
 * @example
 * ```ts
 * import { SharedKeyCache } from "./shared_key_cache.ts";
 * import { backend } from "./backend.ts";
 * const me = backend().keyPair();
 * const cache = new SharedKeyCache(me.secretKey, 16);
 * const peer = backend().keyPair().publicKey;
 * console.assert(cache.get(peer) === cache.get(peer));
 * ```
 * @module
 */
import { backend } from "./backend.ts";
import { PUBLIC_KEY_SIZE } from "./constants.ts";
import { toHex } from "../util/bytes.ts";

/** Shared keys for one secret key, at most `capacity` entries, least recently used evicted. */
export class SharedKeyCache {
  readonly #secretKey: Uint8Array;
  readonly #capacity: number;
  readonly #map = new Map<string, Uint8Array>();
  /** Number of X25519 computations done (cache misses). */
  misses = 0;
  /** Number of lookups answered from the cache. */
  hits = 0;

  /** `capacity` must be a positive integer. */
  constructor(secretKey: Uint8Array, capacity = 1024) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError("capacity must be a positive integer");
    }
    this.#secretKey = secretKey;
    this.#capacity = capacity;
  }

  /** Number of cached keys. */
  get size(): number {
    return this.#map.size;
  }

  /** The shared key with `publicKey`, computed on a miss. */
  get(publicKey: Uint8Array): Uint8Array {
    if (publicKey.length !== PUBLIC_KEY_SIZE) throw new TypeError("public key must be 32 bytes");
    const id = toHex(publicKey);
    const hit = this.#map.get(id);
    if (hit) {
      this.hits++;
      this.#map.delete(id);
      this.#map.set(id, hit);
      return hit;
    }
    this.misses++;
    const key = backend().sharedKey(publicKey, this.#secretKey);
    if (this.#map.size >= this.#capacity) {
      const oldest = this.#map.keys().next().value;
      if (oldest !== undefined) this.#map.delete(oldest);
    }
    this.#map.set(id, key);
    return key;
  }
}
