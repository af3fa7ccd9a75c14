/**
 * A bounded least-recently-used cache of precomputed shared keys, so a busy node does not
 * run an X25519 for every packet from the same peer.
 *
 * Everything lives in one `ArrayBuffer`: a slab of 64-byte slots (`[public key 32][shared key
 * 32]`), an open-addressing hash table of slot numbers and the LRU order as two arrays of
 * slot numbers (16-bit up to 65,534 entries). That is about 72 bytes per entry, against
 * about 340 for a `Map` of hex strings and `Uint8Array` objects. The buffer starts at 16
 * slots and grows by an eighth (at least 16 slots) up to `capacity`, so a node that talks to
 * 100 peers holds 100 entries' worth of memory, not 1024.
 *
 * The table's hash is seeded per cache, so a peer cannot choose keys that all probe the same
 * run; a probe never visits more slots than the table has.
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
/** Slots allocated first, and the smallest growth step. */
const STEP = 16;
/** Most entries a cache with 16-bit slot numbers holds (0 is "none"). */
const MAX_16 = 65534;

/** Options of a {@link SharedKeyCache} beyond its capacity. */
export interface SharedKeyCacheOptions {
  /**
   * Computes the 32-byte shared key (default: the backend's `crypto_box_beforenm`).
   * Simulations pass a cheap stand-in and keep the cache's real memory and hit rate.
   */
  derive?: (publicKey: Uint8Array, secretKey: Uint8Array) => Uint8Array;
}

type Index = Uint16Array | Uint32Array;

/** Shared keys for one secret key, at most `capacity` entries, least recently used evicted. */
export class SharedKeyCache {
  readonly #secretKey: Uint8Array;
  readonly #capacity: number;
  readonly #derive: (publicKey: Uint8Array, secretKey: Uint8Array) => Uint8Array;
  readonly #seed = crypto.getRandomValues(new Uint32Array(1))[0]!;
  #slots = 0;
  #slab!: Uint8Array;
  /** `[table (slot + 1, 0 empty)][prev (slot + 1, 0 none)][next]`. */
  #index!: Index;
  #tableSize = 0;
  #size = 0;
  #head = 0; // most recently used, slot + 1
  #tail = 0; // least recently used, slot + 1
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
    this.#derive = opts.derive ?? defaultDerive;
    this.#allocate(Math.min(capacity, STEP));
  }

  /** Number of cached keys. */
  get size(): number {
    return this.#size;
  }

  /** Most keys ever held. */
  get capacity(): number {
    return this.#capacity;
  }

  /** Bytes of the buffer allocated now (grows with the distinct peers seen). */
  get allocatedBytes(): number {
    return this.#slab.buffer.byteLength;
  }

  /** True when the shared key with `publicKey` is cached (no lookup is counted). */
  has(publicKey: Uint8Array): boolean {
    return publicKey.length === PUBLIC_KEY_SIZE && this.#find(publicKey, 0) >= 0;
  }

  /** The shared key with `publicKey` (a fresh copy), computed on a miss. */
  get(publicKey: Uint8Array): Uint8Array {
    if (publicKey.length !== PUBLIC_KEY_SIZE) throw new TypeError("public key must be 32 bytes");
    const at = this.#find(publicKey, 0);
    if (at >= 0) {
      this.hits++;
      const slot = this.#index[at]! - 1;
      this.#unlink(slot);
      this.#linkFront(slot);
      return this.#slab.slice(slot * ENTRY + 32, slot * ENTRY + ENTRY);
    }
    this.misses++;
    const key = this.#derive(publicKey, this.#secretKey);
    if (key.length !== 32) throw new TypeError("derived shared key must be 32 bytes");
    let slot: number;
    if (this.#size < this.#slots || this.#grow()) slot = this.#size++;
    else {
      slot = this.#tail - 1;
      this.#unlink(slot);
      this.#remove(this.#find(this.#slab, slot * ENTRY));
    }
    this.#slab.set(publicKey, slot * ENTRY);
    this.#slab.set(key, slot * ENTRY + 32);
    this.#insert(slot);
    this.#linkFront(slot);
    return key.slice();
  }

  #allocate(slots: number): void {
    const tableSize = 2 ** Math.ceil(Math.log2(slots * 2)); // at most half full
    const width = this.#capacity <= MAX_16 ? 2 : 4;
    const indexBytes = (tableSize + 2 * slots) * width;
    const buf = new ArrayBuffer(slots * ENTRY + indexBytes);
    const slab = new Uint8Array(buf, 0, slots * ENTRY);
    const index = width === 2
      ? new Uint16Array(buf, slots * ENTRY, indexBytes / 2)
      : new Uint32Array(buf, slots * ENTRY, indexBytes / 4);
    const old = this.#slab, oldIndex = this.#index, oldSlots = this.#slots;
    const oldTableSize = this.#tableSize;
    this.#slab = slab;
    this.#index = index;
    this.#slots = slots;
    this.#tableSize = tableSize;
    if (!old) return;
    slab.set(old);
    // prev and next keep their slot numbers; the table too while its size stays.
    index.set(oldIndex.subarray(oldTableSize, oldTableSize + oldSlots), tableSize);
    index.set(oldIndex.subarray(oldTableSize + oldSlots), tableSize + slots);
    if (tableSize === oldTableSize) index.set(oldIndex.subarray(0, oldTableSize));
    else for (let s = 0; s < this.#size; s++) this.#insert(s);
  }

  /** Grows by an eighth, at least {@link STEP} slots, up to the capacity; false when full. */
  #grow(): boolean {
    if (this.#slots >= this.#capacity) return false;
    this.#allocate(Math.min(this.#capacity, this.#slots + Math.max(STEP, this.#slots >> 3)));
    return true;
  }

  /** Seeded hash of the 32 bytes of `b` from `off`. */
  #hash(b: Uint8Array, off: number): number {
    let h = this.#seed;
    for (let i = off; i < off + 32; i += 4) {
      const w = b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24);
      h = Math.imul(h ^ w, 0x9e3779b1);
      h ^= h >>> 15;
    }
    return h >>> 0;
  }

  /** Table index holding the 32-byte key at `b[off..]`, or -1. */
  #find(b: Uint8Array, off: number): number {
    const t = this.#index, n = this.#tableSize, mask = n - 1, s = this.#slab;
    for (let i = this.#hash(b, off) & mask, k = 0; k < n; i = (i + 1) & mask, k++) {
      const v = t[i]!;
      if (v === 0) return -1;
      const at = (v - 1) * ENTRY;
      let same = true;
      for (let j = 0; j < 32 && same; j++) same = s[at + j] === b[off + j];
      if (same) return i;
    }
    return -1;
  }

  #home(slot: number): number {
    return this.#hash(this.#slab, slot * ENTRY) & (this.#tableSize - 1);
  }

  #insert(slot: number): void {
    const t = this.#index, mask = this.#tableSize - 1;
    let i = this.#home(slot);
    while (t[i] !== 0) i = (i + 1) & mask;
    t[i] = slot + 1;
  }

  /** Deletes table index `i` with backward shift, so probe runs stay unbroken. */
  #remove(i: number): void {
    const t = this.#index, mask = this.#tableSize - 1;
    t[i] = 0;
    for (let j = (i + 1) & mask; t[j] !== 0; j = (j + 1) & mask) {
      const v = t[j]!;
      // Move v back into the hole when its home is not within (hole, j].
      if (((j - this.#home(v - 1)) & mask) >= ((j - i) & mask)) {
        t[i] = v;
        t[j] = 0;
        i = j;
      }
    }
  }

  #unlink(slot: number): void {
    const ix = this.#index, prev = this.#tableSize, next = prev + this.#slots;
    const p = ix[prev + slot]!, n = ix[next + slot]!;
    if (p) ix[next + p - 1] = n;
    else this.#head = n;
    if (n) ix[prev + n - 1] = p;
    else this.#tail = p;
  }

  #linkFront(slot: number): void {
    const ix = this.#index, prev = this.#tableSize, next = prev + this.#slots;
    ix[prev + slot] = 0;
    ix[next + slot] = this.#head;
    if (this.#head) ix[prev + this.#head - 1] = slot + 1;
    this.#head = slot + 1;
    if (!this.#tail) this.#tail = slot + 1;
  }
}

function defaultDerive(publicKey: Uint8Array, secretKey: Uint8Array): Uint8Array {
  return backend().sharedKey(publicKey, secretKey);
}
