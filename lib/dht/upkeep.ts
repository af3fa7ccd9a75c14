/**
 * Keeping the DHT node's lists filled (c-toxcore `do_Close`, `do_DHT_friends`, `ping_add`,
 * `returnedip_ports`): the periodic probes and random nodes requests, the queue of nodes
 * to ping that asked us something, the candidates nodes responses named, and re-asking the
 * bootstrap nodes while we know too few good nodes.
 *
 * @example
 * ```ts
 * import { DhtNode } from "./node.ts";
 * import { backend } from "../crypto/mod.ts";
 * const a = new DhtNode({ keyPair: backend().keyPair() });
 * a.bootstrap({ hostname: "10.0.0.2", port: 1 }, backend().keyPair().publicKey, 0);
 * while (a.pollTransmit());
 * a.handleTimeout(6_000); // still no good node: the bootstrap node is asked again
 * console.assert(a.pollTransmit() !== undefined);
 * ```
 * @module
 */
import type { Addr } from "../net/addr.ts";
import type { DhtSizes, DhtTimings } from "./constants.ts";
import { keyEquals } from "./distance.ts";
import { type DhtLists, type ListState, queueClosest } from "./lists.ts";
import type { NodeInfo } from "./packed_node.ts";
import { randInt } from "./random.ts";
import type { DhtRequests } from "./requests.ts";

/** Bootstrap nodes remembered for retries while we know no good node. */
const REBOOTSTRAP_NODES = 8;
/** Retry bootstrap requests while fewer good close-list nodes than this are known. */
const REBOOTSTRAP_BELOW_GOOD = 4;
/** Retry interval of those bootstrap requests. */
const REBOOTSTRAP_INTERVAL_MS = 5_000;

/** What {@link DhtUpkeep} needs of its node. */
export interface DhtUpkeepHost {
  /** Our DHT public key. */
  publicKey: Uint8Array;
  /** The node's lists. */
  lists: DhtLists;
  /** Its requests. */
  requests: DhtRequests;
  /** List sizes. */
  sizes: DhtSizes;
  /** Timers. */
  timings: DhtTimings;
  /** Random bytes. */
  random: (n: number) => Uint8Array;
}

/**
 * The timers and candidate queues that keep one DHT node's lists filled.
 *
 * @example
 * ```ts
 * import { DhtUpkeep } from "./upkeep.ts";
 * import { DhtRequests } from "./requests.ts";
 * import { DhtLists } from "./lists.ts";
 * import { naclCipher } from "./cipher.ts";
 * import { emptyStats } from "./stats.ts";
 * import { TOXCORE_SIZES, TOXCORE_TIMINGS } from "./constants.ts";
 * import { backend } from "../crypto/mod.ts";
 * const kp = backend().keyPair();
 * const random = (n: number) => crypto.getRandomValues(new Uint8Array(n));
 * let sent = 0;
 * const requests = new DhtRequests({
 *   publicKey: kp.publicKey,
 *   cipher: naclCipher(kp.secretKey),
 *   random,
 *   stats: emptyStats(),
 *   send: () => void sent++,
 * }, 512, 5000);
 * const lists = new DhtLists(kp.publicKey, TOXCORE_SIZES, TOXCORE_TIMINGS);
 * const upkeep = new DhtUpkeep({
 *   publicKey: kp.publicKey,
 *   lists,
 *   requests,
 *   sizes: TOXCORE_SIZES,
 *   timings: TOXCORE_TIMINGS,
 *   random,
 * });
 * upkeep.rememberBootstrap({ publicKey: backend().keyPair().publicKey, addr: { hostname: "10.0.0.2", port: 1 } });
 * upkeep.tick(5_000); // no good node yet: the bootstrap node is asked again
 * console.assert(sent === 1);
 * ```
 */
export class DhtUpkeep {
  readonly #h: DhtUpkeepHost;
  readonly #close: ListState;
  #toPing: NodeInfo[] = [];
  #lastPingFlush = 0;
  #bootstrapNodes: NodeInfo[] = [];
  #lastRebootstrap = 0;

  /** Upkeep of `host`'s lists. */
  constructor(host: DhtUpkeepHost) {
    this.#h = host;
    this.#close = {
      publicKey: host.publicKey,
      toBootstrap: [],
      lastGetNodes: 0,
      bootstrapTimes: 0,
    };
  }

  /** Remembers bootstrap node `n` (most recent first) for retries. */
  rememberBootstrap(n: NodeInfo): void {
    this.#bootstrapNodes = [
      n,
      ...this.#bootstrapNodes.filter((b) => !keyEquals(b.publicKey, n.publicKey)),
    ].slice(0, REBOOTSTRAP_NODES);
  }

  /** One tick: probes and requests of every list, then the queued pings when due. */
  tick(now: number): void {
    this.#maintain(now);
    if (now - this.#lastPingFlush >= this.#h.timings.pingQueueIntervalMs) {
      this.#lastPingFlush = now;
      for (const n of this.#toPing) this.#h.requests.request(n, { type: "pingRequest" }, now);
      this.#toPing = [];
    }
  }

  /** c-toxcore `ping_add`: a node that asked us something gets pinged if it would fit. */
  pingAdd(pk: Uint8Array, addr: Addr, now: number): void {
    const h = this.#h;
    const s = h.lists.search(pk);
    if (s && !s.found) {
      h.requests.request({ publicKey: pk.slice(), addr }, { type: "pingRequest" }, now);
      return;
    }
    if (!h.lists.couldEnterClose(pk, now, addr) && !h.lists.searchWants(pk, now)) return;
    queueClosest(this.#toPing, { publicKey: pk.slice(), addr }, h.publicKey, h.sizes.maxToPing);
  }

  /** c-toxcore `ping_node_from_getnodes_ok` plus `returnedip_ports`. */
  fromNodesResponse(n: NodeInfo, now: number): void {
    const h = this.#h;
    if (keyEquals(n.publicKey, h.publicKey)) return;
    if (h.lists.couldEnterClose(n.publicKey, now)) {
      queueClosest(this.#close.toBootstrap, n, h.publicKey, h.sizes.closeToBootstrap);
    }
    for (const s of h.lists.searches.values()) {
      if (keyEquals(n.publicKey, s.publicKey)) s.reported = n.addr;
      if (s.list.find(n.publicKey) < 0 && h.lists.searchSlot(s, n.publicKey, now) >= 0) {
        queueClosest(s.toBootstrap, n, s.publicKey, h.sizes.searchToBootstrap);
      }
    }
  }

  /** do_Close and do_DHT_friends: probes, random nodes requests, queued candidates. */
  #maintain(now: number): void {
    const h = this.#h;
    const rand = (n: number) => randInt(h.random, n);
    const nodesRequest = (n: NodeInfo, target: Uint8Array) =>
      h.requests.request(n, { type: "nodesRequest", target }, now);
    const close = h.lists.maintain(this.#close, h.lists.buckets, now, rand);
    for (const n of close.requests) nodesRequest(n, h.publicKey);
    if (
      close.good < REBOOTSTRAP_BELOW_GOOD && this.#bootstrapNodes.length > 0 &&
      now - this.#lastRebootstrap >= REBOOTSTRAP_INTERVAL_MS
    ) {
      // Barely connected: ask the bootstrap nodes again (c-toxcore's clients re-bootstrap until
      // connected, and the DHT retries its loaded nodes: DHT_connect_after_load).
      this.#lastRebootstrap = now;
      for (const n of this.#bootstrapNodes) nodesRequest(n, h.publicKey);
    }
    if (close.alive === 0 && close.total > 0) h.lists.reviveAll(now);
    for (const s of h.lists.searches.values()) {
      for (const n of h.lists.maintain(s, [s.list], now, rand).requests) {
        nodesRequest(n, s.publicKey);
      }
    }
  }
}
