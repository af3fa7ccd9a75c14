/**
 * Test helper: real {@link OnionNode}s and {@link OnionClient}s on the in-memory network in
 * virtual time. Nodes know each other from a static list (no DHT); every node and client
 * runs `handleTimeout` once per virtual second, each client at its own random phase. A node can be killed (it stops answering)
 * and a node can act as a TCP relay for clients with `udp: false`.
 * @module
 */
import { backend } from "../../lib/crypto/mod.ts";
import type { KeyPair } from "../../lib/crypto/backend.ts";
import { closer, keyEquals } from "../../lib/dht/distance.ts";
import type { NodeInfo } from "../../lib/dht/packed_node.ts";
import type { Addr } from "../../lib/net/addr.ts";
import { VirtualClock } from "../../lib/net/clock.ts";
import { type Endpoint, MemoryNetwork } from "../../lib/net/memory.ts";
import { OnionNode, type OnionSend } from "../../lib/onion/mod.ts";
import {
  OnionClient,
  type OnionClientEvent,
  type OnionClientOptions,
  type OnionClientTransmit,
} from "../../lib/onion/client.ts";
import { randomInt, seededRandom } from "../../lib/onion/client_paths.ts";

/** An onion node of the test network. */
export interface NetNode {
  node: OnionNode;
  keyPair: KeyPair;
  addr: Addr;
  ep: Endpoint;
  alive: boolean;
}

/** A client of the test network with what it emitted. */
export interface NetClient {
  client: OnionClient;
  realKeyPair: KeyPair;
  dhtKeyPair: KeyPair;
  addr: Addr;
  events: { at: number; e: OnionClientEvent }[];
  /** DHT-routed requests it asked for. */
  dht: Extract<OnionClientTransmit, { to: "dht" }>[];
  /** 0x86 datagrams it received, for replay tests. */
  received: Uint8Array[];
  /** Transmits by kind. */
  sent: { udp: number; relay: number };
}

/** Options of {@link ClientNet}. */
export interface ClientNetOptions {
  nodes: number;
  seed?: number;
  loss?: number;
  /** One-way latency, fixed or a [min, max] range drawn per datagram (default 20). */
  latencyMs?: number | [number, number];
}

function mulberry(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The network. */
export class ClientNet {
  readonly clock = new VirtualClock(1_000_000);
  readonly net: MemoryNetwork;
  readonly nodes: NetNode[] = [];
  readonly clients: NetClient[] = [];
  readonly random: (n: number) => Uint8Array;
  readonly #relayClients = new Map<string, NetClient>();
  #stopped = false;

  constructor(opts: ClientNetOptions) {
    const seed = opts.seed ?? 1;
    this.random = seededRandom(seed);
    const lat = opts.latencyMs ?? 20;
    const jitter = mulberry(seed + 1);
    this.net = new MemoryNetwork({
      clock: this.clock,
      latencyMs: typeof lat === "number"
        ? lat
        : () => Math.round(lat[0] + jitter() * (lat[1] - lat[0])),
      loss: opts.loss ?? 0,
      random: mulberry(seed),
    });
    for (let i = 0; i < opts.nodes; i++) this.#addNode(i);
    this.#tick();
  }

  #keyPair(): KeyPair {
    return backend().keyPairFromSecretKey(this.random(32));
  }

  #addNode(i: number): void {
    const keyPair = this.#keyPair();
    const addr = { hostname: `10.1.${i >> 8}.${i & 255}`, port: 33445 };
    const node = new OnionNode({
      keyPair,
      closestNodes: (target, count) => this.closest(target, count, keyPair.publicKey),
      random: this.random,
    });
    const n: NetNode = { node, keyPair, addr, ep: undefined as unknown as Endpoint, alive: true };
    n.ep = this.net.attach(addr, (data, from) => {
      if (!n.alive) return;
      this.#route(n, node.handleUdp(data, from, this.clock.now()));
    });
    this.nodes.push(n);
  }

  /** Live or dead, the `count` nodes closest to `target` (what a DHT close list would say). */
  closest(target: Uint8Array, count: number, except?: Uint8Array): NodeInfo[] {
    return this.nodes
      .filter((n) => !except || !keyEquals(n.keyPair.publicKey, except))
      .map((n) => ({ publicKey: n.keyPair.publicKey, addr: n.addr }))
      .sort((a, b) => closer(target, a.publicKey, b.publicKey))
      .slice(0, count);
  }

  #route(from: NetNode, outs: OnionSend[]): void {
    for (const o of outs) {
      if (o.to === "udp") from.ep.send(o.data, o.addr);
      else {
        const c = this.#relayClients.get(`${from.addr.hostname}#${o.client}`);
        if (c) {
          // The relay link is a reliable stream: deliver after the latency, no loss.
          this.clock.setTimeout(() => {
            c.client.handleRelayPacket(o.data, this.clock.now());
            this.flush(c);
          }, 20);
        }
      }
    }
  }

  /**
   * Adds a client at 192.168.x.y; it knows every node, or `known` random ones (what a DHT
   * would have given it).
   */
  addClient(opts: Partial<OnionClientOptions> = {}, known?: number): NetClient {
    const i = this.clients.length;
    const realKeyPair = opts.realKeyPair ?? this.#keyPair();
    const dhtKeyPair = opts.dhtKeyPair ?? this.#keyPair();
    let all = this.nodes.map((n) => ({ publicKey: n.keyPair.publicKey, addr: n.addr }));
    if (known !== undefined) {
      const pick: typeof all = [];
      while (pick.length < known && all.length > 0) {
        pick.push(all.splice(randomInt(this.random, all.length), 1)[0]!);
      }
      all = pick;
    }
    const client = new OnionClient({
      realKeyPair,
      dhtKeyPair,
      nodes: () => all,
      random: this.random,
      ...opts,
    });
    const addr = { hostname: `192.168.${i >> 8}.${i & 255}`, port: 40000 };
    const c: NetClient = {
      client,
      realKeyPair,
      dhtKeyPair,
      addr,
      events: [],
      dht: [],
      received: [],
      sent: { udp: 0, relay: 0 },
    };
    const ep = this.net.attach(addr, (data) => {
      if (data[0] === 0x86) c.received.push(data);
      client.handlePacket(data, this.clock.now());
      this.flush(c);
    });
    this.#eps.set(c, ep);
    this.clients.push(c);
    // Each client runs its own 1 s round, at a random phase, as independent processes do.
    const round = () => {
      if (this.#stopped) return;
      client.handleTimeout(this.clock.now());
      this.flush(c);
      this.clock.setTimeout(round, 1000);
    };
    this.clock.setTimeout(round, randomInt(this.random, 1000));
    return c;
  }

  readonly #eps = new Map<NetClient, Endpoint>();

  /** Makes node `i` a relay for client `c` (its TCP client number is the client's index). */
  relayFor(i: number, c: NetClient): { id: string; publicKey: Uint8Array; addr: Addr } {
    const n = this.nodes[i]!;
    this.#relayClients.set(`${n.addr.hostname}#${this.clients.indexOf(c)}`, c);
    return { id: `relay${i}`, publicKey: n.keyPair.publicKey, addr: n.addr };
  }

  /** Sends everything a client queued and records its events. */
  flush(c: NetClient): void {
    const now = this.clock.now();
    for (
      let t = c.client.pollTransmit(), k = 0;
      t && k < 10_000;
      t = c.client.pollTransmit(), k++
    ) {
      if (t.to === "udp") {
        c.sent.udp++;
        this.#eps.get(c)!.send(t.data, t.addr);
      } else if (t.to === "dht") c.dht.push(t);
      else {
        c.sent.relay++;
        const idx = Number(t.relay.slice(5));
        const relay = this.nodes[idx]!;
        if (!relay.alive) continue;
        const client = this.clients.indexOf(c);
        this.clock.setTimeout(() => {
          if (relay.alive) {
            this.#route(
              relay,
              relay.node.handleTcpRequest(t.data.subarray(1), client, this.clock.now()),
            );
          }
        }, 20);
      }
    }
    for (let e = c.client.pollEvent(); e; e = c.client.pollEvent()) c.events.push({ at: now, e });
  }

  #tick(): void {
    if (this.#stopped) return;
    const now = this.clock.now();
    for (const n of this.nodes) if (n.alive) n.node.handleTimeout(now);
    this.clock.setTimeout(() => this.#tick(), 1000);
  }

  /** Advances virtual time by `ms`. */
  run(ms: number): void {
    this.clock.advance(ms);
  }

  /** Advances in 100 ms steps until `done()` or `maxMs` passed; returns the time taken. */
  runUntil(done: () => boolean, maxMs: number): number | undefined {
    const start = this.clock.now();
    for (let t = 0; t <= maxMs; t += 100) {
      if (done()) return this.clock.now() - start;
      this.clock.advance(100);
    }
    return done() ? this.clock.now() - start : undefined;
  }

  /** Stops the ticking timer (timers left in the virtual clock are harmless). */
  stop(): void {
    this.#stopped = true;
  }
}

/** Events of one type. */
export function eventsOf<T extends OnionClientEvent["type"]>(
  c: NetClient,
  type: T,
): Extract<OnionClientEvent, { type: T }>[] {
  return c.events.map((x) => x.e).filter((e): e is Extract<OnionClientEvent, { type: T }> =>
    e.type === type
  );
}
