/**
 * The node's lists (DHT.c): the close list — buckets by the first bit where a key differs
 * from ours, 8 entries each, first empty-or-bad slot wins, good entries never evicted — and
 * one list of 8 per searched key (c-toxcore's DHT friends), where a newcomer replaces a bad
 * entry or the one furthest from the searched key. Pure data; time is passed in.
 *
 * @example
 * ```ts
 * import { DhtLists } from "./lists.ts";
 * import { TOXCORE_SIZES, TOXCORE_TIMINGS } from "./constants.ts";
 * const lists = new DhtLists(new Uint8Array(32), TOXCORE_SIZES, TOXCORE_TIMINGS);
 * lists.add(new Uint8Array(32).fill(1), { hostname: "10.0.0.1", port: 1 }, 0);
 * console.assert(lists.closest(new Uint8Array(32), 4, 1, true).length === 1);
 * ```
 * @module
 */
import type { Addr } from "../net/addr.ts";
import { toHex } from "../util/bytes.ts";
import { ClientList } from "./client_list.ts";
import type { DhtSizes, DhtTimings } from "./constants.ts";
import { bucketIndex, closer, isLanAddress, keyEquals } from "./distance.ts";
import type { NodeInfo } from "./packed_node.ts";

/** Maintenance state of one list (the close list, or a searched key's list). */
export interface ListState {
  /** The list's base key (ours, or the searched key). */
  publicKey: Uint8Array;
  /** Nodes to ask at the next tick (closest first). */
  toBootstrap: NodeInfo[];
  /** Time of the last random nodes request. */
  lastGetNodes: number;
  /** Random nodes requests sent so far. */
  bootstrapTimes: number;
}

/** A searched key and its list. */
export interface Search extends ListState {
  /** Nodes closest to it that answered us. */
  list: ClientList;
  /** Where the key itself answered us. */
  found?: { addr: Addr; at: number };
  /** Last address another node gave for the key. */
  reported?: Addr;
}

/**
 * Inserts `n` into `q` (kept closest to `base` first, at most `max`, no duplicate keys).
 *
 * @example
 * ```ts
 * import { queueClosest } from "./lists.ts";
 * const q: { publicKey: Uint8Array; addr: { hostname: string; port: number } }[] = [];
 * queueClosest(q, { publicKey: new Uint8Array(32), addr: { hostname: "::1", port: 1 } }, new Uint8Array(32), 2);
 * console.assert(q.length === 1);
 * ```
 */
export function queueClosest(q: NodeInfo[], n: NodeInfo, base: Uint8Array, max: number): void {
  if (q.some((x) => keyEquals(x.publicKey, n.publicKey))) return;
  let i = q.length;
  while (i > 0 && closer(base, n.publicKey, q[i - 1]!.publicKey) < 0) i--;
  if (i >= max) return;
  q.splice(i, 0, n);
  if (q.length > max) q.pop();
}

/** Close list plus search lists. */
export class DhtLists {
  /** Close-list buckets, allocated on first use. */
  readonly buckets: (ClientList | undefined)[];
  /** Searched keys by hex. */
  readonly searches = new Map<string, Search>();

  /** Empty lists for our key. @param self our key @param sizes list sizes @param t timers */
  constructor(
    readonly self: Uint8Array,
    readonly sizes: DhtSizes,
    readonly t: DhtTimings,
  ) {
    this.buckets = new Array(sizes.buckets).fill(undefined);
  }

  /** The bucket `pk` belongs in. */
  bucketFor(pk: Uint8Array, create: boolean): ClientList | undefined {
    const i = bucketIndex(this.self, pk, this.sizes.buckets);
    let b = this.buckets[i];
    if (!b && create) b = this.buckets[i] = new ClientList(this.sizes.bucketSize);
    return b;
  }

  /** Slot a newcomer may take: an empty one, else a bad one; -1 if none. */
  freeSlot(l: ClientList, now: number): number {
    let bad = -1;
    for (let i = 0; i < l.capacity; i++) {
      if (l.addrs[i] === undefined) return i;
      if (bad < 0 && now - l.seen[i]! >= this.t.badTimeoutMs) bad = i;
    }
    return bad;
  }

  /**
   * True when `pk` is not in the close list and would find a slot there, or (given `addr`,
   * where it spoke from) when the list holds it at another address: a node restarted on a
   * new port under the same key is pinged, and its answer moves the entry (c-toxcore's
   * `in_list` compares the address too).
   */
  couldEnterClose(pk: Uint8Array, now: number, addr?: Addr): boolean {
    if (keyEquals(pk, this.self)) return false;
    const b = this.bucketFor(pk, false);
    if (!b) return true;
    const i = b.find(pk);
    if (i >= 0) return addr !== undefined && !sameAddr(b.addrs[i]!, addr);
    return this.freeSlot(b, now) >= 0;
  }

  /** Slot `pk` would take in a search list, or -1. */
  searchSlot(s: Search, pk: Uint8Array, now: number): number {
    const l = s.list;
    const free = this.freeSlot(l, now);
    if (free >= 0) return free;
    let worst = -1;
    for (let i = 0; i < l.capacity; i++) {
      if (worst < 0 || closer(s.publicKey, l.keyView(i), l.keyView(worst)) > 0) worst = i;
    }
    return worst >= 0 && closer(s.publicKey, pk, l.keyView(worst)) < 0 ? worst : -1;
  }

  /** True when some search list would take `pk`. */
  searchWants(pk: Uint8Array, now: number): boolean {
    for (const s of this.searches.values()) {
      if (s.list.find(pk) < 0 && this.searchSlot(s, pk, now) >= 0) return true;
    }
    return false;
  }

  /** c-toxcore `update_client`: a LAN address never replaces a non-LAN one. */
  #update(l: ClientList, i: number, addr: Addr, now: number): void {
    const old = l.addrs[i]!;
    if (isLanAddress(addr.hostname) && !isLanAddress(old.hostname)) return;
    l.addrs[i] = addr;
    l.seen[i] = now;
  }

  /**
   * c-toxcore `addto_lists`, for a node that answered us; returns the searches whose key it is
   * (they are now found).
   */
  add(pk: Uint8Array, addr: Addr, now: number): Search[] {
    const b = this.bucketFor(pk, true)!;
    const i = b.find(pk);
    if (i >= 0) this.#update(b, i, addr, now);
    else {
      this.#forgetAddr(addr, pk);
      const slot = this.freeSlot(b, now);
      if (slot >= 0) b.set(slot, pk, addr, now);
    }
    const found: Search[] = [];
    for (const s of this.searches.values()) {
      const j = s.list.find(pk);
      if (j >= 0) this.#update(s.list, j, addr, now);
      else {
        const slot = this.searchSlot(s, pk, now);
        if (slot >= 0) s.list.set(slot, pk, addr, now);
      }
      if (keyEquals(pk, s.publicKey)) {
        s.found = { addr, at: now };
        found.push(s);
      }
    }
    return found;
  }

  /** A new key answered from an address an old key held: the old entry is gone. */
  #forgetAddr(addr: Addr, pk: Uint8Array): void {
    for (const b of this.buckets) {
      if (!b) continue;
      const i = b.findAddr(addr);
      if (i >= 0 && !keyEquals(pk, b.keys, i * 32)) b.clear(i);
    }
  }

  /** Address of `pk` in the close list (any state), for routing. */
  closeAddr(pk: Uint8Array): Addr | undefined {
    const b = this.bucketFor(pk, false);
    const i = b ? b.find(pk) : -1;
    return i >= 0 ? b!.addrs[i] : undefined;
  }

  /** Good nodes of all lists closest to `target`, closest first, without duplicates. */
  closest(target: Uint8Array, count: number, now: number, includeLan: boolean): NodeInfo[] {
    const best: { l: ClientList; i: number; pk: Uint8Array }[] = [];
    const consider = (l: ClientList, i: number) => {
      const addr = l.addrs[i];
      if (addr === undefined || now - l.seen[i]! >= this.t.badTimeoutMs) return;
      const pk = l.keyView(i);
      let j = best.length;
      while (j > 0 && closer(target, pk, best[j - 1]!.pk) < 0) j--;
      if (j >= count) return;
      if (!includeLan && isLanAddress(addr.hostname)) return;
      if (best.some((b) => keyEquals(pk, b.pk))) return;
      best.splice(j, 0, { l, i, pk });
      if (best.length > count) best.pop();
    };
    for (const b of this.buckets) if (b) { for (let i = 0; i < b.capacity; i++) consider(b, i); }
    for (const s of this.searches.values()) {
      for (let i = 0; i < s.list.capacity; i++) consider(s.list, i);
    }
    return best.map(({ l, i }) => ({ publicKey: l.key(i), addr: l.addrs[i]! }));
  }

  /** Close-list entries not yet dead (bad ones included), closest to `target` first. */
  alive(target: Uint8Array, exclude: Uint8Array, now: number, includeLan: boolean): NodeInfo[] {
    const out: NodeInfo[] = [];
    for (const b of this.buckets) {
      if (!b) continue;
      for (let i = 0; i < b.capacity; i++) {
        const addr = b.addrs[i];
        if (!addr || now - b.seen[i]! >= this.t.killTimeoutMs) continue;
        if (!includeLan && isLanAddress(addr.hostname)) continue;
        if (keyEquals(exclude, b.keys, i * 32)) continue;
        out.push({ publicKey: b.key(i), addr });
      }
    }
    return out.sort((x, y) => closer(target, x.publicKey, y.publicKey));
  }

  /** Entries of one list, good ones only when `goodOnly`. */
  listNodes(l: ClientList, goodOnly: boolean, now: number): NodeInfo[] {
    const out: NodeInfo[] = [];
    for (let i = 0; i < l.capacity; i++) {
      const addr = l.addrs[i];
      if (!addr) continue;
      if (goodOnly && now - l.seen[i]! >= this.t.badTimeoutMs) continue;
      out.push({ publicKey: l.key(i), addr });
    }
    return out;
  }

  /** Good close-list nodes. */
  good(now: number): NodeInfo[] {
    const out: NodeInfo[] = [];
    for (const b of this.buckets) if (b) out.push(...this.listNodes(b, true, now));
    return out;
  }

  /** Close-list entries (any state) and good ones. */
  size(now: number): { entries: number; good: number } {
    let entries = 0, good = 0;
    for (const b of this.buckets) {
      if (!b) continue;
      for (let i = 0; i < b.capacity; i++) {
        if (b.addrs[i] === undefined) continue;
        entries++;
        if (now - b.seen[i]! < this.t.badTimeoutMs) good++;
      }
    }
    return { entries, good };
  }

  /**
   * c-toxcore `do_ping_and_sendnode_requests` over one list: entries whose last probe is older
   * than the ping interval are due (their probe time is set to `now`); good ones are appended
   * to `good`; returns the due nodes and how many entries are not dead.
   */
  probe(l: ClientList, now: number, good: NodeInfo[]): { due: NodeInfo[]; alive: number } {
    const due: NodeInfo[] = [];
    let alive = 0;
    for (let i = 0; i < l.capacity; i++) {
      const addr = l.addrs[i];
      if (!addr) continue;
      const age = now - l.seen[i]!;
      if (age >= this.t.killTimeoutMs) continue;
      alive++;
      if (now - l.pinged[i]! >= this.t.pingIntervalMs) {
        l.pinged[i] = now;
        due.push({ publicKey: l.key(i), addr });
      }
      if (age < this.t.badTimeoutMs) good.push({ publicKey: l.keyView(i), addr });
    }
    return { due, alive };
  }

  /**
   * One tick of maintenance for a list (c-toxcore do_Close / do_DHT_friends): the due probes,
   * a nodes request to a random good node every 20 s (the first few at once), and the queued
   * candidates. Returns the nodes to send a nodes request for `st.publicKey` to.
   */
  maintain(
    st: ListState,
    lists: readonly (ClientList | undefined)[],
    now: number,
    randInt: (n: number) => number,
  ): { requests: NodeInfo[]; good: number; alive: number; total: number } {
    const good: NodeInfo[] = [], requests: NodeInfo[] = [];
    let alive = 0, total = 0;
    for (const l of lists) {
      if (!l) continue;
      total += l.size;
      const r = this.probe(l, now, good);
      alive += r.alive;
      requests.push(...r.due);
    }
    if (
      good.length > 0 && (now - st.lastGetNodes >= this.t.getNodesIntervalMs ||
        st.bootstrapTimes < this.sizes.bootstrapTimes)
    ) {
      const n = good[randInt(good.length)]!;
      requests.push({ publicKey: n.publicKey.slice(), addr: n.addr });
      st.lastGetNodes = now;
      st.bootstrapTimes++;
    }
    requests.push(...st.toBootstrap);
    st.toBootstrap = [];
    return { requests, good: good.length, alive, total };
  }

  /** Everyone timed out: mark all close-list entries bad, not dead, so probing resumes (DHT.c:1999). */
  reviveAll(now: number): void {
    for (const b of this.buckets) {
      if (!b) continue;
      for (let i = 0; i < b.capacity; i++) {
        if (b.addrs[i]) b.seen[i] = now - this.t.badTimeoutMs;
      }
    }
  }

  /** The search for `pk`, if any. */
  search(pk: Uint8Array): Search | undefined {
    return this.searches.size > 0 ? this.searches.get(toHex(pk)) : undefined;
  }
}

function sameAddr(a: Addr, b: Addr): boolean {
  return a.port === b.port && a.hostname === b.hostname;
}
