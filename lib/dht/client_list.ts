/**
 * A fixed-capacity list of DHT clients stored as parallel arrays (keys back to back in one
 * `Uint8Array`), so a node with a hundred entries costs a few kilobytes. One is used per
 * close-list bucket and one per searched key.
 *
 * Each slot holds one association: the address the node answered from, when it last gave a
 * valid response (`seen`) and when we last probed it (`pinged`). Slots with no address are
 * empty.
 *
 * @example
 * ```ts
 * import { ClientList } from "./client_list.ts";
 * const l = new ClientList(8);
 * l.set(0, new Uint8Array(32).fill(1), { hostname: "10.0.0.1", port: 1 }, 5);
 * console.assert(l.find(new Uint8Array(32).fill(1)) === 0 && l.seen[0] === 5);
 * ```
 * @module
 */
import type { Addr } from "../net/addr.ts";
import { keyEquals } from "./distance.ts";

/** A list of up to `capacity` clients. */
export class ClientList {
  /** Keys, 32 bytes per slot. */
  readonly keys: Uint8Array;
  /** Address per slot; `undefined` marks an empty slot. */
  readonly addrs: (Addr | undefined)[];
  /** Time of the last valid response per slot (ms). */
  readonly seen: Float64Array;
  /** Time of the last probe per slot (ms). */
  readonly pinged: Float64Array;

  /** @param capacity number of slots */
  constructor(readonly capacity: number) {
    this.keys = new Uint8Array(capacity * 32);
    this.addrs = new Array(capacity).fill(undefined);
    this.seen = new Float64Array(capacity);
    this.pinged = new Float64Array(capacity);
  }

  /** A copy of the key in slot `i`. */
  key(i: number): Uint8Array {
    return this.keys.slice(i * 32, i * 32 + 32);
  }

  /** A view of the key in slot `i` (valid until the slot changes). */
  keyView(i: number): Uint8Array {
    return this.keys.subarray(i * 32, i * 32 + 32);
  }

  /** Slot holding `pk`, or -1. */
  find(pk: Uint8Array): number {
    for (let i = 0; i < this.capacity; i++) {
      if (this.addrs[i] !== undefined && keyEquals(pk, this.keys, i * 32)) return i;
    }
    return -1;
  }

  /** Slot whose address equals `addr`, or -1. */
  findAddr(addr: Addr): number {
    for (let i = 0; i < this.capacity; i++) {
      const a = this.addrs[i];
      if (a !== undefined && a.port === addr.port && a.hostname === addr.hostname) return i;
    }
    return -1;
  }

  /** Fills slot `i`. */
  set(i: number, pk: Uint8Array, addr: Addr, seen: number): void {
    this.keys.set(pk, i * 32);
    this.addrs[i] = addr;
    this.seen[i] = seen;
    this.pinged[i] = seen;
  }

  /** Empties slot `i`. */
  clear(i: number): void {
    this.addrs[i] = undefined;
    this.seen[i] = 0;
    this.pinged[i] = 0;
  }

  /** Number of filled slots. */
  get size(): number {
    let n = 0;
    for (const a of this.addrs) if (a !== undefined) n++;
    return n;
  }
}
