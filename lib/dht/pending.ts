/**
 * Our outstanding requests, c-toxcore's ping arrays in spirit: each request gets a random
 * 8-byte id remembered with the key and address asked; a response counts only when it echoes
 * a live id, from that key at that address, for that kind of request, within the timeout. An
 * id is consumed by its first valid response.
 *
 * @example
 * ```ts
 * import { PendingTable } from "./pending.ts";
 * const t = new PendingTable(4, 5000);
 * const id = new Uint8Array(8).fill(1), pk = new Uint8Array(32), addr = { hostname: "10.0.0.1", port: 1 };
 * t.add(id, { pk, addr, kind: 0, sentAt: 0 });
 * console.assert(t.take(id, pk, addr, 100, 0) !== undefined && t.take(id, pk, addr, 100, 0) === undefined);
 * ```
 * @module
 */
import type { Addr } from "../net/addr.ts";
import { toHex } from "../util/bytes.ts";
import { keyEquals } from "./distance.ts";
import type { LookupState } from "./lookup.ts";

/** One outstanding request. */
export interface Pending {
  /** Key asked. */
  pk: Uint8Array;
  /** Address asked. */
  addr: Addr;
  /** Request kind (0x00 ping, 0x02 nodes). */
  kind: number;
  /** When it was sent. */
  sentAt: number;
  /** The lookup it belongs to. */
  lookup?: LookupState;
  /** Its hop within that lookup. */
  hop?: number;
}

/** Outstanding requests by id, oldest first. */
export class PendingTable {
  readonly #map = new Map<string, Pending>();

  /**
   * An empty table.
   * @param max entries kept (the oldest is evicted) @param timeoutMs response timeout
   */
  constructor(readonly max: number, readonly timeoutMs: number) {}

  /** Number of outstanding requests. */
  get size(): number {
    return this.#map.size;
  }

  /** Remembers a request; returns the entry evicted to make room, if any. */
  add(pingId: Uint8Array, p: Pending): Pending | undefined {
    let evicted: Pending | undefined;
    if (this.#map.size >= this.max) {
      const oldest = this.#map.keys().next().value;
      if (oldest !== undefined) {
        evicted = this.#map.get(oldest);
        this.#map.delete(oldest);
      }
    }
    this.#map.set(toHex(pingId), p);
    return evicted;
  }

  /**
   * The request a response answers, removed from the table; `undefined` when the id is unknown
   * or the sender, address, kind (`requestKind`) or time do not match.
   */
  take(
    pingId: Uint8Array,
    sender: Uint8Array,
    from: Addr,
    now: number,
    requestKind: number,
  ): Pending | undefined {
    const id = toHex(pingId);
    const p = this.#map.get(id);
    if (
      !p || p.kind !== requestKind || !keyEquals(sender, p.pk) || p.addr.port !== from.port ||
      p.addr.hostname !== from.hostname || now - p.sentAt > this.timeoutMs
    ) {
      return undefined;
    }
    this.#map.delete(id);
    return p;
  }

  /** Removes and returns the requests older than the timeout. */
  expire(now: number): Pending[] {
    const out: Pending[] = [];
    for (const [id, p] of this.#map) {
      if (now - p.sentAt <= this.timeoutMs) break;
      this.#map.delete(id);
      out.push(p);
    }
    return out;
  }
}
