/**
 * A bounded least-recently-used cache of precomputed shared keys, so a busy node does not
 * run an X25519 for every packet from the same peer.
 *
 * Entries live in one slab (`[public key 32][shared key 32]` per slot) indexed by an
 * open-addressing hash table, with the LRU order kept in two `Int32Array`s: about 80 bytes
 * per entry instead of a `Map` of hex strings and `Uint8Array` objects (about 340 bytes).
 * The slab starts small and doubles up to `capacity`, so a node that talks to 100 peers holds
 * 100 entries' worth of memory, not 1024.
 *
 * @example
 * ```ts
 * import { SharedKeyCache } from "./shared_key_cache.ts";
 * import { backend } from "./backend.ts";
 * const me = backend().keyPair();
 * const cache = new SharedKeyCache(me.secretKey, 16);
 * const peer = backend().keyPair().publicKey;
 * cache.get(peer);
 * cache.get(peer);
 * console.assert(cache.hits === 1 && cache.misses === 1);
 * ```
 * @module
 */
import { backend } from "./backend.ts";
import { PUBLIC_KEY_SIZE } from "./constants.ts";

/** Bytes of one slot: the peer's public key, then the shared key. */
const ENTRY = 64;
/** Slots allocated before the first growth. */
const INITIAL_SLOTS = 16;

/** Options of a {@link SharedKeyCache} beyond its capacity. */
export interface SharedKeyCacheOptions {
  /**
   * Computes the 32-byte shared key (default: the backend's `crypto_box_beforenm`).
   * Simulations pass a cheap stand-in and keep the cache's real memory and hit rate.
   */
  derive?: (publicKey: Uint8Array, secretKey: Uint8Array) => Uint8Array;
}

/** Shared keys for one secret key, at most `capacity` entries, least recently used evicted. */
export class SharedKeyCache {
  readonly #secretKey: Uint8Array;
  readonly #capacity: number;
  readonly #derive: (publicKey: Uint8Array, secretKey: Uint8Array) => Uint8Array;
  readonly #seed = crypto.getRandomValues(new Uint32Array(1))[0]!;
  #slab: Uint8Array;
  #prev: Int32Array;
  #next: Int32Array;
  #table: Int32Array; // slot + 1, 0 = empty
  #size = 0;
  #head = -1; // most recently used
  #tail = -1; // least recently used
  /** Number of shared-key computations done (cache misses). */
  misses = 0;
  /** Number of lookups answered from the cache. */
  hits = 0;

  /** `capacity` must be a positive integer. */
  constructor(secretKey: Uint8Array, capacity = 1024, opts: SharedKeyCacheOptions = {}) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError("capacity must be a positive integer");
    }
    this.#secretKey = secretKey;
    this.#capacity = capacity;
    this.#derive = opts.derive ?? ((pk, sk) => backend().sharedKey(pk, sk));
    const slots = Math.min(capacity, INITIAL_SLOTS);
    this.#slab = new Uint8Array(slots * ENTRY);
    this.#prev = new Int32Array(slots);
    this.#next = new Int32Array(slots);
    this.#table = new Int32Array(tableSize(slots));
  }

  /** Number of cached keys. */
  get size(): number {
    return this.#size;
  }

  /** Most keys ever held. */
  get capacity(): number {
    return this.#capacity;
  }

  /** Bytes of the typed arrays allocated now (grows with the distinct peers seen). */
  get allocatedBytes(): number {
    return this.#slab.byteLength + this.#prev.byteLength + this.#next.byteLength +
      this.#table.byteLength;
  }

  /** The shared key with `publicKey` (a fresh copy), computed on a miss. */
  get(publicKey: Uint8Array): Uint8Array {
    if (publicKey.length !== PUBLIC_KEY_SIZE) throw new TypeError("public key must be 32 bytes");
    const found = this.#find(publicKey);
    if (found >= 0) {
      this.hits++;
      const slot = this.#table[found]! - 1;
      this.#unlink(slot);
      this.#linkFront(slot);
      return this.#slab.slice(slot * ENTRY + 32, slot * ENTRY + ENTRY);
    }
    this.misses++;
    const key = this.#derive(publicKey, this.#secretKey);
    if (key.length !== 32) throw new TypeError("derived shared key must be 32 bytes");
    let slot: number;
    if (this.#size < this.#prev.length || this.#grow()) slot = this.#size++;
    else {
      slot = this.#tail;
      this.#unlink(slot);
      this.#remove(this.#find(this.#slab.subarray(slot * ENTRY, slot * ENTRY + 32)));
    }
    this.#slab.set(publicKey, slot * ENTRY);
    this.#slab.set(key, slot * ENTRY + 32);
    this.#insert(slot);
    this.#linkFront(slot);
    return key.slice();
  }

  #hash(pk: Uint8Array): number {
    let h = this.#seed;
    for (let i = 0; i < 32; i += 4) {
      const w = pk[i]! | (pk[i + 1]! << 8) | (pk[i + 2]! << 16) | (pk[i + 3]! << 24);
      h = Math.imul(h ^ w, 0x9e3779b1);
      h ^= h >>> 15;
    }
    return h >>> 0;
  }

  /** Table index holding `pk`, or -1. */
  #find(pk: Uint8Array): number {
    const t = this.#table, mask = t.length - 1, s = this.#slab;
    for (let i = this.#hash(pk) & mask, n = 0; n < t.length; i = (i + 1) & mask, n++) {
      const v = t[i]!;
      if (v === 0) return -1;
      const off = (v - 1) * ENTRY;
      let same = true;
      for (let j = 0; j < 32 && same; j++) same = s[off + j] === pk[j];
      if (same) return i;
    }
    return -1;
  }

  #insert(slot: number): void {
    const t = this.#table, mask = t.length - 1;
    let i = this.#hash(this.#slab.subarray(slot * ENTRY, slot * ENTRY + 32)) & mask;
    while (t[i] !== 0) i = (i + 1) & mask;
    t[i] = slot + 1;
  }

  /** Deletes table index `i` with backward-shift, so probe chains stay unbroken. */
  #remove(i: number): void {
    const t = this.#table, mask = t.length - 1;
    t[i] = 0;
    for (let j = (i + 1) & mask; t[j] !== 0; j = (j + 1) & mask) {
      const v = t[j]!;
      const home = this.#hash(this.#slab.subarray((v - 1) * ENTRY, (v - 1) * ENTRY + 32)) & mask;
      // Move v back into the hole when its home is not within (hole, j].
      if (((j - home) & mask) >= ((j - i) & mask)) {
        t[i] = v;
        t[j] = 0;
        i = j;
      }
    }
  }

  /** Doubles the slots (up to the capacity); false when already at capacity. */
  #grow(): boolean {
    const old = this.#prev.length;
    if (old >= this.#capacity) return false;
    const slots = Math.min(this.#capacity, old * 2);
    const slab = new Uint8Array(slots * ENTRY);
    slab.set(this.#slab);
    const prev = new Int32Array(slots), next = new Int32Array(slots);
    prev.set(this.#prev);
    next.set(this.#next);
    this.#slab = slab;
    this.#prev = prev;
    this.#next = next;
    this.#table = new Int32Array(tableSize(slots));
    for (let s = 0; s < this.#size; s++) this.#insert(s);
    return true;
  }

  #unlink(slot: number): void {
    const p = this.#prev[slot]!, n = this.#next[slot]!;
    if (p >= 0) this.#next[p] = n;
    else this.#head = n;
    if (n >= 0) this.#prev[n] = p;
    else this.#tail = p;
  }

  #linkFront(slot: number): void {
    this.#prev[slot] = -1;
    this.#next[slot] = this.#head;
    if (this.#head >= 0) this.#prev[this.#head] = slot;
    this.#head = slot;
    if (this.#tail < 0) this.#tail = slot;
  }
}

/** A power of two at least twice `slots`, so the table stays at most half full. */
function tableSize(slots: number): number {
  let n = 2;
  while (n < slots * 2) n *= 2;
  return n;
}
