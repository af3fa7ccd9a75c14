/**
 * Reaching a friend known only by its real key: the onion tells its DHT key and relays
 * (DHT-PK), the DHT tells its address, and a net_crypto session opens over UDP or the
 * friend's TCP relays. The thin driver of {@link FriendReach} on an {@link OnionDriver}, a
 * {@link DhtDriver} and a {@link SessionDriver} on the same node (and a {@link RelayClient}
 * under the DHT key pair, for the relay route), plus {@link resolvePeer}, the lookup alone.
 *
 * The session host must accept only friends: pass
 * `acceptPeer: (real) => connector.accepts(real)` when making it.
 *
 * @example
 * ```ts
 * import { backend } from "../crypto/mod.ts";
 * import { openUdpStack } from "../node/stack.ts";
 * import { SessionDriver } from "../session/driver.ts";
 * import { SessionHost } from "../session/host.ts";
 * import { OnionDriver } from "./driver.ts";
 * import { FriendConnector } from "./reach.ts";
 * const c = backend(), dhtKeyPair = c.keyPair(), realKeyPair = c.keyPair();
 * await using stack = await openUdpStack({ keyPair: dhtKeyPair, lanDiscovery: false });
 * await using onion = new OnionDriver({ dht: stack.dht, dhtKeyPair, realKeyPair });
 * const ref: { c?: FriendConnector } = {};
 * const host = new SessionHost({
 *   crypto: c, self: realKeyPair, selfDht: dhtKeyPair,
 *   acceptPeer: (real) => ref.c?.accepts(real) ?? false,
 * });
 * await using sessions = new SessionDriver({ udp: stack.host, host });
 * await using connector = ref.c = new FriendConnector({ onion, dht: stack.dht, sessions });
 * connector.add(c.keyPair().publicKey);
 * console.assert(connector.friend(realKeyPair.publicKey) === undefined);
 * ```
 * @module
 */
import type { DhtDriver } from "../dht/driver.ts";
import { keyEquals } from "../dht/distance.ts";
import type { NodeInfo } from "../dht/packed_node.ts";
import type { Addr } from "../net/addr.ts";
import { type Clock, realClock, type TimerId } from "../net/clock.ts";
import type { RelayClient } from "../relay/client_driver.ts";
import type { SessionDriver } from "../session/driver.ts";
import { toHex } from "../util/bytes.ts";
import type { OnionDriver } from "./driver.ts";
import {
  type FriendInfo,
  type FriendOptions,
  FriendReach,
  type ReachAction,
} from "./reach_state.ts";

/** How long a DHT lookup of a friend's DHT key may take (ms). */
export const REACH_LOOKUP_TIMEOUT_MS = 10_000;

/** Options of a {@link FriendConnector}. */
export interface FriendConnectorOptions {
  /** The onion client (announcing us, searching friends). */
  onion: OnionDriver;
  /** The DHT on the same socket. */
  dht: DhtDriver;
  /** Sessions on the same UDP host (and the relay route, if any). */
  sessions: SessionDriver;
  /** Relay links under our DHT key pair: the friend's relays from DHT-PK are added to it. */
  relay?: RelayClient;
  /** Clock (default real time; use the drivers'). */
  clock?: Clock;
  /** Bound of one DHT lookup (default {@link REACH_LOOKUP_TIMEOUT_MS}). */
  lookupTimeoutMs?: number;
}

/** Counters of a {@link FriendConnector}. */
export interface FriendConnectorStats {
  /** Sessions we opened. */
  dials: number;
  /** DHT lookups of a friend's DHT key started. */
  lookups: number;
  /** Lookups that found the friend's address. */
  found: number;
  /** Relays added from DHT-PK packets. */
  relaysAdded: number;
  /** Lookups that failed (a driver closed under them). */
  lookupErrors: number;
}

/** Friend connections over the onion, DHT and sessions; see the module documentation. */
export class FriendConnector implements AsyncDisposable {
  /** The sans-IO state. */
  readonly reach: FriendReach = new FriendReach();
  /** Counters. */
  readonly stats: FriendConnectorStats = {
    dials: 0,
    lookups: 0,
    found: 0,
    relaysAdded: 0,
    lookupErrors: 0,
  };
  readonly #o: FriendConnectorOptions;
  readonly #clock: Clock;
  readonly #offs: (() => void)[] = [];
  readonly #lookingUp = new Set<string>();
  #timer: TimerId | undefined;
  #timerAt = Infinity;
  #closed = false;

  /** Listens on the onion and the sessions at once. */
  constructor(o: FriendConnectorOptions) {
    this.#o = o;
    this.#clock = o.clock ?? realClock;
    this.#offs.push(o.onion.on((e) => {
      if (e.type !== "dhtpk") return;
      this.reach.onDhtPk(e, this.#clock.now());
      this.#pump();
    }));
    this.#offs.push(o.sessions.on((e) => {
      this.reach.onSession(e, this.#clock.now());
      this.#pump();
    }));
  }

  /** Adds a friend: the onion searches it, and (unless `dial: false`) we dial it once found. */
  add(publicKey: Uint8Array, o: FriendOptions = {}): void {
    this.reach.add(publicKey, o);
    this.#o.onion.addFriend(publicKey);
    this.#pump();
  }

  /** True for a friend (the session host's `acceptPeer`). */
  accepts(publicKey: Uint8Array): boolean {
    return this.reach.accepts(publicKey);
  }

  /** What is known about a friend. */
  friend(publicKey: Uint8Array): FriendInfo | undefined {
    return this.reach.friend(publicKey);
  }

  /** Resolves once the friend's session is established; rejects after `timeoutMs`. */
  waitConnected(publicKey: Uint8Array, timeoutMs: number): Promise<void> {
    return this.#o.sessions.waitEstablished(toHex(publicKey), timeoutMs);
  }

  /** Stops listening and the timer (the drivers stay open). */
  close(): Promise<void> {
    this.#closed = true;
    for (const off of this.#offs) off();
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    return Promise.resolve();
  }

  /** Same as {@link FriendConnector.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #pump(): void {
    if (this.#closed) return;
    for (const a of this.reach.drain()) this.#act(a);
    this.#o.onion.flush();
    this.#arm();
  }

  #act(a: ReachAction): void {
    const s = this.#o.sessions;
    const peer = "peer" in a ? toHex(a.peer) : "";
    switch (a.do) {
      case "dial":
        this.stats.dials++;
        s.connect(a.peer, a.dhtKey, a.addr ? { addr: a.addr } : {});
        break;
      case "lookup":
        this.#lookup(a.dhtKey, a.seeds);
        break;
      case "direct":
        s.setDirect(peer, a.addr);
        break;
      case "relays":
        this.#addRelays(a.relays);
        break;
      case "connected":
        this.#o.onion.client.setFriendConnected(a.peer, a.connected, this.#clock.now());
        break;
      case "send":
        s.send(peer, a.data);
        break;
      case "kill":
        s.kill(peer);
        break;
    }
  }

  #addRelays(relays: NodeInfo[]): void {
    const r = this.#o.relay;
    if (!r) return;
    const have = new Set(r.relays().map((l) => l.publicKey));
    for (const n of relays) {
      if (have.has(toHex(n.publicKey))) continue;
      r.addRelay(n.addr, n.publicKey);
      this.stats.relaysAdded++;
    }
  }

  #lookup(dhtKey: Uint8Array, seeds: NodeInfo[]): void {
    const id = toHex(dhtKey);
    if (this.#lookingUp.has(id)) return;
    this.#lookingUp.add(id);
    this.stats.lookups++;
    const timeoutMs = this.#o.lookupTimeoutMs ?? REACH_LOOKUP_TIMEOUT_MS;
    this.#o.dht.lookup(dhtKey, { seeds, timeoutMs }).then((r) => {
      this.#lookingUp.delete(id);
      if (this.#closed) return;
      const addr = r.addr ?? r.reported[0];
      if (!addr) return;
      this.stats.found++;
      this.reach.onAddr(dhtKey, addr, this.#clock.now());
      this.#pump();
    }, () => {
      // A driver closed under the lookup: nothing found, try again on the next DHT-PK.
      this.#lookingUp.delete(id);
      this.stats.lookupErrors++;
    });
  }

  #arm(): void {
    const at = this.reach.nextTimeout();
    if (at === this.#timerAt && this.#timer !== undefined) return;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAt = at;
    if (!Number.isFinite(at)) return;
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      this.#timerAt = Infinity;
      if (this.#closed) return;
      this.reach.handleTimeout(this.#clock.now());
      this.#pump();
    }, Math.max(0, at - this.#clock.now()));
  }
}

/** Where a peer known by its real key can be reached, as {@link resolvePeer} found it. */
export interface ResolvedPeer {
  /** Its real key. */
  realKey: Uint8Array;
  /** The DHT key it runs under now (from its DHT-PK packet). */
  dhtKey: Uint8Array;
  /** TCP relays it is connected to (from the DHT-PK). */
  relays: NodeInfo[];
  /** DHT nodes close to it (from the DHT-PK). */
  nodes: NodeInfo[];
  /** Its UDP addresses: where its DHT key answered, or where other nodes saw it. */
  addrs: Addr[];
  /** How the DHT-PK came: through the onion or DHT routing. */
  via: "onion" | "dht";
  /** ms from the call to the answer. */
  elapsedMs: number;
}

/** Options of {@link resolvePeer}. */
export interface ResolvePeerOptions {
  /** The onion client (it must announce us: the peer sends DHT-PK only to its friends). */
  onion: OnionDriver;
  /** The DHT on the same socket. */
  dht: DhtDriver;
  /** The peer's real (long-term) key. */
  realKey: Uint8Array;
  /** Give up after this long (ms). */
  timeoutMs: number;
  /** Aborts the wait. */
  signal?: AbortSignal;
}

/**
 * Finds a friend by real key the Tox way: adds it to the onion client (which searches its
 * announcement and sends our DHT-PK, so the friend sends its own), waits for its DHT-PK,
 * then looks its DHT key up in the DHT from the nodes the packet lists. Resolves to
 * `undefined` when no DHT-PK came in time; `addrs` may be empty when only relays reach it.
 * The key stays a friend of the onion client (pass it to a {@link FriendConnector} next).
 *
 * @example
 * ```ts ignore
 * const r = await resolvePeer({ onion, dht: stack.dht, realKey, timeoutMs: 20_000 });
 * if (r) sessions.connect(realKey, r.dhtKey, r.addrs[0] ? { addr: r.addrs[0] } : {});
 * ```
 */
export async function resolvePeer(o: ResolvePeerOptions): Promise<ResolvedPeer | undefined> {
  const start = o.dht.now();
  const deadline = start + o.timeoutMs;
  const pk = await new Promise<
    { dhtPublicKey: Uint8Array; nodes: NodeInfo[]; via: "onion" | "dht" } | undefined
  >((resolve) => {
    const done = (v?: { dhtPublicKey: Uint8Array; nodes: NodeInfo[]; via: "onion" | "dht" }) => {
      clearTimeout(t);
      off();
      o.signal?.removeEventListener("abort", abort);
      resolve(v);
    };
    const abort = () => done();
    const t = setTimeout(abort, o.timeoutMs);
    const off = o.onion.on((e) => {
      if (e.type === "dhtpk" && keyEquals(e.publicKey, o.realKey)) done(e);
    });
    if (o.signal?.aborted) return done();
    o.signal?.addEventListener("abort", abort, { once: true });
    o.onion.addFriend(o.realKey);
  });
  if (!pk) return undefined;
  const left = Math.max(1, deadline - o.dht.now());
  const seeds = pk.nodes.filter((n) => !n.tcp);
  const r = await o.dht.lookup(pk.dhtPublicKey, {
    seeds,
    timeoutMs: Math.min(left, REACH_LOOKUP_TIMEOUT_MS),
    ...(o.signal ? { signal: o.signal } : {}),
  }).catch(() => undefined); // a driver closed under the lookup: no address
  const addrs = r?.addr ? [r.addr] : [];
  for (const a of r?.reported ?? []) {
    if (!addrs.some((b) => b.hostname === a.hostname && b.port === a.port)) addrs.push(a);
  }
  return {
    realKey: o.realKey.slice(),
    dhtKey: pk.dhtPublicKey,
    relays: pk.nodes.filter((n) => n.tcp),
    nodes: seeds,
    addrs,
    via: pk.via,
    elapsedMs: Math.round(o.dht.now() - start),
  };
}
