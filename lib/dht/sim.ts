/**
 * Runs many {@link DhtNode}s — the same code as on the real network — on the in-memory
 * network in virtual time, with latency, loss and churn. Used by the simulation tests and by
 * `bench/dht_sim.ts`.
 *
 * Nodes join one after another, each bootstrapping from two random nodes already in; every
 * node's `handleTimeout` runs once per virtual second; datagrams arrive after the configured
 * latency unless lost. Churn replaces a fraction of the nodes each virtual minute by new ones
 * (fresh key and address, as a restarted Tox client), which bootstrap again.
 *
 * @example
 * ```ts
 * import { DhtSimulation } from "./sim.ts";
 * const sim = new DhtSimulation({ nodes: 30, seed: 1 });
 * sim.joinAll(); sim.run(30_000);
 * const r = sim.lookupMany(5);
 * console.assert(r.results.length === 5);
 * sim.close();
 * ```
 * @module
 */
import { VirtualClock } from "../net/clock.ts";
import { type Endpoint, MemoryNetwork } from "../net/memory.ts";
import type { Addr } from "../net/addr.ts";
import { seededRandom } from "../net/random.ts";
import { tweetnaclBackend } from "../crypto/backend.ts";
import { SharedKeyCache } from "../crypto/shared_key_cache.ts";
import { type DhtCipher, naclCipher, simulationCipher } from "./cipher.ts";
import { DhtNode, type DhtNodeOptions } from "./node.ts";
import type { LookupResult } from "./lookup.ts";

/** Options of a {@link DhtSimulation}. */
export interface SimulationOptions {
  /** Number of nodes online at once. */
  nodes: number;
  /** One-way latency range in ms (default [10, 80]). */
  latencyMs?: [number, number];
  /** Datagram loss probability (default 0). */
  loss?: number;
  /** Fraction of nodes replaced per virtual minute (default 0). */
  churnPerMinute?: number;
  /** Seed of the deterministic random source (default 1). */
  seed?: number;
  /** Nodes joining per virtual second (default 100). */
  joinRate?: number;
  /** Use real NaCl (slow; default: the layout-preserving simulation cipher). */
  realCrypto?: boolean;
  /**
   * Shared keys each node caches (default 1024, a real node's default). The simulation
   * cipher keeps them in the real {@link SharedKeyCache}, so memory and hit rate are a real
   * node's; only the X25519 is replaced by a cheap stand-in.
   */
  sharedKeyCacheSize?: number;
  /** More options for every node. */
  node?: Partial<DhtNodeOptions>;
}

/** Aggregate of a batch of lookups. */
export interface LookupBatch {
  /** Every result. */
  results: LookupResult[];
  /** Share found, 0..1. */
  successRate: number;
  /** Mean hops of found lookups. */
  meanHops: number;
  /** Largest hops of found lookups. */
  maxHops: number;
  /** Mean nodes requests per lookup. */
  meanRequests: number;
  /** Mean virtual ms per lookup. */
  meanMs: number;
}

/** One simulated node. */
export interface SimNode {
  /** The node's state machine. */
  node: DhtNode;
  /** Its endpoint on the network. */
  ep: Endpoint;
  /** False once taken offline. */
  online: boolean;
  /** Virtual time it joined. */
  joinedAt: number;
  /** Its shared-key cache (absent with `realCrypto`, where the cipher owns one). */
  keyCache?: SharedKeyCache;
}

/** The simulation cipher's stand-in for X25519: both public keys XORed (symmetric, like DH). */
function xorKeys(a: Uint8Array, b: Uint8Array): Uint8Array {
  const k = new Uint8Array(32);
  for (let i = 0; i < 32; i++) k[i] = a[i]! ^ b[i]!;
  return k;
}

/** Stateless halves of the simulation cipher, shared by every node. */
const SIM_BOX = simulationCipher(new Uint8Array(32));

/**
 * The simulation cipher behind a real {@link SharedKeyCache}: real 32-byte entries, real
 * eviction and counters; only the key itself is the XOR stand-in. The cache is given the
 * node's public key where a real node gives its secret key, so one derive function serves
 * every node.
 */
function cachedSimulationCipher(
  publicKey: Uint8Array,
  capacity: number,
): { cipher: DhtCipher; cache: SharedKeyCache } {
  const cache = new SharedKeyCache(publicKey, capacity, { derive: xorKeys });
  const cipher: DhtCipher = {
    sharedKey: (pk) => cache.get(pk),
    seal: SIM_BOX.seal,
    open: SIM_BOX.open,
    stats: () => ({ hits: cache.hits, misses: cache.misses, size: cache.size }),
  };
  return { cipher, cache };
}

/** A whole DHT in one process. */
export class DhtSimulation {
  /** Virtual clock. */
  readonly clock = new VirtualClock();
  /** The network. */
  readonly net: MemoryNetwork;
  /** Every node ever created (offline ones included). */
  readonly nodes: SimNode[] = [];
  readonly #o: Required<Omit<SimulationOptions, "node">> & { node: Partial<DhtNodeOptions> };
  readonly #random: () => number;
  readonly #randomBytes = (n: number): Uint8Array => this.randomBytes(n);
  #nextAddr = 0;
  #lastChurn = 0;

  /** A network with no nodes yet. @param opts size, latency, loss, churn, seed */
  constructor(opts: SimulationOptions) {
    this.#o = {
      latencyMs: [10, 80],
      loss: 0,
      churnPerMinute: 0,
      seed: 1,
      joinRate: 100,
      realCrypto: false,
      sharedKeyCacheSize: 1024,
      node: {},
      ...opts,
    };
    this.#random = seededRandom(this.#o.seed);
    const [lo, hi] = this.#o.latencyMs;
    this.net = new MemoryNetwork({
      clock: this.clock,
      latencyMs: () => lo + this.#random() * (hi - lo),
      loss: this.#o.loss,
      random: this.#random,
    });
  }

  /** Random bytes from the seeded generator. */
  randomBytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i += 4) {
      const x = (this.#random() * 4294967296) >>> 0;
      out[i] = x;
      if (i + 1 < n) out[i + 1] = x >>> 8;
      if (i + 2 < n) out[i + 2] = x >>> 16;
      if (i + 3 < n) out[i + 3] = x >>> 24;
    }
    return out;
  }

  /** Online nodes. */
  online(): SimNode[] {
    return this.nodes.filter((n) => n.online);
  }

  /** Creates one node and bootstraps it from a random online node (if any). */
  addNode(): SimNode {
    const i = this.#nextAddr++;
    // Public-looking addresses (20.0.0.0/8), so c-toxcore's LAN rules do not apply.
    const addr: Addr = {
      hostname: `20.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
      port: 33445,
    };
    const secretKey = this.randomBytes(32);
    const keyPair = this.#o.realCrypto
      ? tweetnaclBackend.keyPairFromSecretKey(secretKey)
      : { publicKey: this.randomBytes(32), secretKey };
    const cached = this.#o.realCrypto
      ? undefined
      : cachedSimulationCipher(keyPair.publicKey, this.#o.sharedKeyCacheSize);
    const node = new DhtNode({
      keyPair,
      random: this.#randomBytes,
      cipher: cached?.cipher ?? naclCipher(keyPair.secretKey, this.#o.sharedKeyCacheSize),
      lanDiscovery: false,
      selfAddr: addr,
      ...this.#o.node,
    });
    const sim: SimNode = {
      node,
      ep: undefined as unknown as Endpoint,
      online: true,
      joinedAt: this.clock.now(),
    };
    if (cached) sim.keyCache = cached.cache;
    sim.ep = this.net.attach(addr, (data, from) => {
      node.handlePacket(data, from, this.clock.now());
      this.#flush(sim);
    });
    const peers = this.online();
    this.nodes.push(sim);
    // Like a Tox client with its bootstrap list: two random nodes already in.
    for (let k = 0; k < Math.min(2, peers.length); k++) {
      const p = peers[Math.floor(this.#random() * peers.length)]!;
      node.bootstrap(p.ep.addr, p.node.publicKey, this.clock.now());
    }
    this.#flush(sim);
    return sim;
  }

  /** Joins `opts.nodes` nodes at `joinRate` per virtual second. */
  joinAll(): void {
    const perSecond = Math.max(1, this.#o.joinRate);
    while (this.nodes.length < this.#o.nodes) {
      const batch = Math.min(perSecond, this.#o.nodes - this.nodes.length);
      for (let i = 0; i < batch; i++) this.addNode();
      this.run(1000);
    }
  }

  /** Runs `ms` of virtual time: deliveries, then each online node's timers, once a second. */
  run(ms: number): void {
    const end = this.clock.now() + ms;
    while (this.clock.now() < end) {
      const t = Math.min(end, Math.floor(this.clock.now() / 1000) * 1000 + 1000);
      this.clock.runUntil(t);
      for (const n of this.nodes) {
        if (!n.online || n.node.nextTimeout() > t) continue;
        n.node.handleTimeout(t);
        this.#flush(n);
      }
      this.#churn(t);
    }
  }

  /** Takes a node offline: it stops answering and ticking. */
  takeOffline(n: SimNode): void {
    n.online = false;
    n.ep.detach();
  }

  /**
   * Runs `count` lookups at once from random online nodes for random other online keys, and
   * advances time until all end (at most `timeoutMs` + 2 s). Sources and targets have been
   * online for at least `minAgeMs` (default 30 s: a node that joined a moment ago is not yet
   * known to its neighbours, on c-toxcore's network too).
   */
  lookupMany(count: number, timeoutMs = 20_000, minAgeMs = 30_000): LookupBatch {
    const on = this.online().filter((n) => this.clock.now() - n.joinedAt >= minAgeMs);
    const results: LookupResult[] = [];
    for (let i = 0; i < count && on.length >= 2; i++) {
      const a = on[Math.floor(this.#random() * on.length)]!;
      let b = a;
      while (b === a) b = on[Math.floor(this.#random() * on.length)]!;
      a.node.startLookup(b.node.publicKey, this.clock.now(), { timeoutMs }, (r) => results.push(r));
      this.#flush(a);
    }
    const want = Math.min(count, on.length >= 2 ? count : 0);
    const deadline = this.clock.now() + timeoutMs + 2000;
    while (results.length < want && this.clock.now() < deadline) this.run(100);
    const found = results.filter((r) => r.found);
    const mean = (xs: number[]) => xs.length ? xs.reduce((s, x) => s + x, 0) / xs.length : 0;
    return {
      results,
      successRate: want ? found.length / want : 0,
      meanHops: mean(found.map((r) => r.hops)),
      maxHops: found.reduce((m, r) => Math.max(m, r.hops), 0),
      meanRequests: mean(results.map((r) => r.requests)),
      meanMs: mean(results.map((r) => r.elapsedMs)),
    };
  }

  /** Detaches every node. */
  close(): void {
    for (const n of this.nodes) if (n.online) this.takeOffline(n);
  }

  #flush(n: SimNode): void {
    if (!n.online) {
      while (n.node.pollTransmit());
      return;
    }
    for (let t; (t = n.node.pollTransmit());) n.ep.send(t.data, t.to);
  }

  #churn(now: number): void {
    if (this.#o.churnPerMinute <= 0 || now - this.#lastChurn < 60_000) return;
    this.#lastChurn = now;
    const on = this.online();
    const k = Math.round(on.length * this.#o.churnPerMinute);
    for (let i = 0; i < k; i++) {
      const victim = on[Math.floor(this.#random() * on.length)]!;
      if (victim.online) this.takeOffline(victim);
    }
    for (let i = 0; i < k; i++) this.addNode();
  }
}
