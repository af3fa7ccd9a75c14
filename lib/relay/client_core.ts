/**
 * The relay client without sockets or timers: links to several relays, a route to every
 * peer on each, failover to the other relays when one dies, re-dial with a doubling backoff,
 * and out-of-band fallback while a peer has no online route (as c-toxcore's
 * TCP_connection.c does). It takes `now` and bytes, and answers with what to do:
 * {@link RelayClientCore.pollActions} (dial or close a socket),
 * {@link RelayClientCore.pollWritable} / {@link RelayClientCore.takeOutput} (bytes to
 * write), {@link RelayClientCore.pollEvents} (what to tell consumers) and
 * {@link RelayClientCore.nextTimeout} / {@link RelayClientCore.handleTimeout}.
 *
 * Sockets are named by a number the core picks in its `dial` action; an old socket's
 * number is never reused, so late input from it is ignored.
 *
 * @example
 * ```ts
 * import { backend } from "../crypto/mod.ts";
 * import { RelayClientCore } from "./client_core.ts";
 * const core = new RelayClientCore({ keyPair: backend().keyPair() });
 * core.addRelay({ hostname: "127.0.0.1", port: 33445 }, backend().keyPair().publicKey, 0);
 * const [dial] = core.pollActions();
 * console.assert(dial?.type === "dial");
 * core.connected(dial!.socket, 0);
 * console.assert(core.takeOutput(dial!.socket)?.length === 128); // the handshake
 * ```
 * @module
 */
import type { CryptoBackend, KeyPair } from "../crypto/mod.ts";
import type { Addr } from "../net/addr.ts";
import { toHex } from "../util/bytes.ts";
import { RelayClientConnection, type RelayClientEvent } from "./client.ts";
import { RouteTable } from "./client_routes.ts";
import type {
  RelayClientCoreOptions,
  RelayClientStats,
  RelayCoreAction,
  RelayCoreEvent,
  RelayLinkInfo,
} from "./client_types.ts";
import {
  CONNECTION_TIMEOUT_MS,
  MAX_OOB_DATA_SIZE,
  PING_INTERVAL_MS,
  PING_TIMEOUT_MS,
} from "./constants.ts";

interface Link {
  addr: Addr;
  key: Uint8Array;
  hex: string;
  socket: number | null;
  dialedAt: number;
  conn: RelayClientConnection | null;
  up: boolean;
  redialAt: number;
  backoff: number;
  routes: RouteTable;
}

/**
 * The sans-IO relay client.
 *
 * @example
 * ```ts
 * import { backend } from "../crypto/mod.ts";
 * import { RelayClientCore } from "./client_core.ts";
 * const core = new RelayClientCore({ keyPair: backend().keyPair(), reconnectMs: 100 });
 * core.addRelay({ hostname: "127.0.0.1", port: 1 }, backend().keyPair().publicKey, 0);
 * const [dial] = core.pollActions();
 * core.dialFailed(dial!.socket, 0);
 * console.assert(core.nextTimeout() === 100 && core.relays()[0]?.state === "down");
 * ```
 */
export class RelayClientCore {
  readonly #kp: KeyPair;
  readonly #o: Required<Omit<RelayClientCoreOptions, "keyPair" | "crypto" | "random">>;
  readonly #crypto: CryptoBackend | undefined;
  readonly #random: ((n: number) => Uint8Array) | undefined;
  readonly #links = new Map<string, Link>();
  readonly #sockets = new Map<number, Link>();
  readonly #peers = new Map<string, Uint8Array>();
  readonly #writable = new Set<number>();
  #actions: RelayCoreAction[] = [];
  #events: RelayCoreEvent[] = [];
  #nextSocket = 1;
  #closed = false;
  readonly #stats: RelayClientStats = {
    dials: 0,
    linksLost: 0,
    routeRequests: 0,
    routeRefusals: 0,
    strayRoutes: 0,
    oobFallbacks: 0,
    unknownConnection: 0,
  };

  /** A core with no relays yet. @param opts key pair, crypto, randomness, timings */
  constructor(opts: RelayClientCoreOptions) {
    this.#kp = opts.keyPair;
    // Unset, each link uses the process backend of the moment, as the rest of peerkit does.
    this.#crypto = opts.crypto;
    this.#random = opts.random;
    this.#o = {
      reconnectMs: opts.reconnectMs ?? 500,
      maxReconnectMs: opts.maxReconnectMs ?? 30_000,
      routeRetryMs: opts.routeRetryMs ?? 1000,
      routeRetries: opts.routeRetries ?? 4,
      pingIntervalMs: opts.pingIntervalMs ?? PING_INTERVAL_MS,
      pingTimeoutMs: opts.pingTimeoutMs ?? PING_TIMEOUT_MS,
      dialTimeoutMs: opts.dialTimeoutMs ?? CONNECTION_TIMEOUT_MS,
      oobFallback: opts.oobFallback ?? true,
    };
  }

  /** This client's public key. */
  get publicKey(): Uint8Array {
    return this.#kp.publicKey;
  }

  /** Counters (a copy). */
  stats(): RelayClientStats {
    return { ...this.#stats };
  }

  /** Starts linking to a relay (and relinking after losses) until removed or closed. */
  addRelay(addr: Addr, publicKey: Uint8Array, now: number): void {
    const hex = toHex(publicKey);
    if (this.#closed || this.#links.has(hex)) return;
    const link: Link = {
      addr,
      key: publicKey.slice(),
      hex,
      socket: null,
      dialedAt: now,
      conn: null,
      up: false,
      redialAt: Infinity,
      backoff: this.#o.reconnectMs,
      routes: new RouteTable({ retryMs: this.#o.routeRetryMs, retries: this.#o.routeRetries }),
    };
    this.#links.set(hex, link);
    this.#dial(link, now);
  }

  /** Drops a relay link for good. */
  removeRelay(publicKey: Uint8Array, _now: number): void {
    const link = this.#links.get(toHex(publicKey));
    if (!link) return;
    this.#links.delete(link.hex);
    this.#down(link, "removed");
  }

  /** Asks every ready relay for a route to `peer` (its DHT public key). */
  addPeer(peer: Uint8Array, now: number): void {
    const hex = toHex(peer);
    if (this.#peers.has(hex)) return;
    this.#peers.set(hex, peer.slice());
    for (const l of this.#links.values()) this.#ask(l, hex, now);
  }

  /** Forgets a peer and gives its connection ids back to the relays. */
  removePeer(peer: Uint8Array, _now: number): void {
    const hex = toHex(peer);
    if (!this.#peers.delete(hex)) return;
    for (const l of this.#links.values()) {
      const r = l.routes.delete(hex);
      if (r?.connId) this.#send(l, { type: "disconnectNotification", connId: r.connId });
      // A route still asked for is given back when its response comes (see #routed).
    }
  }

  /** True when some relay has an online route to `peer`. */
  isOnline(peer: Uint8Array): boolean {
    return this.#online(toHex(peer));
  }

  /** The relay links and their state. */
  relays(): RelayLinkInfo[] {
    return [...this.#links.values()].map((l) => ({
      publicKey: l.hex,
      addr: l.addr,
      state: l.conn?.state === "ready" ? "ready" : l.socket !== null ? "connecting" : "down",
      onlinePeers: l.routes.onlineCount,
    }));
  }

  /**
   * Sends data to `peer` over the first relay with an online route. With none online it
   * falls back to out-of-band packets on the relays that hold a route (data of at most 1024
   * bytes). Returns false when nothing took it, or when every online link's queue is full.
   */
  send(peer: Uint8Array, data: Uint8Array): boolean {
    const hex = toHex(peer);
    let full = false;
    for (const l of this.#links.values()) {
      const r = l.routes.get(hex);
      if (r?.state !== "online" || !l.conn) continue;
      if (l.conn.sendData(r.connId, data)) return this.#wrote(l);
      full = true;
    }
    if (full || !this.#o.oobFallback || data.length > MAX_OOB_DATA_SIZE || data.length === 0) {
      return false;
    }
    let sent = false;
    for (const l of this.#links.values()) {
      if (l.routes.get(hex)?.state !== "linked") continue;
      if (this.#send(l, { type: "oobSend", publicKey: peer, data })) sent = true;
    }
    if (sent) this.#stats.oobFallbacks++;
    return sent;
  }

  /**
   * Sends an out-of-band packet (1..1024 bytes) to `peer` through every ready relay, or only
   * through `relay`. Returns how many relays took it.
   */
  sendOob(peer: Uint8Array, data: Uint8Array, relay?: Uint8Array): number {
    let n = 0;
    const only = relay ? toHex(relay) : null;
    for (const l of this.#links.values()) {
      if (only && l.hex !== only) continue;
      if (this.#send(l, { type: "oobSend", publicKey: peer, data })) n++;
    }
    return n;
  }

  /** Sends an onion request (payload after id 8) through `relay`. */
  sendOnionRequest(relay: Uint8Array, payload: Uint8Array): boolean {
    const l = this.#links.get(toHex(relay));
    return l ? this.#send(l, { type: "onionRequest", data: payload }) : false;
  }

  /** The socket of a `dial` action is open. */
  connected(socket: number, now: number): void {
    const l = this.#sockets.get(socket);
    if (!l) {
      this.#actions.push({ type: "close", socket });
      return;
    }
    if (l.conn) return;
    l.conn = new RelayClientConnection({
      keyPair: this.#kp,
      serverPublicKey: l.key,
      now,
      crypto: this.#crypto,
      random: this.#random,
      pingIntervalMs: this.#o.pingIntervalMs,
      pingTimeoutMs: this.#o.pingTimeoutMs,
    });
    this.#writable.add(socket);
  }

  /** The socket of a `dial` action could not connect. */
  dialFailed(socket: number, now: number): void {
    const l = this.#sockets.get(socket);
    if (l) this.#lost(l, "connect failed", now);
  }

  /** Bytes read from a socket. */
  receive(socket: number, bytes: Uint8Array, now: number): void {
    const l = this.#sockets.get(socket);
    if (!l?.conn) return;
    l.conn.receive(bytes, now);
    this.#drain(l, now);
  }

  /** A socket ended (end of stream, reset, failed write). */
  closed(socket: number, now: number): void {
    const l = this.#sockets.get(socket);
    if (!l) return;
    l.conn?.close("connection closed");
    if (l.conn) this.#drain(l, now);
    else this.#lost(l, "connection closed", now);
  }

  /** Sockets with bytes to write since the last call. */
  pollWritable(): number[] {
    const w = [...this.#writable];
    this.#writable.clear();
    return w;
  }

  /** Everything queued for `socket`, joined; `null` when nothing is. */
  takeOutput(socket: number): Uint8Array | null {
    return this.#sockets.get(socket)?.conn?.takeOutput() ?? null;
  }

  /** Sockets to open or close since the last call. */
  pollActions(): RelayCoreAction[] {
    const a = this.#actions;
    this.#actions = [];
    return a;
  }

  /** Events since the last call. */
  pollEvents(): RelayCoreEvent[] {
    const e = this.#events;
    this.#events = [];
    return e;
  }

  /** When {@link handleTimeout} should run next (ms); `Infinity` when nothing waits. */
  nextTimeout(): number {
    let t = Infinity;
    for (const l of this.#links.values()) {
      if (l.socket === null) t = Math.min(t, l.redialAt);
      else if (!l.conn) t = Math.min(t, l.dialedAt + this.#o.dialTimeoutMs);
      else {
        t = Math.min(t, l.conn.nextTimeout());
        if (l.conn.state === "ready") t = Math.min(t, l.routes.nextRetry());
      }
    }
    return t;
  }

  /** Re-dials, dial and handshake deadlines, keep-alive, and asking again for refused routes. */
  handleTimeout(now: number): void {
    for (const l of [...this.#links.values()]) {
      if (l.socket === null) {
        if (now >= l.redialAt) this.#dial(l, now);
      } else if (!l.conn) {
        if (now - l.dialedAt >= this.#o.dialTimeoutMs) this.#lost(l, "connect timeout", now);
      } else {
        l.conn.handleTimeout(now);
        this.#drain(l, now);
        if (l.conn?.state === "ready") {
          for (const hex of l.routes.due(now)) this.#ask(l, hex, now);
        }
      }
    }
  }

  /** Closes every link for good. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const l of this.#links.values()) this.#down(l, "closed");
    this.#links.clear();
  }

  #dial(l: Link, now: number): void {
    const socket = this.#nextSocket++;
    l.socket = socket;
    l.dialedAt = now;
    l.redialAt = Infinity;
    this.#sockets.set(socket, l);
    this.#stats.dials++;
    this.#actions.push({ type: "dial", socket, addr: l.addr });
  }

  #ask(l: Link, hex: string, now: number): void {
    if (l.conn?.state !== "ready") return;
    const r = l.routes.get(hex);
    if (r && r.state !== "refused") return;
    if (this.#send(l, { type: "routingRequest", publicKey: this.#peers.get(hex)! })) {
      l.routes.ask(hex, now);
      this.#stats.routeRequests++;
    }
  }

  #send(l: Link, p: Parameters<RelayClientConnection["send"]>[0]): boolean {
    return l.conn?.send(p) ? this.#wrote(l) : false;
  }

  #wrote(l: Link): true {
    if (l.socket !== null) this.#writable.add(l.socket);
    return true;
  }

  #online(hex: string): boolean {
    for (const l of this.#links.values()) if (l.routes.get(hex)?.state === "online") return true;
    return false;
  }

  #drain(l: Link, now: number): void {
    const conn = l.conn;
    if (!conn) return;
    for (const e of conn.pollEvents()) {
      this.#event(l, e, now);
      if (l.conn !== conn) return;
    }
    if (conn.queuedBytes > 0) this.#wrote(l);
  }

  #event(l: Link, e: RelayClientEvent, now: number): void {
    switch (e.type) {
      case "ready":
        l.up = true;
        l.backoff = this.#o.reconnectMs;
        this.#events.push({ type: "relay", relay: l.key, up: true });
        for (const hex of this.#peers.keys()) this.#ask(l, hex, now);
        return;
      case "routingResponse":
        return this.#routed(l, toHex(e.publicKey), e.connId, now);
      case "connect": {
        const r = l.routes.byConnId(e.connId);
        if (!r) {
          this.#stats.unknownConnection++;
          return;
        }
        const was = this.#online(r.peer);
        if (l.routes.online(e.connId) && !was) this.#peerEvent(r.peer, true);
        return;
      }
      case "disconnect": {
        if (!l.routes.byConnId(e.connId)) {
          this.#stats.unknownConnection++;
          return;
        }
        const r = l.routes.offline(e.connId);
        if (r && !this.#online(r.peer)) this.#peerEvent(r.peer, false);
        return;
      }
      case "data": {
        const r = l.routes.byConnId(e.connId);
        const peer = r && this.#peers.get(r.peer);
        if (!peer) {
          this.#stats.unknownConnection++;
          return;
        }
        this.#events.push({ type: "data", peer, data: e.data, relay: l.key, oob: false });
        return;
      }
      case "oob": {
        // From a peer we hold a route to on this relay: its data, like c-toxcore delivers it.
        const hex = toHex(e.publicKey);
        const peer = l.routes.get(hex) ? this.#peers.get(hex) : undefined;
        if (peer) {
          this.#events.push({ type: "data", peer, data: e.data, relay: l.key, oob: true });
        } else {
          this.#events.push({ type: "oob", sender: e.publicKey, data: e.data, relay: l.key });
        }
        return;
      }
      case "onionResponse":
        this.#events.push({ type: "onionResponse", data: e.data, relay: l.key });
        return;
      case "closed":
        return this.#lost(l, e.reason, now);
      default:
        return;
    }
  }

  #routed(l: Link, hex: string, connId: number, now: number): void {
    const wanted = this.#peers.has(hex);
    const result = wanted ? l.routes.assign(hex, connId, now) : connId >= 16 ? "stray" : "ignored";
    if (connId < 16 && wanted && result !== "ignored") this.#stats.routeRefusals++;
    if (result === "stray") {
      // Nobody wants this id (the peer was removed while we waited): give it back.
      this.#stats.strayRoutes++;
      this.#send(l, { type: "disconnectNotification", connId });
    } else if (result === "gave_up") {
      this.#events.push({ type: "routeRefused", peer: this.#peers.get(hex)!, relay: l.key });
    }
  }

  #peerEvent(hex: string, online: boolean): void {
    const peer = this.#peers.get(hex);
    if (peer) this.#events.push({ type: "peer", peer, online });
  }

  /** The link died: its routes go, its peers may go offline, and a re-dial is planned. */
  #lost(l: Link, reason: string, now: number): void {
    this.#down(l, reason);
    this.#stats.linksLost++;
    if (this.#closed || this.#links.get(l.hex) !== l) return;
    l.redialAt = now + l.backoff;
    l.backoff = Math.min(this.#o.maxReconnectMs, l.backoff * 2);
  }

  #down(l: Link, reason: string): void {
    const wasReady = l.up;
    l.up = false;
    const lost = [...l.routes.values()].filter((r) => r.state === "online").map((r) => r.peer);
    l.conn?.close(reason);
    l.conn = null;
    if (l.socket !== null) {
      this.#sockets.delete(l.socket);
      this.#writable.delete(l.socket);
      this.#actions.push({ type: "close", socket: l.socket });
      l.socket = null;
    }
    l.routes.clear();
    for (const hex of lost) if (!this.#online(hex)) this.#peerEvent(hex, false);
    if (wasReady) this.#events.push({ type: "relay", relay: l.key, up: false, reason });
  }
}
