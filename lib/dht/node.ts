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
 * The parts: `requests.ts` (pending requests and lookups), `routed.ts` (routed requests and
 * NAT pings), `upkeep.ts` (timers that keep the lists filled), `outbox.ts`, `random.ts`.
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
import { DhtLists, type Search } from "./lists.ts";
import type { DhtNodeOptions, SearchResult } from "./node_types.ts";
export type { DhtEvent, DhtNodeOptions, RoutedRequest, SearchResult } from "./node_types.ts";
import {
  type DhtSizes,
  type DhtTimings,
  KIND,
  MAX_SENT_NODES,
  TOXCORE_SIZES,
  TOXCORE_TIMINGS,
} from "./constants.ts";
import { isLanAddress, keyEquals } from "./distance.ts";
import { type LookupOptions, type LookupResult, LookupState } from "./lookup.ts";
import { Outbox } from "./outbox.ts";
import type { NodeInfo } from "./packed_node.ts";
import { pooledRandom } from "./random.ts";
import { DhtRequests, type DhtRequestsHost } from "./requests.ts";
import { DhtRouting, type DhtRoutingHost } from "./routed.ts";
import { type DhtStats, emptyStats } from "./stats.ts";
import { DhtUpkeep, type DhtUpkeepHost } from "./upkeep.ts";
import { type DhtReceiveHost, receiveDhtPacket } from "./receive.ts";
import { decodeLanDiscovery, isDhtKind } from "./wire.ts";

/** What the parts of a node see of it: the union of their host interfaces. */
type DhtCore = DhtRequestsHost & DhtRoutingHost & DhtUpkeepHost & DhtReceiveHost;

/** A sans-IO Tox DHT node. */
export class DhtNode {
  /** Our DHT public key. */
  readonly publicKey: Uint8Array;
  /** Counters. */
  readonly stats: DhtStats = emptyStats();
  readonly #t: DhtTimings;
  readonly #s: DhtSizes;
  readonly #cipher: DhtCipher;
  readonly #lan: boolean;
  readonly #lists: DhtLists;
  readonly #requests: DhtRequests;
  readonly #routing: DhtRouting;
  readonly #upkeep: DhtUpkeep;
  readonly #receiveHost: DhtReceiveHost;
  readonly #out = new Outbox();
  #now = 0;
  #nextTick = 0;
  /** Our reachable address, listed as a last resort in nodes responses. */
  selfAddr: Addr | undefined;

  /** A node with empty lists. @param opts key pair, timers, sizes, random, cipher, hooks */
  constructor(opts: DhtNodeOptions) {
    const publicKey = this.publicKey = opts.keyPair.publicKey.slice();
    const timings = this.#t = { ...TOXCORE_TIMINGS, ...opts.timings };
    const sizes = this.#s = { ...TOXCORE_SIZES, ...opts.sizes };
    const random = opts.random ?? pooledRandom();
    const cipher = this.#cipher = opts.cipher ?? naclCipher(opts.keyPair.secretKey);
    this.#lan = opts.lanDiscovery ?? true;
    const lists = this.#lists = new DhtLists(publicKey, sizes, timings);
    // One object is every part's view of the node (a node per simulated peer: one object,
    // not one per part); the parts that need each other are filled in as they are made.
    const core: DhtCore = {
      publicKey,
      cipher,
      random,
      stats: this.stats,
      lists,
      sizes,
      timings,
      options: opts,
      send: (to, data) => this.enqueue(to, data),
      selfAddr: () => this.selfAddr,
      requests: null as unknown as DhtRequests,
      upkeep: null as unknown as DhtUpkeep,
    };
    this.#requests = core.requests = new DhtRequests(
      core,
      sizes.pendingMax,
      timings.responseTimeoutMs,
    );
    this.#upkeep = core.upkeep = new DhtUpkeep(core);
    this.#routing = new DhtRouting(core);
    this.#receiveHost = core;
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
      if (kind === KIND.ROUTED_REQUEST) this.#routing.receive(data, from, now);
      else if (kind === KIND.LAN_DISCOVERY) this.#onLanDiscovery(data, from, now);
      else receiveDhtPacket(this.#receiveHost, data, from, now);
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
    this.#requests.expire(now);
    this.#upkeep.tick(now);
    this.#requests.driveAll(now);
  }

  /** Next datagram to send, if any. */
  pollTransmit(): { to: Addr; data: Uint8Array } | undefined {
    return this.#out.poll();
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
    this.#upkeep.rememberBootstrap(n);
    this.#requests.request(n, { type: "nodesRequest", target: this.publicKey }, now);
  }

  /** Sends a ping request (used by `peerkit bootstrap` to measure round trips). */
  ping(addr: Addr, publicKey: Uint8Array, now: number): void {
    this.#now = now;
    this.#requests.request({ publicKey, addr }, { type: "pingRequest" }, now);
  }

  /** Sends a datagram the host built (queued with the node's own output). */
  enqueue(to: Addr, data: Uint8Array): void {
    this.#out.push(to, data);
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
    return this.#routing.routeRequest(receiver, requestId, data, this.#now);
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
    this.#requests.startLookup(l, now, onDone);
    return l;
  }

  /** Stops a lookup early. */
  cancelLookup(l: LookupState, now: number): void {
    l.cancel(now);
    this.#requests.drive(l, now);
  }

  // ---------------------------------------------------------------- receive

  #onLanDiscovery(data: Uint8Array, from: Addr, now: number): void {
    const pk = decodeLanDiscovery(data);
    if (!this.#lan || !isLanAddress(from.hostname) || keyEquals(pk, this.publicKey)) {
      this.stats.dropUnexpected++;
      return;
    }
    this.stats.lanDiscovery++;
    // c-toxcore `dht_bootstrap`: one nodes request and no other state; above all the sender
    // does not join the bootstrap nodes we retry (it could push the configured ones out).
    this.#requests.request({ publicKey: pk.slice(), addr: from }, {
      type: "nodesRequest",
      target: this.publicKey,
    }, now);
  }

  // ---------------------------------------------------------------- lists

  /** Leaves us out: c-toxcore's answers skip only the searched key, so they can list us. */
  #notSelf(nodes: NodeInfo[]): NodeInfo[] {
    return nodes.filter((n) => !keyEquals(n.publicKey, this.publicKey));
  }
}
