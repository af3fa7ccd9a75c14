/**
 * A link: sessions to peers carried over the best path. It owns one UDP socket (the batched
 * socket where FFI is allowed), one relay client connected to every relay, a
 * {@link SessionDriver} with a relay route, and one timer. A session starts on whichever
 * path opens first (usually the relay); a punch runs in the background on the same socket,
 * so the NAT mapping it opens is the one the session then uses; once the direct path is
 * confirmed the relay route is dropped, and when it goes quiet for 8 s traffic goes back
 * to the relay and the route is asked for again. Every change is a {@link PathEvent}.
 *
 * Convention for peerkit-to-peerkit links: the identity key pair is both the session's
 * real key and its DHT key, so a peer's relay route and out-of-band address is its id.
 * {@link Link.dial} takes a different DHT key (`peerDht`) for peers that use one.
 *
 * On every session the link first sends the peerkit hello `[164]` and Messenger's online
 * packet `[24]` (see `channel.ts`: how a Tox client is told apart), then the friend
 * connection's alive packet every 8 s, and ends
 * a session with nothing heard for 32 s. A listener hears the handshake of any peer (that
 * proves its key), then refuses one it does not accept with `[162][reason]` and a kill.
 *
 * @example
 * ```ts
 * import { backend } from "../crypto/mod.ts";
 * import { Link } from "./link.ts";
 * const c = backend();
 * await using a = await Link.open({ keyPair: c.keyPair(), bind: { hostname: "127.0.0.1", port: 0 } });
 * await using b = await Link.open({ keyPair: c.keyPair(), bind: { hostname: "127.0.0.1", port: 0 } });
 * let got = "";
 * b.listen({ allow: "any", onChannel: (ch) => ch.onMessage((m) => got = new TextDecoder().decode(m.subarray(1))) });
 * const ch = await a.dial({ peer: b.publicKey, addrs: [b.localAddr], timeoutMs: 5000 });
 * await ch.send(new Uint8Array([160, 104, 105]));
 * for (let i = 0; i < 300 && got === ""; i++) await new Promise((r) => setTimeout(r, 10));
 * await ch.close();
 * if (got !== "hi") throw new Error(`got ${got}`);
 * ```
 * @module
 */
import { type Addr, formatAddr } from "../net/addr.ts";
import { type Clock, realClock, type TimerId } from "../net/clock.ts";
import { denoBatchNetwork } from "../net/deno.ts";
import { UdpHost } from "../node/host.ts";
import type { NatLevel } from "../punch/hello.ts";
import { discover, type RelaySpec } from "../punch/session.ts";
import { natVerdict } from "../nat/report.ts";
import { RelayClient } from "../relay/client_driver.ts";
import { SessionDriver } from "../session/driver.ts";
import { ALIVE_PACKET, FriendLiveness } from "../session/friend.ts";
import { SessionHost } from "../session/host.ts";
import { RelayPath } from "../session/relay_path.ts";
import type { SessionEvent } from "../session/types.ts";
import { fromHex, toHex } from "../util/bytes.ts";
import {
  type ChannelEnd,
  MESSENGER,
  PACKET,
  type PathEvent,
  type PeerChannel,
  reasonMessage,
} from "./channel.ts";
import { linkError } from "./errors.ts";
import type { DialOptions, LinkOptions, ListenOptions } from "./options.ts";
export type { DialOptions, LinkOptions, ListenOptions } from "./options.ts";
import {
  endOf,
  endWhy,
  newPeerState,
  type PeerState,
  takeData,
  waitEstablished,
} from "./peer_state.ts";
import { BackgroundPunch } from "./punch_bg.ts";

const TICK_MS = 250;
const HELLO = new Uint8Array([PACKET.HELLO]);
const ONLINE = new Uint8Array([MESSENGER.ONLINE]);

/**
 * Sessions on the best path (see the module notes).
 *
 * @example
 * ```ts
 * import { backend } from "../crypto/mod.ts";
 * import { Link } from "./link.ts";
 * await using l = await Link.open({ keyPair: backend().keyPair(), bind: { hostname: "127.0.0.1", port: 0 } });
 * console.assert(l.localAddr.port > 0 && l.peers().length === 0);
 * ```
 */
export class Link implements AsyncDisposable {
  /** The session driver. */
  readonly driver: SessionDriver;
  /** The relay client (shared by the relay route and the punch meeting). */
  readonly relay: RelayClient;
  /** The UDP host (sessions, punch probes, STUN). */
  readonly udp: UdpHost;
  /** Our endpoints as told to peers, and our NAT verdict. */
  readonly self: { endpoints: Addr[]; nat: NatLevel };
  readonly #o: LinkOptions;
  readonly #clock: Clock;
  readonly #t0: number;
  readonly #relayPath: RelayPath | undefined;
  readonly #peers = new Map<string, PeerState>();
  readonly #pathListeners = new Set<(e: PathEvent) => void>();
  readonly #relays: RelaySpec[] = [];
  readonly #punch: BackgroundPunch | undefined;
  readonly #pendingDirect = new Map<string, Addr>();
  #listen: ListenOptions | undefined;
  #timer: TimerId | null = null;
  #closed = false;

  private constructor(o: LinkOptions, udp: UdpHost, nat: NatLevel, endpoints: Addr[]) {
    this.#o = o;
    this.#clock = o.clock ?? realClock;
    this.#t0 = this.#clock.now();
    this.udp = udp;
    this.self = { endpoints, nat };
    this.relay = new RelayClient({ keyPair: o.keyPair, clock: this.#clock });
    const relayed = (o.relays ?? []).length > 0;
    if (relayed || o.relayRoute) this.#relayPath = new RelayPath(this.relay);
    for (const r of o.relays ?? []) this.addRelay(r);
    const host = new SessionHost({
      self: o.keyPair,
      selfDht: o.keyPair,
      pacer: o.pacer ?? "deliveryRate",
      ...(o.outboxLimit !== undefined ? { outboxLimit: o.outboxLimit } : {}),
    });
    this.driver = new SessionDriver({
      udp,
      host,
      clock: this.#clock,
      ...(this.#relayPath ? { relay: this.#relayPath } : {}),
    });
    this.driver.on((e) => this.#onSession(e));
    if (relayed && (o.punch ?? true)) {
      this.#punch = new BackgroundPunch({
        keyPair: o.keyPair,
        relay: this.relay,
        relays: this.#relays,
        host: udp,
        self: this.self,
        clock: this.#clock,
        log: o.log ?? (() => {}),
        found: (peer, remote) => this.#directFound(peer, remote),
      });
    }
    this.#tick();
  }

  /** Binds the socket, asks STUN (when given) and connects to the relays. */
  static async open(o: LinkOptions): Promise<Link> {
    const net = o.network ?? denoBatchNetwork;
    const clock = o.clock ?? realClock;
    const udp = new UdpHost({
      socket: await net.bindDatagram(o.bind ?? { hostname: "0.0.0.0", port: 0 }),
      clock,
    });
    udp.start();
    const endpoints: Addr[] = [];
    let nat: NatLevel = "unknown";
    if (o.stun && o.stun.length > 0) {
      const r = await discover(udp, o.stun, clock);
      nat = natVerdict(r).level;
      if (r.mapped) endpoints.push(r.mapped);
    }
    const local = udp.localAddr;
    if (local.hostname !== "0.0.0.0" && local.hostname !== "::") endpoints.push(local);
    return new Link(o, udp, nat, endpoints);
  }

  /** Our public key. */
  get publicKey(): Uint8Array {
    return this.#o.keyPair.publicKey;
  }

  /** The UDP socket's address. */
  get localAddr(): Addr {
    return this.udp.localAddr;
  }

  /** Peers with a live session, upper-case hex. */
  peers(): string[] {
    return [...this.#peers.keys()];
  }

  /** Subscribes to path changes; returns the unsubscribe function. */
  onPath(fn: (e: PathEvent) => void): () => void {
    this.#pathListeners.add(fn);
    return () => this.#pathListeners.delete(fn);
  }

  /** Connects to one more relay (no-op when already known). */
  addRelay(r: RelaySpec): void {
    if (this.#relays.some((x) => toHex(x.publicKey) === toHex(r.publicKey))) return;
    this.#relays.push(r);
    this.relay.addRelay(r.addr, r.publicKey);
  }

  /**
   * Opens a session to a peer and resolves with its channel once established; rejects with
   * a `UNREACHABLE` link error after `timeoutMs`.
   */
  async dial(o: DialOptions): Promise<PeerChannel> {
    if (this.#closed) throw linkError("CLOSED", "the link is closed");
    for (const r of o.relays ?? []) this.addRelay(r);
    if (this.#relays.length > 0 && !this.#relayPath) {
      throw new TypeError("relays given to dial() need a link opened with relays");
    }
    if (this.#relays.length === 0 && (o.addrs ?? []).length === 0) {
      throw linkError("NO_PATH", "no relay and no address to reach the peer");
    }
    const peer = toHex(o.peer).toUpperCase();
    const dht = o.peerDht ?? o.peer;
    const deadline = this.#clock.now() + o.timeoutMs;
    const left = () => Math.max(1, deadline - this.#clock.now());
    if (this.#relays.length > 0) {
      await this.relay.waitForRelays(1, left()).catch(() => {
        if ((o.addrs ?? []).length === 0) {
          throw linkError("UNREACHABLE", `no relay reachable within ${o.timeoutMs / 1000} s`);
        }
      });
    }
    const state = this.#state(peer, dht);
    state.dialling = true;
    const addr = o.addrs?.[0];
    let lastWhy = "the peer did not answer";
    while (this.#clock.now() < deadline && !o.signal?.aborted && !this.#closed) {
      this.driver.connect(o.peer, dht, addr ? { addr } : {});
      const r = await waitEstablished(this.driver, peer, left(), this.#clock, o.signal);
      if (r === "established") {
        state.dialling = false;
        this.#punch?.dial(o.peer, deadline); // punch only to a peer that proved its key
        return state.channel;
      }
      lastWhy = r;
    }
    state.dialling = false;
    this.#drop(peer, { reason: "lost", message: lastWhy });
    this.driver.kill(peer.toLowerCase());
    throw linkError(
      "UNREACHABLE",
      `${peer} not reachable within ${Math.round(o.timeoutMs / 100) / 10} s: ${lastWhy}`,
    );
  }

  /** Accepts sessions from allowed peers (a later call replaces the earlier). */
  listen(o: ListenOptions): void {
    this.#listen = o;
    this.#punch?.listen(o.allow);
  }

  /** Ends every session (kill), the punch, the timer, the relay client and the socket. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer !== null) this.#clock.clearTimeout(this.#timer);
    this.#timer = null;
    for (const [peer, s] of this.#peers) {
      this.driver.kill(peer.toLowerCase());
      s.channel.end({ reason: "local" });
    }
    this.#peers.clear();
    await this.#punch?.close();
    await this.driver.close();
    await this.relay.close();
    await this.udp.close();
  }

  /** Same as {@link Link.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #state(peer: string, dht: Uint8Array): PeerState {
    let s = this.#peers.get(peer);
    if (!s) this.#peers.set(peer, s = newPeerState(peer, dht, this.driver, this.#t0, this.#clock));
    return s;
  }

  #onSession(e: SessionEvent): void {
    const peer = e.peer.toUpperCase();
    if (e.type === "established") return this.#onEstablished(peer);
    const s = this.#peers.get(peer);
    if (!s) return;
    if (e.type === "data") takeData(s, e.data, this.#clock.now());
    else if (e.type === "closed" && !(s.dialling && !s.live)) this.#drop(peer, endOf(s, e.reason));
  }

  #onEstablished(peer: string): void {
    const hex = peer.toLowerCase();
    const known = this.#peers.get(peer);
    const dht = this.driver.host.session(hex)?.peerDhtPublicKey ?? fromHex(hex);
    const s = known ?? this.#state(peer, dht);
    s.live = new FriendLiveness(this.#clock.now());
    this.driver.send(hex, HELLO); // first, so a peerkit peer knows us before our [24]
    this.driver.send(hex, ONLINE); // a Tox client counts us online from here
    const pending = this.#pendingDirect.get(hex);
    this.#pendingDirect.delete(hex);
    if (pending && this.driver.directAddr(hex) === undefined) this.driver.setDirect(hex, pending);
    this.#tick();
    if (known) return; // we dialled it
    const l = this.#listen;
    const allowed = l !== undefined &&
      (l.allow === "any" || l.allow.some((k) => toHex(k).toUpperCase() === peer));
    const why = !l ? "not listening" : !allowed ? "not allowed" : l.accept?.(peer);
    if (why !== undefined) {
      this.driver.send(hex, reasonMessage(PACKET.REFUSED, why));
      void s.channel.close();
      return;
    }
    l!.onChannel(s.channel);
  }

  #drop(peer: string, end: ChannelEnd): void {
    const s = this.#peers.get(peer);
    if (!s) return;
    this.#peers.delete(peer);
    this.#relayPath?.removePeer(s.dht);
    s.channel.end(end);
    if (s.watch.current !== undefined && s.watch.current !== "none") {
      this.#emit({ event: "path", peer, path: "none", why: endWhy(end), atMs: this.#ms() });
    }
  }

  #directFound(peer: Uint8Array, remote: Addr): void {
    const hex = toHex(peer);
    if (!this.#peers.has(hex.toUpperCase())) this.#pendingDirect.set(hex, remote);
    else if (this.driver.directAddr(hex) === undefined) this.driver.setDirect(hex, remote);
  }

  #tick(): void {
    if (this.#closed) return;
    if (this.#timer !== null) this.#clock.clearTimeout(this.#timer);
    const now = this.#clock.now();
    const ready = this.relay.relays().find((r) => r.state === "ready");
    for (const [peer, s] of [...this.#peers]) {
      const hex = peer.toLowerCase();
      if (!s.live) continue;
      const a = s.live.poll(now);
      if (a.dead) {
        this.#drop(peer, { reason: "timeout" }); // first: the kill's own "closed" is not the reason
        this.driver.kill(hex);
        continue;
      }
      if (a.sendAlive) this.driver.send(hex, ALIVE_PACKET);
      const addr = this.driver.directAddr(hex);
      const u = s.watch.update(now, {
        directUp: this.driver.directUp(hex),
        ...(addr ? { remote: formatAddr(addr) } : {}),
        relayReady: ready !== undefined,
        ...(ready ? { relay: formatAddr(ready.addr) } : {}),
      });
      if (u.dropRoute) this.#relayPath?.removePeer(s.dht);
      if (u.addRoute) {
        this.#relayPath?.addPeer(s.dht);
        this.#punch?.retry(fromHex(hex));
      }
      if (u.event) this.#emit(u.event);
    }
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = null;
      this.#tick();
    }, TICK_MS);
  }

  #emit(e: PathEvent): void {
    for (const fn of [...this.#pathListeners]) {
      try {
        fn(e);
      } catch { /* a listener's failure is its own */ }
    }
  }

  #ms(): number {
    return Math.round(this.#clock.now() - this.#t0);
  }
}
