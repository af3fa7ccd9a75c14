/**
 * The thin driver of the session layer: it runs a {@link SessionHost} on a node's
 * {@link UdpHost} (kinds 0x18-0x1b) and, optionally, on a {@link RelayPath}, with one timer
 * at the host's `nextTimeout()`. All protocol state (nonces, rings, acknowledgements)
 * lives in the host, so each outgoing datagram may take any path: a {@link PathSelector}
 * per peer picks direct UDP, the relay route, or both (a direct copy of handshake-phase
 * packets and small probes), and switching loses or duplicates nothing.
 *
 * A peer's UDP address is given to {@link SessionDriver.connect} or
 * {@link SessionDriver.setDirect}, or learned from the first valid session datagram that
 * arrives from it over UDP. A relay datagram is matched to its peer by DHT key.
 *
 * The relay route to a peer is dropped (`RelayPath.removePeer`) once the direct path has
 * been up and fresh for 2 s, and asked for again as soon as the direct path goes stale
 * (silent for a few packet gaps) or down, as c-toxcore puts a directly connected peer's
 * TCP connection to sleep and wakes it when UDP stops working; while the direct path is
 * stale every datagram also goes by the relay (see {@link PathSelector}).
 *
 * Backpressure at the relay edge: a datagram the relay refuses on an online route (the
 * link's queue is full) is held, in order with what follows it, and the peer's lossless
 * data is held in the session ({@link SessionHost.setBlocked}) until the link's write
 * finishes, so the pacer never counts as sent what never left. When data moves off a
 * quiet direct path, the whole unacknowledged flight is sent again by the relay as soon
 * as its route is online ({@link SessionHost.resendFlight}), not a packet request at a time.
 *
 * @example
 * ```ts
 * import { backend } from "../crypto/mod.ts";
 * import { UdpHost } from "../node/host.ts";
 * import { denoNetwork } from "../net/deno.ts";
 * import { SessionDriver } from "./driver.ts";
 * import { SessionHost } from "./host.ts";
 * const c = backend();
 * const make = async () => {
 *   const udp = new UdpHost({ socket: await denoNetwork.bindDatagram({ hostname: "127.0.0.1", port: 0 }) });
 *   const host = new SessionHost({ crypto: c, self: c.keyPair(), selfDht: c.keyPair() });
 *   return { udp, d: new SessionDriver({ udp, host }) };
 * };
 * const a = await make(), b = await make();
 * await using _a = a.udp, _b = b.udp;
 * await using da = a.d, db = b.d;
 * let got = "";
 * db.on((e) => { if (e.type === "data") got = new TextDecoder().decode(e.data.subarray(1)); });
 * da.connect(db.host.publicKey, db.host.dhtPublicKey, { addr: b.udp.localAddr });
 * await da.waitEstablished(db.host.peer, 5000);
 * da.send(db.host.peer, new Uint8Array([160, 104, 105]));
 * for (let i = 0; i < 500 && got === ""; i++) await new Promise((r) => setTimeout(r, 10));
 * if (got !== "hi") throw new Error(`got ${JSON.stringify(got)}`);
 * ```
 * @module
 */
import type { Addr } from "../net/addr.ts";
import { formatAddr } from "../net/addr.ts";
import { type Clock, realClock, type TimerId } from "../net/clock.ts";
import type { UdpHost } from "../node/host.ts";
import { fromHex, toHex } from "../util/bytes.ts";
import { KIND_COOKIE_REQUEST, KIND_DATA } from "./constants.ts";
import type { HostTransmit, SessionHost } from "./host.ts";
import { type PathKind, PathSelector } from "./path.ts";
import type { RelayPath } from "./relay_path.ts";
import type { SessionEvent } from "./types.ts";

/** Options of a {@link SessionDriver}. */
export interface SessionDriverOptions {
  /** The node's UDP host; the driver registers kinds 0x18-0x1b in its table. */
  udp: UdpHost;
  /** The sans-IO session host. */
  host: SessionHost;
  /** The relay route (its client's key pair must be the host's DHT key pair). */
  relay?: RelayPath;
  /** Clock (default real time). */
  clock?: Clock;
  /** Use the direct UDP path (default true); false sends by the relay only. */
  direct?: boolean;
}

/** How a peer is reached. */
interface PeerPaths {
  /** The peer's name (hex real key). */
  peer: string;
  /** We called `connect()`: keep the entry (and its address) when the session ends. */
  dialled: boolean;
  dht: Uint8Array;
  addr: Addr | undefined;
  selector: PathSelector;
  /** The relay client is asked for a route to this peer. */
  relayAwake: boolean;
  /** The paths of the last datagram routed (to notice a switch). */
  lastRoute: string;
  /** Datagrams the relay refused (its queue full), in order, sent before anything new. */
  held: Uint8Array[];
  /** Data went direct-only since the last move to the relay (a flight there may be lost). */
  wasDirect: boolean;
  /** The relay route came online after the direct path went quiet: resend the flight. */
  flightDue: boolean;
}

/** Most datagrams held for one peer while the relay link's queue is full. */
const MAX_HELD = 8192;
/** While datagrams are held, they are tried again at least this often, ms. */
const HELD_RETRY_MS = 20;

/** Where to answer a cookie request. */
type Reply = { udp: Addr } | { relay: Uint8Array };

/** Counters of a {@link SessionDriver}. */
export interface SessionDriverStats {
  /** Datagrams sent over UDP. */
  udpSent: number;
  /** Datagrams sent over the relay route. */
  relaySent: number;
  /** Datagrams received over UDP. */
  udpReceived: number;
  /** Datagrams received over the relay route. */
  relayReceived: number;
  /** Datagrams with no path to take them. */
  noPath: number;
  /**
   * Datagrams the relay refused on an online route (its queue full): held, with the
   * peer's lossless data, until the link has room ({@link SessionHost.setBlocked}).
   */
  held: number;
  /** Held datagrams dropped because too many were held. */
  heldDropped: number;
  /** Event listener calls that threw. */
  listenerErrors: number;
  /** Times a relay route was dropped because the direct path was up. */
  relaySleeps: number;
  /** Times a dropped relay route was asked for again (direct path stale or down). */
  relayWakes: number;
  /** Times a peer's datagrams moved between direct-only and via the relay. */
  pathSwitches: number;
  /**
   * Times the whole unacknowledged flight was sent again because the direct path went
   * quiet and the relay route was online (or came online) to carry it.
   */
  flightResends: number;
}

/**
 * Sessions on real paths.
 *
 * @example
 * ```ts
 * import { backend } from "../crypto/mod.ts";
 * import { UdpHost } from "../node/host.ts";
 * import { MemoryNetwork } from "../net/memory.ts";
 * import { SessionDriver } from "./driver.ts";
 * import { SessionHost } from "./host.ts";
 * const c = backend();
 * await using udp = new UdpHost({ socket: await new MemoryNetwork().bindDatagram({ hostname: "10.0.0.1", port: 1 }) });
 * await using d = new SessionDriver({ udp, host: new SessionHost({ crypto: c, self: c.keyPair(), selfDht: c.keyPair() }) });
 * console.assert(d.stats.udpSent === 0);
 * ```
 */
export class SessionDriver implements AsyncDisposable {
  /** The session host. */
  readonly host: SessionHost;
  /** Counters. */
  readonly stats: SessionDriverStats = {
    udpSent: 0,
    relaySent: 0,
    udpReceived: 0,
    relayReceived: 0,
    noPath: 0,
    held: 0,
    heldDropped: 0,
    listenerErrors: 0,
    relaySleeps: 0,
    relayWakes: 0,
    pathSwitches: 0,
    flightResends: 0,
  };
  readonly #udp: UdpHost;
  readonly #relay: RelayPath | undefined;
  readonly #clock: Clock;
  readonly #direct: boolean;
  readonly #peers = new Map<string, PeerPaths>();
  readonly #byAddr = new Map<string, string>();
  readonly #byDht = new Map<string, string>();
  readonly #listeners = new Set<(e: SessionEvent) => void>();
  readonly #unlisten: () => void;
  /** Peers with held datagrams (their session's data is held too). */
  readonly #blocked = new Set<PeerPaths>();
  #timer: TimerId | null = null;
  #timerAt = Infinity;
  #closed = false;
  /** Peers whose session closed: forgotten after the flush sends their last packet (kill). */
  #closedPeers: string[] = [];

  /** Registers the session kinds on `udp` (and listens on `relay`). */
  constructor(o: SessionDriverOptions) {
    this.host = o.host;
    this.#udp = o.udp;
    this.#relay = o.relay;
    this.#clock = o.clock ?? realClock;
    this.#direct = o.direct ?? true;
    const kinds = [];
    for (let k = KIND_COOKIE_REQUEST; k <= KIND_DATA; k++) kinds.push(k);
    o.udp.table.register("session", kinds, (data, from, now) => this.#fromUdp(data, from, now));
    o.udp.start();
    const offData = o.relay?.listen((data, dht) => this.#fromRelay(data, dht));
    const offWritable = o.relay?.onWritable(() => {
      if (this.#blocked.size > 0) this.#flush();
    });
    const offOnline = o.relay?.onOnline((dht) => this.#relayOnline(dht));
    this.#unlisten = () => {
      offData?.();
      offWritable?.();
      offOnline?.();
    };
  }

  /** Subscribes to session events; returns the unsubscribe function. */
  on(fn: (e: SessionEvent) => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  /** Opens a session to a peer (real and DHT key), at `addr` over UDP when given. */
  connect(real: Uint8Array, dht: Uint8Array, o: { addr?: Addr } = {}): void {
    const peer = toHex(real);
    this.#track(peer, dht).dialled = true;
    if (o.addr) this.setDirect(peer, o.addr);
    this.host.connect(real, dht, this.#clock.now());
    this.#flush();
  }

  /** Sets (or clears) the peer's UDP address. */
  setDirect(peer: string, addr: Addr | undefined): void {
    const p = this.#peers.get(peer);
    if (!p) return;
    if (p.addr) this.#byAddr.delete(formatAddr(p.addr));
    p.addr = addr;
    if (addr) this.#byAddr.set(formatAddr(addr), peer);
  }

  /** The peer's UDP address, when known. */
  directAddr(peer: string): Addr | undefined {
    return this.#peers.get(peer)?.addr;
  }

  /**
   * True while a route to `peer` is asked of the relay client; false while it is dropped
   * because the direct path is up (and for an unknown peer).
   */
  relayAwake(peer: string): boolean {
    return this.#peers.get(peer)?.relayAwake ?? false;
  }

  /** True while the direct path to `peer` is confirmed (a valid packet in the last 8 s). */
  directUp(peer: string): boolean {
    return this.#peers.get(peer)?.selector.directUp(this.#clock.now()) ?? false;
  }

  /** Queues a lossless payload (first byte 16-191); false when full or no session. */
  send(peer: string, data: Uint8Array): boolean {
    const ok = this.host.send(peer, data, this.#clock.now());
    this.#flush();
    return ok;
  }

  /** Sends a lossy payload (first byte 192-254); false unless established. */
  sendLossy(peer: string, data: Uint8Array): boolean {
    const ok = this.host.sendLossy(peer, data, this.#clock.now());
    this.#flush();
    return ok;
  }

  /** Ends the session with `peer`. */
  kill(peer: string): void {
    this.host.kill(peer, this.#clock.now());
    this.#flush();
  }

  /** Resolves when the session with `peer` is established; rejects after `timeoutMs`. */
  waitEstablished(peer: string, timeoutMs: number): Promise<void> {
    if (this.host.session(peer)?.state === "established") return Promise.resolve();
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        off();
        reject(new Error(`session with ${peer.slice(0, 8)} not established`));
      }, timeoutMs);
      const off = this.on((e) => {
        if (e.type === "established" && e.peer === peer) {
          clearTimeout(t);
          off();
          resolve();
        }
      });
    });
  }

  /** Stops the timer, unregisters from the UDP host and the relay. Idempotent. */
  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    if (this.#timer !== null) this.#clock.clearTimeout(this.#timer);
    this.#timer = null;
    this.#udp.table.unregister("session");
    this.#unlisten();
    return Promise.resolve();
  }

  /** Same as {@link SessionDriver.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #track(peer: string, dht: Uint8Array): PeerPaths {
    let p = this.#peers.get(peer);
    if (p && toHex(p.dht) !== toHex(dht)) {
      this.#byDht.delete(toHex(p.dht));
      p.dht = dht;
    }
    if (!p) {
      p = {
        peer,
        held: [],
        wasDirect: false,
        flightDue: false,
        dialled: false,
        dht,
        addr: undefined,
        selector: new PathSelector(),
        relayAwake: true,
        lastRoute: "",
      };
      this.#peers.set(peer, p);
    }
    this.#byDht.set(toHex(dht), peer);
    this.#relay?.addPeer(dht);
    p.relayAwake = true;
    return p;
  }

  /** Drops or asks again for the relay route to `p` as its direct path says. */
  #relayRoute(p: PeerPaths, now: number): void {
    if (!this.#relay) return;
    const wanted = !this.#direct || p.addr === undefined || p.selector.relayWanted(now);
    if (wanted === p.relayAwake) return;
    p.relayAwake = wanted;
    if (wanted) {
      this.stats.relayWakes++;
      this.#relay.addPeer(p.dht);
    } else {
      this.stats.relaySleeps++;
      this.#relay.removePeer(p.dht);
    }
  }

  /** Drops what we kept about a peer that dialled us, once its session is gone. */
  #forget(peer: string): void {
    const p = this.#peers.get(peer);
    if (!p || p.dialled || this.host.session(peer)) return;
    if (p.addr) this.#byAddr.delete(formatAddr(p.addr));
    this.#byDht.delete(toHex(p.dht));
    this.#peers.delete(peer);
    this.#blocked.delete(p);
    this.#relay?.removePeer(p.dht);
  }

  #fromUdp(data: Uint8Array, from: Addr, now: number): void {
    if (this.#closed) return;
    this.stats.udpReceived++;
    const known = this.#byAddr.get(formatAddr(from));
    const reply: Reply = { udp: from };
    const peer = this.host.handleDatagram(data, now, { ...(known ? { peer: known } : {}), reply });
    this.#events(); // an incoming session is tracked before its address is learned
    if (peer !== undefined) {
      const p = this.#peers.get(peer);
      if (p && known !== peer) this.setDirect(peer, from);
      p?.selector.receivedDirect(now);
      if (p) this.#relayRoute(p, now);
    }
    this.#flush();
  }

  #fromRelay(data: Uint8Array, dht: Uint8Array): void {
    if (this.#closed) return;
    this.stats.relayReceived++;
    const known = this.#byDht.get(toHex(dht));
    const reply: Reply = { relay: dht };
    this.host.handleDatagram(data, this.#clock.now(), {
      ...(known ? { peer: known } : {}),
      reply,
      relay: true,
    });
    this.#flush();
  }

  #flush(): void {
    if (this.#closed) return;
    const now = this.#clock.now();
    this.#events();
    for (const p of [...this.#blocked]) this.#retryHeld(p, now);
    // Resends queued by a path switch below leave in the next round (a few at most).
    for (let round = 0; round < 4; round++) {
      const batch = this.host.drainTransmit();
      if (batch.length === 0) break;
      this.#transmit(batch, now);
    }
    for (const peer of this.#closedPeers.splice(0)) this.#forget(peer);
    this.#arm();
  }

  #transmit(batch: HostTransmit[], now: number): void {
    for (const p of this.#peers.values()) {
      if (!p.flightDue) continue;
      p.flightDue = false;
      this.#resendFlight(p, now);
    }
    for (const t of batch) {
      if (t.to === "reply") {
        const r = t.reply as Reply | undefined;
        if (r && "udp" in r) this.#sendUdp(t.bytes, r.udp);
        else if (r && "relay" in r) this.#sendRelay(r.relay, t.bytes);
        else this.stats.noPath++;
        continue;
      }
      const p = this.#peers.get(t.peer);
      if (!p) {
        this.stats.noPath++;
        continue;
      }
      if (p.held.length > 0 || !this.#route(p, t.bytes, now)) this.#hold(p, t.bytes, now);
    }
  }

  /** A relay route came online: if it takes over from a quiet direct path, resend the flight. */
  #relayOnline(dht: Uint8Array): void {
    const peer = this.#byDht.get(toHex(dht));
    const p = peer === undefined ? undefined : this.#peers.get(peer);
    if (!p || this.#closed) return;
    if (!p.wasDirect || p.selector.relayDroppable(this.#clock.now())) return;
    p.flightDue = true;
    queueMicrotask(() => this.#flush());
  }

  /** The direct path that carried `p`'s data went quiet: send its flight by the relay. */
  #resendFlight(p: PeerPaths, now: number): void {
    if (!p.wasDirect || !this.#relay?.online(p.dht)) return;
    p.wasDirect = false;
    this.stats.flightResends++;
    this.host.resendFlight(p.peer, now);
  }

  /**
   * Sends one datagram to `p` by the path(s) its selector picks; false when the relay
   * refused it on an online route (the link's queue is full), so it must be held.
   */
  #route(p: PeerPaths, bytes: Uint8Array, now: number): boolean {
    p.selector.setAvailable(this.#direct && p.addr !== undefined, this.#relay !== undefined);
    const paths = p.selector.route(bytes, now);
    this.#switched(p, paths);
    this.#relayRoute(p, now);
    if (paths.length === 0) this.stats.noPath++;
    let ok = true;
    for (const path of paths) {
      if (path === "direct" && p.addr) this.#sendUdp(bytes, p.addr);
      else if (path === "relay") ok = this.#sendRelay(p.dht, bytes) && ok;
    }
    return ok;
  }

  /**
   * Keeps a datagram the relay refused (or one behind it) and holds the session's data,
   * so nothing counts as sent that never left and the pacer does not run past the link.
   */
  #hold(p: PeerPaths, bytes: Uint8Array, now: number): void {
    if (p.held.length >= MAX_HELD) {
      this.stats.heldDropped++;
      return;
    }
    this.stats.held++;
    p.held.push(bytes);
    if (this.#blocked.has(p)) return;
    this.#blocked.add(p);
    this.host.setBlocked(p.peer, true, now);
  }

  /** Sends what is held for `p` while the paths take it; lets the session go when all went. */
  #retryHeld(p: PeerPaths, now: number): void {
    let i = 0;
    while (i < p.held.length && this.#route(p, p.held[i]!, now)) i++;
    p.held.splice(0, i);
    if (p.held.length > 0) return;
    this.#blocked.delete(p);
    this.host.setBlocked(p.peer, false, now);
  }

  /** Counts moves of a peer's datagrams between direct-only and via the relay. */
  #switched(p: PeerPaths, paths: PathKind[]): void {
    if (paths.length === 0) return;
    const route = paths.length === 1 && paths[0] === "direct" ? "direct" : "relay";
    if (p.lastRoute !== "" && route !== p.lastRoute) this.stats.pathSwitches++;
    if (route === "direct") p.wasDirect = true;
    else if (p.lastRoute === "direct") p.flightDue = true; // sent in the next round
    p.lastRoute = route;
  }

  #sendUdp(bytes: Uint8Array, to: Addr): void {
    this.stats.udpSent++;
    this.#udp.send(bytes, to);
  }

  /** False when the relay refused `bytes` on an online route (to be held); true otherwise. */
  #sendRelay(dht: Uint8Array, bytes: Uint8Array): boolean {
    if (this.#relay?.send(dht, bytes)) {
      this.stats.relaySent++;
      return true;
    }
    if (this.#relay?.online(dht)) return false;
    this.stats.noPath++;
    return true;
  }

  #events(): void {
    for (const e of this.host.drainEvents()) this.#event(e);
  }

  #event(e: SessionEvent): void {
    if (e.type === "incoming") this.#track(e.peer, e.dhtPublicKey);
    if (e.type === "closed") this.#closedPeers.push(e.peer);
    for (const fn of [...this.#listeners]) {
      try {
        fn(e);
      } catch {
        this.stats.listenerErrors++;
      }
    }
  }

  #arm(): void {
    let at = this.host.nextTimeout();
    if (this.#relay && this.#direct) {
      const now = this.#clock.now();
      for (const p of this.#peers.values()) at = Math.min(at, p.selector.nextChange(now));
    }
    if (this.#blocked.size > 0) at = Math.min(at, this.#clock.now() + HELD_RETRY_MS);
    // An armed timer that fires no later is kept: waking early costs one empty
    // handleTimeout, re-arming costs a timer per flush (every pump moves the next refill).
    if (this.#timer !== null && at >= this.#timerAt) return;
    if (this.#timer !== null) this.#clock.clearTimeout(this.#timer);
    this.#timer = null;
    this.#timerAt = at;
    if (at === Infinity || Number.isNaN(at)) return; // -Infinity: due now
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = null;
      this.#timerAt = Infinity;
      if (this.#closed) return;
      const now = this.#clock.now();
      this.host.handleTimeout(now);
      for (const p of this.#peers.values()) this.#relayRoute(p, now);
      this.#flush();
    }, Math.max(0, at - this.#clock.now()));
  }
}

/**
 * A peer's real key from its hex name (what {@link SessionHost} calls a peer).
 *
 * @example
 * ```ts
 * import { peerKey } from "./driver.ts";
 * console.assert(peerKey("ff".repeat(32)).length === 32);
 * ```
 */
export function peerKey(peer: string): Uint8Array {
  return fromHex(peer);
}
