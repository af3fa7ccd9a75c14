/**
 * The sans-IO DHT node: c-toxcore 0.2.18's close list (buckets by first differing bit, first
 * free-or-bad slot, no eviction of good nodes), per-key search lists of 8 (c-toxcore's DHT
 * friends), its timers and its acceptance rules. Time is passed in (`now`, ms); packets go in
 * through {@link DhtNode.handlePacket} and out through {@link DhtNode.pollTransmit}.
 *
 * Protocol flow: `bootstrap()` sends a nodes request for our own key; a node enters a list
 * only when it answers one of our requests from the address we asked, with the request id we
 * chose, within 5 s. Each tick (1 s) probes entries with nodes requests every 60 s, asks a
 * random good node every 20 s, and asks the nodes that responses told us about.
 *
 * @example
 * ```ts
 * import { DhtNode } from "./node.ts";
 * import { backend } from "../crypto/mod.ts";
 * const a = new DhtNode({ keyPair: backend().keyPair() });
 * const b = new DhtNode({ keyPair: backend().keyPair() });
 * const aAddr = { hostname: "10.0.0.1", port: 1 }, bAddr = { hostname: "10.0.0.2", port: 1 };
 * a.bootstrap(bAddr, b.publicKey, 0);
 * for (let t; (t = a.pollTransmit());) b.handlePacket(t.data, aAddr, 0);
 * for (let t; (t = b.pollTransmit());) a.handlePacket(t.data, bAddr, 1);
 * console.assert(a.closestNodes(b.publicKey, 1).length === 1);
 * ```
 * @module
 */
import type { Addr } from "../net/addr.ts";
import type { KeyPair } from "../crypto/backend.ts";
import { backend } from "../crypto/backend.ts";
import { toHex } from "../util/bytes.ts";
import { WireError } from "../util/wire_error.ts";
import { type DhtCipher, naclCipher } from "./cipher.ts";
import { ClientList } from "./client_list.ts";
import {
  type DhtSizes,
  type DhtTimings,
  KIND,
  MAX_SENT_NODES,
  REQUEST_ID,
  TOXCORE_SIZES,
  TOXCORE_TIMINGS,
} from "./constants.ts";
import { bucketIndex, closer, isLanAddress, keyEquals } from "./distance.ts";
import { type LookupOptions, type LookupResult, LookupState } from "./lookup.ts";
import type { NodeInfo } from "./packed_node.ts";
import { type DhtStats, emptyStats } from "./stats.ts";
import {
  decodeLanDiscovery,
  decodeNatPing,
  decodeRoutedPacket,
  type DhtMessage,
  encodeNatPing,
  isDhtKind,
  openDhtPacket,
  openRoutedPacket,
  sealDhtPacket,
  sealRoutedPacket,
} from "./wire.ts";

/** Bootstrap nodes remembered for retries while we know no good node. */
const REBOOTSTRAP_NODES = 8;
/** Retry bootstrap requests while fewer good close-list nodes than this are known. */
const REBOOTSTRAP_BELOW_GOOD = 4;
/** Retry interval of those bootstrap requests. */
const REBOOTSTRAP_INTERVAL_MS = 5_000;

/** Something the node noticed, for drivers and commands. */
export type DhtEvent =
  | {
    type: "response";
    publicKey: Uint8Array;
    addr: Addr;
    rttMs: number;
    kind: "ping" | "nodes";
    nodes: NodeInfo[];
  }
  | { type: "found"; publicKey: Uint8Array; addr: Addr };

/** A routed (0x20) request addressed to us, decrypted. */
export interface RoutedRequest {
  /** Request id (first plaintext byte): 156 DHT-PK, 254 NAT ping… */
  requestId: number;
  /** The rest of the plaintext. */
  data: Uint8Array;
  /** Sender's DHT public key. */
  senderPublicKey: Uint8Array;
  /** The node that delivered it. */
  from: Addr;
}

/** Options of a {@link DhtNode}. */
export interface DhtNodeOptions {
  /** Our DHT key pair. */
  keyPair: KeyPair;
  /** Timers (default: c-toxcore 0.2.18's, see {@link TOXCORE_TIMINGS}). */
  timings?: Partial<DhtTimings>;
  /** List sizes (default: c-toxcore 0.2.18's, see {@link TOXCORE_SIZES}). */
  sizes?: Partial<DhtSizes>;
  /** Random bytes (nonces, request ids, choices); default the crypto backend's. */
  random?: (n: number) => Uint8Array;
  /** Encryption (default: NaCl with a 1024-entry shared-key cache). */
  cipher?: DhtCipher;
  /** Answer LAN discovery (0x21) from LAN addresses (default true, as c-toxcore). */
  lanDiscovery?: boolean;
  /** Our own reachable address: listed, as a last resort, in nodes responses (see docs). */
  selfAddr?: Addr;
  /** Receives routed requests addressed to us (NAT pings are answered by the node). */
  onRoutedRequest?: (r: RoutedRequest, now: number) => void;
  /** Receives events. */
  onEvent?: (e: DhtEvent) => void;
}

interface Pending {
  pk: Uint8Array;
  addr: Addr;
  kind: number;
  sentAt: number;
  lookup?: LookupState;
  hop?: number;
}

interface Search {
  publicKey: Uint8Array;
  list: ClientList;
  toBootstrap: NodeInfo[];
  lastGetNodes: number;
  bootstrapTimes: number;
  found?: { addr: Addr; at: number };
  reported?: Addr;
}

/** What {@link DhtNode.searchResult} reports about a searched key. */
export interface SearchResult {
  /** Where the key itself answered us, if it did. */
  addr?: Addr;
  /** Last address another node gave for it. */
  reported?: Addr;
  /** The good nodes closest to it we know. */
  nodes: NodeInfo[];
}

/** A sans-IO Tox DHT node. */
export class DhtNode {
  /** Our DHT public key. */
  readonly publicKey: Uint8Array;
  /** Counters. */
  readonly stats: DhtStats = emptyStats();
  readonly #t: DhtTimings;
  readonly #s: DhtSizes;
  readonly #random: (n: number) => Uint8Array;
  readonly #cipher: DhtCipher;
  readonly #lan: boolean;
  readonly #opts: DhtNodeOptions;
  readonly #buckets: (ClientList | undefined)[];
  readonly #searches = new Map<string, Search>();
  readonly #pending = new Map<string, Pending>();
  readonly #lookups = new Set<LookupState>();
  readonly #lookupDone = new Map<LookupState, (r: LookupResult) => void>();
  #toPing: NodeInfo[] = [];
  #closeToBootstrap: NodeInfo[] = [];
  #out: { to: Addr; data: Uint8Array }[] = [];
  #outHead = 0;
  #now = 0;
  #nextTick = 0;
  #lastPingFlush = 0;
  #lastGetNodes = 0;
  #bootstrapTimes = 0;
  #bootstrapNodes: NodeInfo[] = [];
  #lastRebootstrap = 0;
  /** Our reachable address, listed as a last resort in nodes responses. */
  selfAddr: Addr | undefined;

  /** @param opts key pair, timers, sizes, random, cipher, hooks */
  constructor(opts: DhtNodeOptions) {
    this.#opts = opts;
    this.publicKey = opts.keyPair.publicKey.slice();
    this.#t = { ...TOXCORE_TIMINGS, ...opts.timings };
    this.#s = { ...TOXCORE_SIZES, ...opts.sizes };
    this.#random = opts.random ?? ((n) => backend().randomBytes(n));
    this.#cipher = opts.cipher ?? naclCipher(opts.keyPair.secretKey);
    this.#lan = opts.lanDiscovery ?? true;
    this.#buckets = new Array(this.#s.buckets).fill(undefined);
    this.selfAddr = opts.selfAddr;
  }

  // ---------------------------------------------------------------- I/O surface

  /**
   * Handles one datagram. Returns false when its kind is not the DHT's (the driver hands it
   * to other layers). Malformed or unexpected packets are counted and dropped; this never
   * throws.
   */
  handlePacket(data: Uint8Array, from: Addr, now: number): boolean {
    this.#now = now;
    const kind = data[0];
    if (!isDhtKind(kind)) return false;
    this.stats.received++;
    try {
      if (kind === KIND.ROUTED_REQUEST) this.#onRouted(data, from, now);
      else if (kind === KIND.LAN_DISCOVERY) this.#onLanDiscovery(data, from, now);
      else this.#onDhtPacket(data, from, now);
    } catch (e) {
      if (e instanceof WireError) this.stats.dropMalformed++;
      else this.stats.dropError++;
    }
    return true;
  }

  /** Runs timers due at `now`. */
  handleTimeout(now: number): void {
    this.#now = now;
    if (now < this.#nextTick) return;
    this.#nextTick = now + this.#t.tickMs;
    this.#expirePending(now);
    this.#maintainClose(now);
    for (const s of this.#searches.values()) this.#maintainSearch(s, now);
    if (now - this.#lastPingFlush >= this.#t.pingQueueIntervalMs) {
      this.#lastPingFlush = now;
      for (const n of this.#toPing) this.#request(n, { type: "pingRequest" }, now);
      this.#toPing = [];
    }
    for (const l of this.#lookups) this.#driveLookup(l, now);
  }

  /** Next datagram to send, if any. */
  pollTransmit(): { to: Addr; data: Uint8Array } | undefined {
    if (this.#outHead >= this.#out.length) {
      if (this.#out.length > 0) {
        this.#out = [];
        this.#outHead = 0;
      }
      return undefined;
    }
    const t = this.#out[this.#outHead];
    this.#out[this.#outHead++] = undefined as unknown as { to: Addr; data: Uint8Array };
    return t;
  }

  /** When `handleTimeout` wants to run next. */
  nextTimeout(): number {
    return this.#nextTick;
  }

  /** Sends a nodes request for our own key to a bootstrap node. */
  bootstrap(addr: Addr, publicKey: Uint8Array, now: number): void {
    this.#now = now;
    if (keyEquals(publicKey, this.publicKey)) return;
    const n = { publicKey: publicKey.slice(), addr };
    this.#bootstrapNodes = [
      n,
      ...this.#bootstrapNodes.filter((b) => !keyEquals(b.publicKey, publicKey)),
    ].slice(0, REBOOTSTRAP_NODES);
    this.#request(n, { type: "nodesRequest", target: this.publicKey }, now);
  }

  /** Sends a ping request (used by `peerkit bootstrap` to measure round trips). */
  ping(addr: Addr, publicKey: Uint8Array, now: number): void {
    this.#now = now;
    this.#request({ publicKey, addr }, { type: "pingRequest" }, now);
  }

  /** Sends a datagram the host built (queued with the node's own output). */
  enqueue(to: Addr, data: Uint8Array): void {
    this.#out.push({ to, data });
    this.stats.sent++;
  }

  // ---------------------------------------------------------------- queries

  /** Good nodes (answered within the bad timeout) closest to `target`, closest first. */
  closestNodes(target: Uint8Array, count: number, opts: { includeLan?: boolean } = {}): NodeInfo[] {
    const best: { l: ClientList; i: number; pk: Uint8Array }[] = [];
    const lan = opts.includeLan ?? true;
    const consider = (l: ClientList, i: number) => {
      const addr = l.addrs[i];
      if (addr === undefined || this.#now - l.seen[i]! >= this.#t.badTimeoutMs) return;
      const pk = l.keyView(i);
      let j = best.length;
      while (j > 0 && closer(target, pk, best[j - 1]!.pk) < 0) j--;
      if (j >= count) return;
      if (!lan && isLanAddress(addr.hostname)) return;
      if (best.some((b) => keyEquals(pk, b.pk))) return;
      best.splice(j, 0, { l, i, pk });
      if (best.length > count) best.pop();
    };
    for (const b of this.#buckets) if (b) { for (let i = 0; i < b.capacity; i++) consider(b, i); }
    for (const s of this.#searches.values()) {
      for (let i = 0; i < s.list.capacity; i++) consider(s.list, i);
    }
    return best.map(({ l, i }) => ({ publicKey: l.key(i), addr: l.addrs[i]! }));
  }

  /** Shared-key cache counters of the cipher, when it has a cache. */
  keyCacheStats(): { hits: number; misses: number; size: number } | undefined {
    return this.#cipher.stats?.();
  }

  /** Every good node of the close list (for saving). */
  goodNodes(): NodeInfo[] {
    const out: NodeInfo[] = [];
    for (const b of this.#buckets) {
      if (!b) continue;
      for (let i = 0; i < b.capacity; i++) {
        const addr = b.addrs[i];
        if (addr && this.#now - b.seen[i]! < this.#t.badTimeoutMs) {
          out.push({ publicKey: b.key(i), addr });
        }
      }
    }
    return out;
  }

  /** Number of close-list entries (any state) and of good ones. */
  closeListSize(): { entries: number; good: number } {
    let entries = 0, good = 0;
    for (const b of this.#buckets) {
      if (!b) continue;
      for (let i = 0; i < b.capacity; i++) {
        if (b.addrs[i] === undefined) continue;
        entries++;
        if (this.#now - b.seen[i]! < this.#t.badTimeoutMs) good++;
      }
    }
    return { entries, good };
  }

  /** Starts keeping the 8 nodes closest to `publicKey` (c-toxcore `dht_addfriend`). */
  addSearch(publicKey: Uint8Array): void {
    const id = toHex(publicKey);
    if (this.#searches.has(id)) return;
    const s: Search = {
      publicKey: publicKey.slice(),
      list: new ClientList(this.#s.searchSize),
      toBootstrap: this.closestNodes(publicKey, MAX_SENT_NODES),
      lastGetNodes: 0,
      bootstrapTimes: 0,
    };
    this.#searches.set(id, s);
  }

  /** Stops searching for `publicKey`. */
  removeSearch(publicKey: Uint8Array): void {
    this.#searches.delete(toHex(publicKey));
  }

  /** What we know about a searched key, or `undefined` when it is not searched. */
  searchResult(publicKey: Uint8Array): SearchResult | undefined {
    const s = this.#searches.get(toHex(publicKey));
    if (!s) return undefined;
    const r: SearchResult = { nodes: this.#listNodes(s.list, true) };
    if (s.found) r.addr = s.found.addr;
    if (s.reported) r.reported = s.reported;
    return r;
  }

  /**
   * Sends a routed request to `receiver` through the good nodes of its search list
   * (c-toxcore `route_tofriend`); returns how many copies were sent.
   */
  routeRequest(receiver: Uint8Array, requestId: number, data: Uint8Array): number {
    const s = this.#searches.get(toHex(receiver));
    if (!s) return 0;
    const key = this.#cipher.sharedKey(receiver);
    const nodes = this.#listNodes(s.list, true);
    for (const n of nodes) {
      const packet = sealRoutedPacket(
        receiver,
        this.publicKey,
        requestId,
        data,
        key,
        this.#random(24),
        this.#cipher.seal,
      );
      this.enqueue(n.addr, packet);
    }
    return nodes.length;
  }

  /**
   * Starts an iterative lookup of `target`; `onDone` is called once with the result (also
   * reachable as `state.result`).
   */
  startLookup(
    target: Uint8Array,
    now: number,
    opts: LookupOptions = {},
    onDone?: (r: LookupResult) => void,
  ): LookupState {
    this.#now = now;
    const l = new LookupState(target, now, opts);
    for (const n of opts.seeds ?? []) l.add(n, 0);
    for (const n of this.closestNodes(target, l.keep)) l.add(n, 0);
    this.#lookups.add(l);
    if (onDone) this.#lookupDone.set(l, onDone);
    this.#driveLookup(l, now);
    return l;
  }

  /** Stops a lookup early. */
  cancelLookup(l: LookupState, now: number): void {
    l.cancel(now);
    this.#driveLookup(l, now);
  }

  // ---------------------------------------------------------------- receive

  #onDhtPacket(data: Uint8Array, from: Addr, now: number): void {
    if (keyEquals(data.subarray(1, 33), this.publicKey)) {
      this.stats.dropSelf++;
      return;
    }
    let key: Uint8Array | undefined;
    const r = openDhtPacket(data, (pk) => key = this.#cipher.sharedKey(pk), this.#cipher.open);
    if (!r) {
      this.stats.dropBadMac++;
      return;
    }
    const m = r.message;
    const sender = r.senderPublicKey;
    switch (m.type) {
      case "pingRequest":
        this.stats.pingRequests++;
        this.#reply(sender, from, { type: "pingResponse", pingId: m.pingId }, key);
        this.#pingAdd(sender, from, now);
        return;
      case "nodesRequest": {
        this.stats.nodesRequests++;
        const nodes = this.#nodesFor(m.target, sender, from);
        if (nodes.length === 0) {
          this.stats.unansweredNoNodes++;
        } else {
          this.#reply(sender, from, { type: "nodesResponse", nodes, pingId: m.pingId }, key);
        }
        this.#pingAdd(sender, from, now);
        return;
      }
      case "pingResponse":
      case "nodesResponse": {
        const p = this.#takePending(m.pingId, sender, from, now, data[0]!);
        if (!p) return;
        if (m.type === "nodesResponse" && m.nodes.length === 0) {
          this.stats.dropEmptyNodes++;
          p.lookup?.failed(sender);
          if (p.lookup) this.#driveLookup(p.lookup, now);
          return;
        }
        if (m.type === "pingResponse") this.stats.pingResponses++;
        else this.stats.nodesResponses++;
        this.#addToLists(sender, from, now);
        this.#opts.onEvent?.({
          type: "response",
          publicKey: sender.slice(),
          addr: from,
          rttMs: now - p.sentAt,
          kind: m.type === "pingResponse" ? "ping" : "nodes",
          nodes: m.type === "nodesResponse" ? m.nodes : [],
        });
        if (m.type === "nodesResponse") {
          for (const n of m.nodes) this.#fromNodesResponse(n, now);
        }
        if (p.lookup) {
          p.lookup.answered(
            sender,
            from,
            m.type === "nodesResponse" ? m.nodes : [],
            p.hop ?? 0,
            now,
          );
          this.#driveLookup(p.lookup, now);
        }
        return;
      }
    }
  }

  #takePending(
    pingId: Uint8Array,
    sender: Uint8Array,
    from: Addr,
    now: number,
    kind: number,
  ): Pending | undefined {
    const id = toHex(pingId);
    const p = this.#pending.get(id);
    const wantKind = kind === KIND.PING_RESPONSE ? KIND.PING_REQUEST : KIND.NODES_REQUEST;
    if (
      !p || p.kind !== wantKind || !keyEquals(sender, p.pk) || p.addr.port !== from.port ||
      p.addr.hostname !== from.hostname || now - p.sentAt > this.#t.responseTimeoutMs
    ) {
      this.stats.dropUnexpected++;
      return undefined;
    }
    this.#pending.delete(id);
    return p;
  }

  #onRouted(data: Uint8Array, from: Addr, now: number): void {
    const p = decodeRoutedPacket(data);
    if (keyEquals(p.receiverPublicKey, this.publicKey)) {
      const r = openRoutedPacket(p, this.#cipher.sharedKey(p.senderPublicKey), this.#cipher.open);
      if (!r) {
        this.stats.dropBadMac++;
        return;
      }
      this.stats.routedToUs++;
      const sender = p.senderPublicKey.slice();
      if (r.requestId === REQUEST_ID.NAT_PING) {
        const ping = decodeNatPing(r.data);
        if (!ping.response) {
          this.routeRequest(
            sender,
            REQUEST_ID.NAT_PING,
            encodeNatPing({ response: true, pingId: ping.pingId }),
          );
        }
      }
      if (this.#opts.onRoutedRequest) {
        this.#opts.onRoutedRequest({
          requestId: r.requestId,
          data: r.data.slice(),
          senderPublicKey: sender,
          from,
        }, now);
      } else if (r.requestId !== REQUEST_ID.NAT_PING) {
        this.stats.dropUnhandled++;
      }
      return;
    }
    const b = this.#buckets[bucketIndex(this.publicKey, p.receiverPublicKey, this.#s.buckets)];
    const i = b ? b.find(p.receiverPublicKey) : -1;
    if (!b || i < 0) {
      this.stats.dropRouteUnknown++;
      return;
    }
    this.stats.routedForwarded++;
    this.enqueue(b.addrs[i]!, data.slice());
  }

  #onLanDiscovery(data: Uint8Array, from: Addr, now: number): void {
    const pk = decodeLanDiscovery(data);
    if (!this.#lan || !isLanAddress(from.hostname) || keyEquals(pk, this.publicKey)) {
      this.stats.dropUnexpected++;
      return;
    }
    this.stats.lanDiscovery++;
    this.bootstrap(from, pk, now);
  }

  // ---------------------------------------------------------------- send

  #reply(to: Uint8Array, addr: Addr, m: DhtMessage, sharedKey?: Uint8Array): void {
    const key = sharedKey ?? this.#cipher.sharedKey(to);
    this.enqueue(addr, sealDhtPacket(m, this.publicKey, key, this.#random(24), this.#cipher.seal));
  }

  #request(
    n: NodeInfo,
    m: { type: "pingRequest" } | { type: "nodesRequest"; target: Uint8Array },
    now: number,
    lookup?: LookupState,
    hop?: number,
  ): void {
    const pingId = this.#random(8);
    const id = toHex(pingId);
    if (this.#pending.size >= this.#s.pendingMax) {
      const oldest = this.#pending.keys().next().value;
      if (oldest !== undefined) this.#expire(oldest, now);
    }
    const p: Pending = {
      pk: n.publicKey,
      addr: n.addr,
      kind: m.type === "pingRequest" ? KIND.PING_REQUEST : KIND.NODES_REQUEST,
      sentAt: now,
    };
    if (lookup) {
      p.lookup = lookup;
      p.hop = hop ?? 0;
    }
    this.#pending.set(id, p);
    const msg: DhtMessage = m.type === "pingRequest"
      ? { type: "pingRequest", pingId }
      : { type: "nodesRequest", target: m.target, pingId };
    this.#reply(n.publicKey, n.addr, msg);
  }

  #nodesFor(target: Uint8Array, requester: Uint8Array, from: Addr): NodeInfo[] {
    const lan = isLanAddress(from.hostname);
    let nodes = this.closestNodes(target, MAX_SENT_NODES + 1, { includeLan: lan })
      .filter((n) => !keyEquals(n.publicKey, requester)).slice(0, MAX_SENT_NODES);
    if (nodes.length === 0) nodes = this.#fallbackNodes(target, requester, lan);
    return nodes;
  }

  /** Never answer with zero nodes: bad-but-alive entries, then ourselves. */
  #fallbackNodes(target: Uint8Array, requester: Uint8Array, lan: boolean): NodeInfo[] {
    const out: NodeInfo[] = [];
    for (const b of this.#buckets) {
      if (!b) continue;
      for (let i = 0; i < b.capacity && out.length < MAX_SENT_NODES; i++) {
        const addr = b.addrs[i];
        if (!addr || this.#now - b.seen[i]! >= this.#t.killTimeoutMs) continue;
        if (!lan && isLanAddress(addr.hostname)) continue;
        const pk = b.keyView(i);
        if (keyEquals(pk, requester)) continue;
        out.push({ publicKey: b.key(i), addr });
      }
    }
    out.sort((x, y) => closer(target, x.publicKey, y.publicKey));
    if (out.length === 0 && this.selfAddr && (lan || !isLanAddress(this.selfAddr.hostname))) {
      out.push({ publicKey: this.publicKey, addr: this.selfAddr });
    }
    return out.slice(0, MAX_SENT_NODES);
  }

  // ---------------------------------------------------------------- lists

  #bucketFor(pk: Uint8Array, create: boolean): ClientList | undefined {
    const i = bucketIndex(this.publicKey, pk, this.#s.buckets);
    let b = this.#buckets[i];
    if (!b && create) b = this.#buckets[i] = new ClientList(this.#s.bucketSize);
    return b;
  }

  /** Slot a newcomer may take in a bucket: an empty one, else a bad one; -1 if none. */
  #freeSlot(l: ClientList, now: number): number {
    let bad = -1;
    for (let i = 0; i < l.capacity; i++) {
      if (l.addrs[i] === undefined) return i;
      if (bad < 0 && now - l.seen[i]! >= this.#t.badTimeoutMs) bad = i;
    }
    return bad;
  }

  #couldEnterClose(pk: Uint8Array, now: number): boolean {
    if (keyEquals(pk, this.publicKey)) return false;
    const b = this.#bucketFor(pk, false);
    if (!b) return true;
    return b.find(pk) < 0 && this.#freeSlot(b, now) >= 0;
  }

  /** Slot `pk` would replace in a search list, or -1. */
  #searchSlot(s: Search, pk: Uint8Array, now: number): number {
    const l = s.list;
    const free = this.#freeSlot(l, now);
    if (free >= 0) return free;
    let worst = -1;
    for (let i = 0; i < l.capacity; i++) {
      if (worst < 0 || closer(s.publicKey, l.keyView(i), l.keyView(worst)) > 0) worst = i;
    }
    return worst >= 0 && closer(s.publicKey, pk, l.keyView(worst)) < 0 ? worst : -1;
  }

  /** c-toxcore `update_client`: a LAN address never replaces a non-LAN one. */
  #update(l: ClientList, i: number, addr: Addr, now: number): void {
    const old = l.addrs[i]!;
    if (isLanAddress(addr.hostname) && !isLanAddress(old.hostname)) return;
    l.addrs[i] = addr;
    l.seen[i] = now;
  }

  /** c-toxcore `addto_lists`: only for nodes that answered us. */
  #addToLists(pk: Uint8Array, addr: Addr, now: number): void {
    const b = this.#bucketFor(pk, true)!;
    const i = b.find(pk);
    if (i >= 0) this.#update(b, i, addr, now);
    else {
      this.#forgetAddr(addr, pk);
      const slot = this.#freeSlot(b, now);
      if (slot >= 0) b.set(slot, pk, addr, now);
    }
    for (const s of this.#searches.values()) {
      const j = s.list.find(pk);
      if (j >= 0) this.#update(s.list, j, addr, now);
      else {
        const slot = this.#searchSlot(s, pk, now);
        if (slot >= 0) s.list.set(slot, pk, addr, now);
      }
      if (keyEquals(pk, s.publicKey)) {
        s.found = { addr, at: now };
        this.#opts.onEvent?.({ type: "found", publicKey: pk.slice(), addr });
      }
    }
  }

  /** A new key answered from an address an old key held: the old entry is gone. */
  #forgetAddr(addr: Addr, pk: Uint8Array): void {
    for (const b of this.#buckets) {
      if (!b) continue;
      const i = b.findAddr(addr);
      if (i >= 0 && !keyEquals(pk, b.keys, i * 32)) b.clear(i);
    }
  }

  /** c-toxcore `ping_add`: a node that asked us something gets pinged if it would fit. */
  #pingAdd(pk: Uint8Array, addr: Addr, now: number): void {
    let wanted = this.#couldEnterClose(pk, now);
    const s = this.#searches.size > 0 ? this.#searches.get(toHex(pk)) : undefined;
    if (s && !s.found) {
      this.#request({ publicKey: pk.slice(), addr }, { type: "pingRequest" }, now);
      return;
    }
    if (!wanted) {
      for (const x of this.#searches.values()) {
        if (x.list.find(pk) < 0 && this.#searchSlot(x, pk, now) >= 0) wanted = true;
      }
    }
    if (!wanted) return;
    this.#queueClosest(
      this.#toPing,
      { publicKey: pk.slice(), addr },
      this.publicKey,
      this.#s.maxToPing,
    );
  }

  /** c-toxcore `ping_node_from_getnodes_ok` plus `returnedip_ports`. */
  #fromNodesResponse(n: NodeInfo, now: number): void {
    if (keyEquals(n.publicKey, this.publicKey)) return;
    if (this.#couldEnterClose(n.publicKey, now)) {
      this.#queueClosest(this.#closeToBootstrap, n, this.publicKey, this.#s.closeToBootstrap);
    }
    for (const s of this.#searches.values()) {
      if (keyEquals(n.publicKey, s.publicKey)) s.reported = n.addr;
      if (s.list.find(n.publicKey) < 0 && this.#searchSlot(s, n.publicKey, now) >= 0) {
        this.#queueClosest(s.toBootstrap, n, s.publicKey, this.#s.searchToBootstrap);
      }
    }
  }

  #queueClosest(q: NodeInfo[], n: NodeInfo, base: Uint8Array, max: number): void {
    if (q.some((x) => keyEquals(x.publicKey, n.publicKey))) return;
    let i = q.length;
    while (i > 0 && closer(base, n.publicKey, q[i - 1]!.publicKey) < 0) i--;
    if (i >= max) return;
    q.splice(i, 0, n);
    if (q.length > max) q.pop();
  }

  #listNodes(l: ClientList, goodOnly: boolean): NodeInfo[] {
    const out: NodeInfo[] = [];
    for (let i = 0; i < l.capacity; i++) {
      const addr = l.addrs[i];
      if (!addr) continue;
      if (goodOnly && this.#now - l.seen[i]! >= this.#t.badTimeoutMs) continue;
      out.push({ publicKey: l.key(i), addr });
    }
    return out;
  }

  // ---------------------------------------------------------------- timers

  /** c-toxcore `do_ping_and_sendnode_requests` over one list; returns entries not killed. */
  #probe(l: ClientList, base: Uint8Array, now: number, good: NodeInfo[]): number {
    let alive = 0;
    for (let i = 0; i < l.capacity; i++) {
      const addr = l.addrs[i];
      if (!addr) continue;
      const age = now - l.seen[i]!;
      if (age >= this.#t.killTimeoutMs) continue;
      alive++;
      if (now - l.pinged[i]! >= this.#t.pingIntervalMs) {
        l.pinged[i] = now;
        this.#request({ publicKey: l.key(i), addr }, { type: "nodesRequest", target: base }, now);
      }
      if (age < this.#t.badTimeoutMs) good.push({ publicKey: l.keyView(i), addr });
    }
    return alive;
  }

  #maintainClose(now: number): void {
    const good: NodeInfo[] = [];
    let alive = 0, total = 0;
    for (const b of this.#buckets) {
      if (!b) continue;
      total += b.size;
      alive += this.#probe(b, this.publicKey, now, good);
    }
    if (
      good.length > 0 && (now - this.#lastGetNodes >= this.#t.getNodesIntervalMs ||
        this.#bootstrapTimes < this.#s.bootstrapTimes)
    ) {
      const n = good[this.#randInt(good.length)]!;
      this.#request(
        { publicKey: n.publicKey.slice(), addr: n.addr },
        { type: "nodesRequest", target: this.publicKey },
        now,
      );
      this.#lastGetNodes = now;
      this.#bootstrapTimes++;
    }
    if (
      good.length < REBOOTSTRAP_BELOW_GOOD && this.#bootstrapNodes.length > 0 &&
      now - this.#lastRebootstrap >= REBOOTSTRAP_INTERVAL_MS
    ) {
      // Barely connected: ask the bootstrap nodes again (c-toxcore's clients re-bootstrap until
      // connected, and the DHT retries its loaded nodes: DHT_connect_after_load).
      this.#lastRebootstrap = now;
      for (const n of this.#bootstrapNodes) {
        this.#request(n, { type: "nodesRequest", target: this.publicKey }, now);
      }
    }
    if (alive === 0 && total > 0) {
      // Everyone timed out: mark all bad (not dead) so probing starts again (DHT.c:1999).
      for (const b of this.#buckets) {
        if (!b) continue;
        for (let i = 0; i < b.capacity; i++) {
          if (b.addrs[i]) b.seen[i] = now - this.#t.badTimeoutMs;
        }
      }
    }
    for (const n of this.#closeToBootstrap) {
      this.#request(n, { type: "nodesRequest", target: this.publicKey }, now);
    }
    this.#closeToBootstrap = [];
  }

  #maintainSearch(s: Search, now: number): void {
    const good: NodeInfo[] = [];
    this.#probe(s.list, s.publicKey, now, good);
    if (
      good.length > 0 && (now - s.lastGetNodes >= this.#t.getNodesIntervalMs ||
        s.bootstrapTimes < this.#s.bootstrapTimes)
    ) {
      const n = good[this.#randInt(good.length)]!;
      this.#request(
        { publicKey: n.publicKey.slice(), addr: n.addr },
        { type: "nodesRequest", target: s.publicKey },
        now,
      );
      s.lastGetNodes = now;
      s.bootstrapTimes++;
    }
    for (const n of s.toBootstrap) {
      this.#request(n, { type: "nodesRequest", target: s.publicKey }, now);
    }
    s.toBootstrap = [];
  }

  #expirePending(now: number): void {
    for (const [id, p] of this.#pending) {
      if (now - p.sentAt <= this.#t.responseTimeoutMs) break;
      this.#expire(id, now);
    }
  }

  #expire(id: string, now: number): void {
    const p = this.#pending.get(id);
    this.#pending.delete(id);
    if (!p) return;
    this.stats.timeouts++;
    if (p.lookup) {
      p.lookup.failed(p.pk);
      this.#driveLookup(p.lookup, now);
    }
  }

  #driveLookup(l: LookupState, now: number): void {
    if (!l.done) {
      for (const q of l.next()) {
        this.#request(q.node, { type: "nodesRequest", target: l.target }, now, l, q.hop);
      }
      l.check(now);
    }
    if (l.done && this.#lookups.delete(l)) {
      const cb = this.#lookupDone.get(l);
      this.#lookupDone.delete(l);
      cb?.(l.result!);
    }
  }

  #randInt(n: number): number {
    const b = this.#random(4);
    return ((b[0]! << 24 | b[1]! << 16 | b[2]! << 8 | b[3]!) >>> 0) % n;
  }
}
