/**
 * The announce entries of an announce node (onion_announce.c): at most `maxEntries` peers,
 * each kept for `timeoutMs` after its last announce together with the return path its
 * data packets travel. When full, a newcomer replaces the entry farthest from the node's own
 * key only if it is closer to that key (c-toxcore's sorted-list rule).
 *
 * @example
 * ```ts
 * import { AnnounceStore } from "./announce_store.ts";
 * const s = new AnnounceStore(new Uint8Array(32), 2, 300_000);
 * const pk = new Uint8Array(32).fill(1);
 * s.add(pk, new Uint8Array(32), { hostname: "127.0.0.1", port: 1 }, new Uint8Array(177), 0);
 * console.assert(s.find(pk, 300_000) !== undefined && s.find(pk, 300_001) === undefined);
 * ```
 * @module
 */
import type { Addr } from "../net/addr.ts";
import { equals, toHex } from "../util/bytes.ts";

/** One announced peer. */
export interface AnnounceEntry {
  /** The announcer's real public key. */
  publicKey: Uint8Array;
  /** The key others encrypt onion data for this peer with. */
  dataPublicKey: Uint8Array;
  /** Hop C of the announcer's path (where 0x8c packets go). */
  retAddr: Addr;
  /** The RETURN_3 blob of the announce. */
  ret: Uint8Array;
  /** When it was last announced (ms). */
  time: number;
}

/**
 * -1 when `a` is closer to `base` than `b` (XOR metric), 1 when farther, 0 when equal.
 *
 * @example
 * ```ts
 * import { compareDistance } from "./announce_store.ts";
 * console.assert(compareDistance(new Uint8Array(32), new Uint8Array(32), new Uint8Array(32).fill(1)) === -1);
 * ```
 */
export function compareDistance(base: Uint8Array, a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < base.length; i++) {
    const da = base[i]! ^ a[i]!, db = base[i]! ^ b[i]!;
    if (da !== db) return da < db ? -1 : 1;
  }
  return 0;
}

/** Bounded store of announce entries keyed by public key. */
export class AnnounceStore {
  readonly #self: Uint8Array;
  readonly #max: number;
  readonly #timeout: number;
  readonly #entries = new Map<string, AnnounceEntry>();

  /**
   * @param selfPublicKey the node's DHT public key (closeness base)
   * @param maxEntries capacity (c-toxcore: 160)
   * @param timeoutMs entry lifetime (c-toxcore: 300 s)
   */
  constructor(selfPublicKey: Uint8Array, maxEntries: number, timeoutMs: number) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new RangeError("maxEntries >= 1");
    if (!(timeoutMs > 0)) throw new RangeError("timeoutMs > 0");
    this.#self = selfPublicKey;
    this.#max = maxEntries;
    this.#timeout = timeoutMs;
  }

  /** Number of entries held (expired ones included until {@link expire}). */
  get size(): number {
    return this.#entries.size;
  }

  #live(e: AnnounceEntry, now: number): boolean {
    return now - e.time <= this.#timeout;
  }

  /** The live entry of `publicKey`, if any. */
  find(publicKey: Uint8Array, now: number): AnnounceEntry | undefined {
    const e = this.#entries.get(toHex(publicKey));
    return e && this.#live(e, now) ? e : undefined;
  }

  /** Drops expired entries. */
  expire(now: number): void {
    for (const [k, e] of this.#entries) if (!this.#live(e, now)) this.#entries.delete(k);
  }

  /**
   * Adds or refreshes an entry; `undefined` when the store is full of closer peers.
   */
  add(
    publicKey: Uint8Array,
    dataPublicKey: Uint8Array,
    retAddr: Addr,
    ret: Uint8Array,
    now: number,
  ): AnnounceEntry | undefined {
    const id = toHex(publicKey);
    const entry: AnnounceEntry = {
      publicKey: publicKey.slice(),
      dataPublicKey: dataPublicKey.slice(),
      retAddr: { ...retAddr },
      ret: ret.slice(),
      time: now,
    };
    if (!this.find(publicKey, now)) {
      this.expire(now);
      if (this.#entries.size >= this.#max) {
        let farthestId: string | undefined;
        let farthest: AnnounceEntry | undefined;
        for (const [k, e] of this.#entries) {
          if (!farthest || compareDistance(this.#self, e.publicKey, farthest.publicKey) > 0) {
            farthest = e;
            farthestId = k;
          }
        }
        if (!farthest || compareDistance(this.#self, publicKey, farthest.publicKey) >= 0) {
          return undefined;
        }
        this.#entries.delete(farthestId!);
      }
    }
    this.#entries.set(id, entry);
    return entry;
  }

  /** True when `publicKey` has a live entry with exactly this data key. */
  hasWithDataKey(publicKey: Uint8Array, dataPublicKey: Uint8Array, now: number): boolean {
    const e = this.find(publicKey, now);
    return e !== undefined && equals(e.dataPublicKey, dataPublicKey);
  }
}
