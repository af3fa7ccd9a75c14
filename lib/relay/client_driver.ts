/**
 * The relay client on real sockets: links to several relays at once, asks each of them for
 * a route to every peer it knows, sends on the first relay where the route is online, and
 * when a relay dies reconnects to it in the background while traffic moves to the others
 * (the TCP_Network draft's point 6: a peer survives the loss of a relay).
 *
 * @example
 * ```ts ignore
 * import { backend } from "../crypto/mod.ts";
 * import { RelayClient } from "./client_driver.ts";
 * await using c = new RelayClient({ keyPair: backend().keyPair() });
 * c.addRelay({ hostname: "127.0.0.1", port: 33445 }, relayPublicKey);
 * c.addPeer(friendPublicKey);
 * c.onData = (peer, data) => console.log(data.length);
 * await c.waitForPeer(friendPublicKey, 5000);
 * c.send(friendPublicKey, new TextEncoder().encode("hi"));
 * ```
 * @module
 */
import type { KeyPair } from "../crypto/mod.ts";
import type { Addr } from "../net/addr.ts";
import { type Clock, realClock, type TimerId } from "../net/clock.ts";
import { denoNetwork } from "../net/deno.ts";
import type { Network, Stream } from "../net/types.ts";
import { toHex } from "../util/bytes.ts";
import { PeerkitError } from "../util/errors.ts";
import { NUM_RESERVED_PORTS } from "./constants.ts";
import { RelayClientConnection, type RelayClientEvent } from "./client.ts";
import { TaskSet } from "../util/tasks.ts";

/** Options of {@link RelayClient}. */
export interface RelayClientOptions {
  /** This client's (DHT) key pair: its identity at the relays. */
  keyPair: KeyPair;
  /** Network (default the real one). */
  network?: Network;
  /** Clock (default the real one). */
  clock?: Clock;
  /** First reconnect delay after a relay is lost, doubled up to 30 s (default 500 ms). */
  reconnectMs?: number;
}

/** Public view of one relay link. */
export interface RelayLinkInfo {
  /** Relay public key, hex. */
  publicKey: string;
  /** Relay address. */
  addr: Addr;
  /** Link state. */
  state: "connecting" | "ready" | "down";
  /** Peers whose route on this relay is online. */
  onlinePeers: number;
}

interface Link {
  addr: Addr;
  key: Uint8Array;
  hex: string;
  conn: RelayClientConnection | null;
  stream: Stream | null;
  writing: RelayClientConnection | null;
  timer: TimerId | null;
  backoff: number;
  removed: boolean;
  routes: Map<string, number>; // peer hex -> conn id (0 = asked, no id yet)
  byConnId: (string | null)[];
  online: Set<string>;
}

/**
 * A client of one or more relays.
 *
 * @example
 * ```ts
 * import { backend } from "../crypto/mod.ts";
 * import { RelayClient } from "./client_driver.ts";
 * const c = new RelayClient({ keyPair: backend().keyPair() });
 * console.assert(c.relays().length === 0 && !c.isOnline(new Uint8Array(32)));
 * await c.close();
 * ```
 */
export class RelayClient implements AsyncDisposable {
  /** Data from a peer, with the relay it came through. */
  onData?: (peer: Uint8Array, data: Uint8Array, relay: Uint8Array) => void;
  /** Out-of-band packet from `sender` (any client of that relay). */
  onOob?: (sender: Uint8Array, data: Uint8Array, relay: Uint8Array) => void;
  /** A peer became reachable (first online route) or unreachable (none left). */
  onPeer?: (peer: Uint8Array, online: boolean) => void;
  /** A relay link came up or went down. */
  onRelay?: (relay: Uint8Array, up: boolean, reason?: string) => void;
  /** An onion response (TCP id 9) from a relay. */
  onOnionResponse?: (data: Uint8Array, relay: Uint8Array) => void;

  readonly #kp: KeyPair;
  readonly #net: Network;
  readonly #clock: Clock;
  readonly #reconnectMs: number;
  readonly #links = new Map<string, Link>();
  readonly #peers = new Map<string, Uint8Array>();
  readonly #tasks = new TaskSet();
  readonly #waiters = new Set<{ check: () => void; close: () => void }>();
  #closed = false;

  /**
   * A client with no relays yet; add them with {@link RelayClient.addRelay}.
   *
   * @param opts key pair, network, clock
   */
  constructor(opts: RelayClientOptions) {
    this.#kp = opts.keyPair;
    this.#net = opts.network ?? denoNetwork;
    this.#clock = opts.clock ?? realClock;
    this.#reconnectMs = opts.reconnectMs ?? 500;
  }

  /** This client's public key. */
  get publicKey(): Uint8Array {
    return this.#kp.publicKey;
  }

  /** Starts linking to a relay (and relinking after losses) until removed or closed. */
  addRelay(addr: Addr, publicKey: Uint8Array): void {
    const hex = toHex(publicKey);
    if (this.#closed || this.#links.has(hex)) return;
    const link: Link = {
      addr,
      key: publicKey.slice(),
      hex,
      conn: null,
      stream: null,
      writing: null,
      timer: null,
      backoff: this.#reconnectMs,
      removed: false,
      routes: new Map(),
      byConnId: new Array<string | null>(256).fill(null),
      online: new Set(),
    };
    this.#links.set(hex, link);
    this.#tasks.track(this.#run(link));
  }

  /** Drops a relay link for good. */
  removeRelay(publicKey: Uint8Array): void {
    const link = this.#links.get(toHex(publicKey));
    if (!link) return;
    link.removed = true;
    this.#links.delete(link.hex);
    this.#down(link, "removed");
  }

  /** Asks every relay for a route to `peer` (its DHT public key). */
  addPeer(peer: Uint8Array): void {
    const hex = toHex(peer);
    if (this.#peers.has(hex)) return;
    this.#peers.set(hex, peer.slice());
    for (const l of this.#links.values()) this.#route(l, hex);
  }

  /** Forgets a peer and tells the relays to drop its routes. */
  removePeer(peer: Uint8Array): void {
    const hex = toHex(peer);
    if (!this.#peers.delete(hex)) return;
    for (const l of this.#links.values()) {
      const id = l.routes.get(hex);
      l.routes.delete(hex);
      l.online.delete(hex);
      if (id) {
        l.byConnId[id] = null;
        l.conn?.send({ type: "disconnectNotification", connId: id });
        this.#flush(l);
      }
    }
  }

  /** True when some relay has an online route to `peer`. */
  isOnline(peer: Uint8Array): boolean {
    const hex = toHex(peer);
    for (const l of this.#links.values()) if (l.online.has(hex)) return true;
    return false;
  }

  /** The relay links and their state. */
  relays(): RelayLinkInfo[] {
    return [...this.#links.values()].map((l) => ({
      publicKey: l.hex,
      addr: l.addr,
      state: l.conn?.state === "ready" ? "ready" : l.conn ? "connecting" : "down",
      onlinePeers: l.online.size,
    }));
  }

  /**
   * Sends data to `peer` over the first relay with an online route. Returns false when no
   * route is online or every such link's queue is full (the caller may retry or use OOB).
   */
  send(peer: Uint8Array, data: Uint8Array): boolean {
    const hex = toHex(peer);
    for (const l of this.#links.values()) {
      if (!l.online.has(hex)) continue;
      const id = l.routes.get(hex);
      if (id && l.conn?.sendData(id, data)) {
        this.#flush(l);
        return true;
      }
    }
    return false;
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
      if (l.conn?.send({ type: "oobSend", publicKey: peer, data })) {
        n++;
        this.#flush(l);
      }
    }
    return n;
  }

  /** Sends an onion request (payload after id 8) through `relay`. */
  sendOnionRequest(relay: Uint8Array, payload: Uint8Array): boolean {
    const l = this.#links.get(toHex(relay));
    if (!l?.conn?.send({ type: "onionRequest", data: payload })) return false;
    this.#flush(l);
    return true;
  }

  /** Resolves when `n` relays are ready; rejects after `timeoutMs` or when the client closes. */
  waitForRelays(n: number, timeoutMs: number): Promise<void> {
    return this.#waitFor(
      () => [...this.#links.values()].filter((l) => l.conn?.state === "ready").length >= n,
      timeoutMs,
      `fewer than ${n} relays ready`,
    );
  }

  /**
   * Resolves when `peer` has an online route; rejects after `timeoutMs` or when the client
   * closes.
   */
  waitForPeer(peer: Uint8Array, timeoutMs: number): Promise<void> {
    return this.#waitFor(() => this.isOnline(peer), timeoutMs, "peer not reachable");
  }

  #waitFor(ok: () => boolean, timeoutMs: number, what: string): Promise<void> {
    if (ok()) return Promise.resolve();
    if (this.#closed) return Promise.reject(closedError(what));
    return new Promise((resolve, reject) => {
      const waiter = {
        check: () => {
          if (!ok()) return;
          done();
          resolve();
        },
        close: () => {
          done();
          reject(closedError(what));
        },
      };
      const timer = this.#clock.setTimeout(() => {
        done();
        reject(new PeerkitError("RELAY_TIMEOUT", `${what} after ${timeoutMs} ms`));
      }, timeoutMs);
      const done = () => {
        this.#clock.clearTimeout(timer);
        this.#waiters.delete(waiter);
      };
      this.#waiters.add(waiter);
    });
  }

  #notify(): void {
    for (const w of [...this.#waiters]) w.check();
  }

  /** Closes every link and waits for the background tasks. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const l of this.#links.values()) {
      l.removed = true;
      this.#down(l, "closed");
    }
    for (const w of [...this.#waiters]) w.close();
    await this.#tasks.drain();
  }

  /** Same as {@link close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #run(l: Link): Promise<void> {
    let stream: Stream;
    try {
      stream = await this.#net.connect(l.addr);
    } catch {
      return this.#retry(l);
    }
    if (l.removed || this.#closed) {
      stream.close();
      return;
    }
    const conn = new RelayClientConnection({
      keyPair: this.#kp,
      serverPublicKey: l.key,
      now: this.#clock.now(),
    });
    l.conn = conn;
    l.stream = stream;
    this.#flush(l);
    this.#arm(l);
    const buf = new Uint8Array(64 * 1024);
    try {
      while (conn.state !== "closed") {
        const n = await stream.read(buf);
        if (n === null) break;
        conn.receive(buf.subarray(0, n), this.#clock.now());
        this.#drain(l);
      }
    } catch { /* reset */ }
    conn.close("connection closed");
    this.#drain(l);
    if (!l.removed && !this.#closed) this.#retry(l);
  }

  #retry(l: Link): void {
    if (l.removed || this.#closed) return;
    const wait = l.backoff;
    l.backoff = Math.min(30_000, l.backoff * 2);
    l.timer = this.#clock.setTimeout(() => {
      l.timer = null;
      if (!l.removed && !this.#closed) this.#tasks.track(this.#run(l));
    }, wait);
  }

  #arm(l: Link): void {
    if (l.timer !== null) this.#clock.clearTimeout(l.timer);
    const conn = l.conn;
    if (!conn || conn.state === "closed") return;
    const wait = Math.max(0, conn.nextTimeout() - this.#clock.now());
    l.timer = this.#clock.setTimeout(() => {
      l.timer = null;
      if (l.conn !== conn) return;
      conn.handleTimeout(this.#clock.now());
      this.#drain(l);
      this.#arm(l);
    }, wait);
  }

  #route(l: Link, hex: string): void {
    if (l.conn?.state !== "ready" || l.routes.has(hex)) return;
    const key = this.#peers.get(hex)!;
    if (l.conn.send({ type: "routingRequest", publicKey: key })) {
      l.routes.set(hex, 0);
      this.#flush(l);
    }
  }

  #drain(l: Link): void {
    const conn = l.conn;
    if (!conn) return;
    for (const e of conn.pollEvents()) this.#event(l, e);
    this.#flush(l);
  }

  #event(l: Link, e: RelayClientEvent): void {
    switch (e.type) {
      case "ready":
        l.backoff = this.#reconnectMs;
        this.onRelay?.(l.key, true);
        for (const hex of this.#peers.keys()) this.#route(l, hex);
        this.#arm(l);
        this.#notify();
        return;
      case "routingResponse": {
        const hex = toHex(e.publicKey);
        if (!this.#peers.has(hex) || e.connId < NUM_RESERVED_PORTS) return;
        l.routes.set(hex, e.connId);
        l.byConnId[e.connId] = hex;
        return;
      }
      case "connect": {
        const hex = l.byConnId[e.connId];
        if (!hex) return;
        const was = this.isOnline(this.#peers.get(hex)!);
        l.online.add(hex);
        if (!was) this.onPeer?.(this.#peers.get(hex)!, true);
        this.#notify();
        return;
      }
      case "disconnect": {
        const hex = l.byConnId[e.connId];
        if (!hex || !l.online.delete(hex)) return;
        if (!this.isOnline(this.#peers.get(hex)!)) this.onPeer?.(this.#peers.get(hex)!, false);
        return;
      }
      case "data": {
        const hex = l.byConnId[e.connId];
        const peer = hex ? this.#peers.get(hex) : undefined;
        if (peer) this.onData?.(peer, e.data, l.key);
        return;
      }
      case "oob":
        this.onOob?.(e.publicKey, e.data, l.key);
        return;
      case "onionResponse":
        this.onOnionResponse?.(e.data, l.key);
        return;
      case "closed":
        this.#down(l, e.reason);
        return;
      default:
        return;
    }
  }

  #down(l: Link, reason: string): void {
    const wasReady = l.conn !== null;
    l.conn?.close(reason);
    l.conn = null;
    l.stream?.close();
    l.stream = null;
    if (l.timer !== null) {
      this.#clock.clearTimeout(l.timer);
      l.timer = null;
    }
    const lost = [...l.online];
    l.online.clear();
    l.routes.clear();
    l.byConnId.fill(null);
    for (const hex of lost) {
      const peer = this.#peers.get(hex);
      if (peer && !this.isOnline(peer)) this.onPeer?.(peer, false);
    }
    if (wasReady) this.onRelay?.(l.key, false, reason);
  }

  #flush(l: Link): void {
    if (!l.stream || !l.conn || l.writing === l.conn) return;
    const stream = l.stream, conn = l.conn;
    const first = conn.takeOutput();
    if (!first) return;
    l.writing = conn;
    this.#tasks.track((async () => {
      try {
        for (let out: Uint8Array | null = first; out; out = conn.takeOutput()) {
          await stream.write(out);
        }
      } catch {
        conn.close("write failed");
        stream.close();
      } finally {
        if (l.writing === conn) l.writing = null;
      }
    })());
  }
}

function closedError(what: string): PeerkitError {
  return new PeerkitError("RELAY_CLOSED", `${what}: the relay client was closed`);
}
