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
 * const aAddr = { hostname: "10.0.0.1", port: 1 }, bAddr = { hostname: "10.0.0.2", port: 1 };
 * const a = new DhtNode({ keyPair: backend().keyPair() });
 * const b = new DhtNode({ keyPair: backend().keyPair(), selfAddr: bAddr });
 * a.bootstrap(bAddr, b.publicKey, 0);
 * for (let t; (t = a.pollTransmit());) b.handlePacket(t.data, aAddr, 0);
 * for (let t; (t = b.pollTransmit());) a.handlePacket(t.data, bAddr, 1);
 * if (a.closestNodes(b.publicKey, 1).length !== 1) throw new Error("b did not enter a's list");
 * ```
 * @module
 */
import type { Addr } from "../net/addr.ts";
import { LowOrderKeyError } from "../crypto/backend.ts";
import { toHex } from "../util/bytes.ts";
import { WireError } from "../util/wire_error.ts";
import { type DhtCipher, naclCipher } from "./cipher.ts";
import { ClientList } from "./client_list.ts";
import { DhtLists, type ListState, queueClosest, type Search } from "./lists.ts";
import { type Pending, PendingTable } from "./pending.ts";
import type { DhtNodeOptions, SearchResult } from "./node_types.ts";
export type { DhtEvent, DhtNodeOptions, RoutedRequest, SearchResult } from "./node_types.ts";
import {
  type DhtSizes,
  type DhtTimings,
  KIND,
  MAX_SENT_NODES,
  REQUEST_ID,
  TOXCORE_SIZES,
  TOXCORE_TIMINGS,
} from "./constants.ts";
import { isLanAddress, keyEquals } from "./distance.ts";
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

/** Bytes of system randomness fetched at once by {@link pooledRandom}. */
const RANDOM_POOL = 4096;

/**
 * The default random source: Web Crypto's CSPRNG, fetched 4 KiB at a time (one call per
 * ~100 answers instead of one per nonce); every byte is handed out once.
 */
function pooledRandom(): (n: number) => Uint8Array {
  const pool = new Uint8Array(RANDOM_POOL);
  let off = RANDOM_POOL;
  return (n) => {
    if (n > RANDOM_POOL / 4) return crypto.getRandomValues(new Uint8Array(n));
    if (off + n > RANDOM_POOL) {
      crypto.getRandomValues(pool);
      off = 0;
    }
    const out = pool.slice(off, off + n);
    off += n;
    return out;
  };
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
  readonly #lists: DhtLists;
  readonly #close: ListState;
  readonly #pending: PendingTable;
  readonly #lookups = new Set<LookupState>();
  readonly #lookupDone = new Map<LookupState, (r: LookupResult) => void>();
  #toPing: NodeInfo[] = [];
  #out: { to: Addr; data: Uint8Array }[] = [];
  #outHead = 0;
  #now = 0;
  #nextTick = 0;
  #lastPingFlush = 0;
  #bootstrapNodes: NodeInfo[] = [];
  #lastRebootstrap = 0;
  /** Our reachable address, listed as a last resort in nodes responses. */
  selfAddr: Addr | undefined;

  /** A node with empty lists. @param opts key pair, timers, sizes, random, cipher, hooks */
  constructor(opts: DhtNodeOptions) {
    this.#opts = opts;
    this.publicKey = opts.keyPair.publicKey.slice();
    this.#t = { ...TOXCORE_TIMINGS, ...opts.timings };
    this.#s = { ...TOXCORE_SIZES, ...opts.sizes };
    this.#random = opts.random ?? pooledRandom();
    this.#cipher = opts.cipher ?? naclCipher(opts.keyPair.secretKey);
    this.#lan = opts.lanDiscovery ?? true;
    this.#lists = new DhtLists(this.publicKey, this.#s, this.#t);
    this.#pending = new PendingTable(this.#s.pendingMax, this.#t.responseTimeoutMs);
    this.#close = {
      publicKey: this.publicKey,
      toBootstrap: [],
      lastGetNodes: 0,
      bootstrapTimes: 0,
    };
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
      if (e instanceof WireError || e instanceof LowOrderKeyError) this.stats.dropMalformed++;
      else this.stats.dropError++;
    }
    return true;
  }

  /** Runs timers due at `now`. */
  handleTimeout(now: number): void {
    this.#now = now;
    if (now < this.#nextTick) return;
    this.#nextTick = now + this.#t.tickMs;
    for (const p of this.#pending.expire(now)) this.#expired(p, now);
    this.#maintain(now);
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
    // Checked before the node is kept: a bad key would make every later re-bootstrap throw.
    if (publicKey.length !== 32) throw new TypeError("bootstrap public key must be 32 bytes");
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
    return this.#lists.closest(target, count, this.#now, opts.includeLan ?? true);
  }

  /** Shared-key cache counters of the cipher, when it has a cache. */
  keyCacheStats(): { hits: number; misses: number; size: number } | undefined {
    return this.#cipher.stats?.();
  }

  /** Every good node of the close list (for saving). */
  goodNodes(): NodeInfo[] {
    return this.#lists.good(this.#now);
  }

  /** Number of close-list entries (any state) and of good ones. */
  closeListSize(): { entries: number; good: number } {
    return this.#lists.size(this.#now);
  }

  /** Starts keeping the 8 nodes closest to `publicKey` (c-toxcore `dht_addfriend`). */
  addSearch(publicKey: Uint8Array): void {
    const id = toHex(publicKey);
    if (this.#lists.searches.has(id)) return;
    const s: Search = {
      publicKey: publicKey.slice(),
      list: new ClientList(this.#s.searchSize),
      toBootstrap: this.closestNodes(publicKey, MAX_SENT_NODES),
      lastGetNodes: 0,
      bootstrapTimes: 0,
    };
    this.#lists.searches.set(id, s);
  }

  /** Stops searching for `publicKey`. */
  removeSearch(publicKey: Uint8Array): void {
    this.#lists.searches.delete(toHex(publicKey));
  }

  /** What we know about a searched key, or `undefined` when it is not searched. */
  searchResult(publicKey: Uint8Array): SearchResult | undefined {
    const s = this.#lists.search(publicKey);
    if (!s) return undefined;
    const r: SearchResult = { nodes: this.#lists.listNodes(s.list, true, this.#now) };
    if (s.found) r.addr = s.found.addr;
    if (s.reported) r.reported = s.reported;
    return r;
  }

  /**
   * Sends a routed request to `receiver` through the good nodes of its search list
   * (c-toxcore `route_tofriend`); returns how many copies were sent.
   */
  routeRequest(receiver: Uint8Array, requestId: number, data: Uint8Array): number {
    const s = this.#lists.search(receiver);
    if (!s) return 0;
    const key = this.#cipher.sharedKey(receiver);
    const nodes = this.#lists.listNodes(s.list, true, this.#now);
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
    for (const n of this.#notSelf(opts.seeds ?? [])) l.add(n, 0);
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
    // A packet from a key not cached yet costs an X25519: only within the budget.
    const budget = this.#opts.keyBudget;
    if (
      budget && this.#cipher.has && data.length > 33 && !this.#cipher.has(data.subarray(1, 33)) &&
      !budget.take(from.hostname, now)
    ) {
      this.stats.dropBudget++;
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
        this.#addToLists(sender.slice(), from, now);
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
          const named = m.type === "nodesResponse" ? this.#notSelf(m.nodes) : [];
          p.lookup.answered(sender, from, named, p.hop ?? 0, now);
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
    const wantKind = kind === KIND.PING_RESPONSE ? KIND.PING_REQUEST : KIND.NODES_REQUEST;
    const p = this.#pending.take(pingId, sender, from, now, wantKind);
    if (!p) this.stats.dropUnexpected++;
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
      if (r.requestId === REQUEST_ID.NAT_PING && !this.#onNatPing(sender, r.data)) return;
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
    const to = this.#lists.closeAddr(p.receiverPublicKey);
    if (!to) {
      this.stats.dropRouteUnknown++;
      return;
    }
    this.stats.routedForwarded++;
    this.enqueue(to, data.slice());
  }

  /**
   * c-toxcore `handle_NATping`: exactly `[type][id 8]` (else WireError: malformed), only
   * from a key we search (a DHT friend), and a request is answered through ONE random good
   * node of that key's list (`routeone_to_friend`). False when the packet is dropped.
   */
  #onNatPing(sender: Uint8Array, data: Uint8Array): boolean {
    const ping = decodeNatPing(data);
    const s = this.#lists.search(sender);
    if (!s) {
      this.stats.dropNatPingStranger++;
      return false;
    }
    if (!ping.response) {
      this.#routeOne(
        s,
        REQUEST_ID.NAT_PING,
        encodeNatPing({ response: true, pingId: ping.pingId }),
      );
    }
    return true;
  }

  /** Sends a routed request to `s`'s key through one random good node of its list. */
  #routeOne(s: Search, requestId: number, data: Uint8Array): boolean {
    const nodes = this.#lists.listNodes(s.list, true, this.#now);
    if (nodes.length === 0) return false;
    const n = nodes[nodes.length === 1 ? 0 : this.#randInt(nodes.length)]!;
    const key = this.#cipher.sharedKey(s.publicKey);
    this.enqueue(
      n.addr,
      sealRoutedPacket(
        s.publicKey,
        this.publicKey,
        requestId,
        data,
        key,
        this.#random(24),
        this.#cipher.seal,
      ),
    );
    return true;
  }

  #onLanDiscovery(data: Uint8Array, from: Addr, now: number): void {
    const pk = decodeLanDiscovery(data);
    if (!this.#lan || !isLanAddress(from.hostname) || keyEquals(pk, this.publicKey)) {
      this.stats.dropUnexpected++;
      return;
    }
    this.stats.lanDiscovery++;
    // c-toxcore `dht_bootstrap`: one nodes request and no other state; above all the sender
    // does not join the bootstrap nodes we retry (it could push the configured ones out).
    this.#request({ publicKey: pk.slice(), addr: from }, {
      type: "nodesRequest",
      target: this.publicKey,
    }, now);
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
    const evicted = this.#pending.add(pingId, p);
    if (evicted) this.#expired(evicted, now);
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
    const out = this.#lists.alive(target, requester, this.#now, lan);
    if (out.length === 0 && this.selfAddr && (lan || !isLanAddress(this.selfAddr.hostname))) {
      out.push({ publicKey: this.publicKey, addr: this.selfAddr });
    }
    return out.slice(0, MAX_SENT_NODES);
  }

  // ---------------------------------------------------------------- lists

  /** c-toxcore `addto_lists`: only for nodes that answered us. */
  #addToLists(pk: Uint8Array, addr: Addr, now: number): void {
    for (const _ of this.#lists.add(pk, addr, now)) {
      this.#opts.onEvent?.({ type: "found", publicKey: pk.slice(), addr });
    }
  }

  /** c-toxcore `ping_add`: a node that asked us something gets pinged if it would fit. */
  #pingAdd(pk: Uint8Array, addr: Addr, now: number): void {
    const s = this.#lists.search(pk);
    if (s && !s.found) {
      this.#request({ publicKey: pk.slice(), addr }, { type: "pingRequest" }, now);
      return;
    }
    if (!this.#lists.couldEnterClose(pk, now) && !this.#lists.searchWants(pk, now)) return;
    queueClosest(
      this.#toPing,
      { publicKey: pk.slice(), addr },
      this.publicKey,
      this.#s.maxToPing,
    );
  }

  /** c-toxcore `ping_node_from_getnodes_ok` plus `returnedip_ports`. */
  #fromNodesResponse(n: NodeInfo, now: number): void {
    if (keyEquals(n.publicKey, this.publicKey)) return;
    if (this.#lists.couldEnterClose(n.publicKey, now)) {
      queueClosest(this.#close.toBootstrap, n, this.publicKey, this.#s.closeToBootstrap);
    }
    for (const s of this.#lists.searches.values()) {
      if (keyEquals(n.publicKey, s.publicKey)) s.reported = n.addr;
      if (s.list.find(n.publicKey) < 0 && this.#lists.searchSlot(s, n.publicKey, now) >= 0) {
        queueClosest(s.toBootstrap, n, s.publicKey, this.#s.searchToBootstrap);
      }
    }
  }

  // ---------------------------------------------------------------- timers

  /** do_Close and do_DHT_friends: probes, random nodes requests, queued candidates. */
  #maintain(now: number): void {
    const rand = (n: number) => this.#randInt(n);
    const close = this.#lists.maintain(this.#close, this.#lists.buckets, now, rand);
    for (const n of close.requests) {
      this.#request(n, { type: "nodesRequest", target: this.publicKey }, now);
    }
    if (
      close.good < REBOOTSTRAP_BELOW_GOOD && this.#bootstrapNodes.length > 0 &&
      now - this.#lastRebootstrap >= REBOOTSTRAP_INTERVAL_MS
    ) {
      // Barely connected: ask the bootstrap nodes again (c-toxcore's clients re-bootstrap until
      // connected, and the DHT retries its loaded nodes: DHT_connect_after_load).
      this.#lastRebootstrap = now;
      for (const n of this.#bootstrapNodes) {
        this.#request(n, { type: "nodesRequest", target: this.publicKey }, now);
      }
    }
    if (close.alive === 0 && close.total > 0) this.#lists.reviveAll(now);
    for (const s of this.#lists.searches.values()) {
      for (const n of this.#lists.maintain(s, [s.list], now, rand).requests) {
        this.#request(n, { type: "nodesRequest", target: s.publicKey }, now);
      }
    }
  }

  #expired(p: Pending, now: number): void {
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

  /** Leaves us out: c-toxcore's answers skip only the searched key, so they can list us. */
  #notSelf(nodes: NodeInfo[]): NodeInfo[] {
    return nodes.filter((n) => !keyEquals(n.publicKey, this.publicKey));
  }

  #randInt(n: number): number {
    const b = this.#random(4);
    return ((b[0]! << 24 | b[1]! << 16 | b[2]! << 8 | b[3]!) >>> 0) % n;
  }
}
