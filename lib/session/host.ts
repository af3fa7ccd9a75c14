/**
 * The session host: every session of one identity, the stateless cookie responder, and
 * the demultiplexer of net_crypto datagrams (kinds 0x18-0x1b), sans-IO.
 *
 * Datagrams come in with whatever the path layer knows about their origin: `peer` (the
 * real public key in hex, when the path is bound to a peer: a relay route, or a UDP
 * address learned before) and `reply` (an opaque token to answer a cookie request on the
 * same path). Outgoing datagrams are tagged with the peer only, so the path layer is free
 * to choose, and switch, the path for each one.
 *
 * @example
 * ```ts
 * import { tweetnaclBackend as crypto } from "../crypto/backend.ts";
 * import { SessionHost } from "./host.ts";
 * const a = new SessionHost({ crypto, self: crypto.keyPair(), selfDht: crypto.keyPair() });
 * const b = new SessionHost({ crypto, self: crypto.keyPair(), selfDht: crypto.keyPair() });
 * a.connect(b.publicKey, b.dhtPublicKey, 0);
 * // A tiny lossless wire in both directions:
 * for (let i = 0; i < 20; i++) {
 *   for (let t = a.pollTransmit(); t; t = a.pollTransmit()) b.handleDatagram(t.bytes, i, { peer: a.peer, reply: "a" });
 *   for (let t = b.pollTransmit(); t; t = b.pollTransmit()) a.handleDatagram(t.bytes, i, { peer: b.peer, reply: "b" });
 *   a.handleTimeout(i); b.handleTimeout(i);
 * }
 * console.assert(a.session(b.peer)?.state === "established");
 * ```
 * @module
 */
import { backend, type CryptoBackend, type KeyPair, LowOrderKeyError } from "../crypto/backend.ts";
import { toHex } from "../util/bytes.ts";
import { WireError } from "../util/wire_error.ts";
import { answerCookieRequest, CookieJar } from "./cookie.ts";
import { openHandshake } from "./handshake.ts";
import { type Pacer, Session } from "./session.ts";
import { type DropReason, newStats, type SessionEvent, type SessionStats } from "./types.ts";
import { decodeSessionPacket, type SessionPacket } from "./wire.ts";

/** Options of a {@link SessionHost}. */
export interface SessionHostOptions {
  /** Our real (long-term) key pair. */
  self: KeyPair;
  /** Our DHT key pair. */
  selfDht: KeyPair;
  /** Crypto backend (default: the current one). */
  crypto?: CryptoBackend;
  /** Random source (default: the backend's); seed it for reproducible runs. */
  random?: (n: number) => Uint8Array;
  /** Whether to accept a session opened by this peer (default: everyone). */
  acceptPeer?: (realPublicKey: Uint8Array, dhtPublicKey: Uint8Array) => boolean;
  /** Outbox limit of each session. */
  outboxLimit?: number;
  /** Rate control of each session (default `"deliveryRate"`). */
  pacer?: Pacer;
}

/** Where a datagram came from, as far as the path layer knows. */
export interface DatagramOrigin {
  /** The peer's real public key (hex), when the path is bound to a peer. */
  peer?: string;
  /** Opaque token to send a cookie response back on the same path. */
  reply?: unknown;
  /** True when it came through a TCP relay (packet requests then resend after ≥ 500 ms). */
  relay?: boolean;
}

/** A datagram to send: to a peer, or back on the path a cookie request came from. */
export type HostTransmit =
  | { to: "peer"; peer: string; bytes: Uint8Array }
  | { to: "reply"; reply: unknown; bytes: Uint8Array };

/**
 * All sessions of one identity.
 *
 * @example
 * ```ts
 * import { tweetnaclBackend as crypto } from "../crypto/backend.ts";
 * import { SessionHost } from "./host.ts";
 * const h = new SessionHost({ crypto, self: crypto.keyPair(), selfDht: crypto.keyPair() });
 * h.handleDatagram(new Uint8Array([0x1b, 0, 1]), 0);
 * console.assert(h.stats.dropped.malformed === 1);
 * ```
 */
export class SessionHost {
  /** Drops counted before a datagram reached a session. */
  readonly stats: SessionStats = newStats();
  readonly #o: SessionHostOptions;
  readonly #crypto: CryptoBackend;
  readonly #random: (n: number) => Uint8Array;
  readonly #jar: CookieJar;
  readonly #sessions = new Map<string, Session>();
  #tx: HostTransmit[] = [];
  #events: SessionEvent[] = [];

  /** A host for the identity `self`. */
  constructor(o: SessionHostOptions) {
    this.#o = o;
    this.#crypto = o.crypto ?? backend();
    const c = this.#crypto;
    this.#random = o.random ?? ((n) => c.randomBytes(n));
    this.#jar = new CookieJar({ crypto: this.#crypto, random: this.#random });
  }

  /** Our real public key. */
  get publicKey(): Uint8Array {
    return this.#o.self.publicKey;
  }

  /** Our real public key, hex (what peers call us). */
  get peer(): string {
    return toHex(this.#o.self.publicKey);
  }

  /** Our DHT public key. */
  get dhtPublicKey(): Uint8Array {
    return this.#o.selfDht.publicKey;
  }

  /** The live session with `peer` (hex real key). */
  session(peer: string): Session | undefined {
    return this.#sessions.get(peer);
  }

  /** Live sessions. */
  sessions(): Session[] {
    return [...this.#sessions.values()];
  }

  /** Opens (or returns the open) session to a peer; the cookie request leaves at once. */
  connect(peerReal: Uint8Array, peerDht: Uint8Array, now: number): Session {
    const peer = toHex(peerReal);
    const old = this.#sessions.get(peer);
    if (old) return old;
    const s = Session.initiate(this.#options(peerReal, peerDht), now);
    this.#sessions.set(peer, s);
    this.#collect(s);
    return s;
  }

  /** Queues a lossless payload for `peer`; `false` when there is no session or it is full. */
  send(peer: string, data: Uint8Array, now: number): boolean {
    const s = this.#sessions.get(peer);
    if (!s) return false;
    const ok = s.send(data, now);
    this.#collect(s);
    return ok;
  }

  /** Sends a lossy payload to `peer`; `false` unless established. */
  sendLossy(peer: string, data: Uint8Array, now: number): boolean {
    const s = this.#sessions.get(peer);
    if (!s) return false;
    const ok = s.sendLossy(data, now);
    this.#collect(s);
    return ok;
  }

  /**
   * Holds or lets go the lossless data of `peer`'s session while its path refuses
   * datagrams (see `Session.setBlocked`).
   */
  setBlocked(peer: string, blocked: boolean, now: number): void {
    const s = this.#sessions.get(peer);
    if (!s) return;
    s.setBlocked(blocked, now);
    this.#collect(s);
  }

  /** Sends `peer`'s whole unacknowledged flight again (see `Session.resendFlight`). */
  resendFlight(peer: string, now: number): number {
    const s = this.#sessions.get(peer);
    if (!s) return 0;
    const n = s.resendFlight(now);
    this.#collect(s);
    return n;
  }

  /** Ends the session with `peer` (a kill packet when established). */
  kill(peer: string, now: number): void {
    const s = this.#sessions.get(peer);
    if (!s) return;
    s.kill(now);
    this.#collect(s);
  }

  /**
   * Handles one datagram from any path. Never throws on bad bytes: it counts a drop.
   * Returns the peer (hex real key) whose session took the datagram as valid: a handshake
   * that opened, a cookie response or a data packet that passed its checks; `undefined`
   * otherwise (cookie requests included). A path layer learns a peer's address from it.
   */
  handleDatagram(bytes: Uint8Array, now: number, from: DatagramOrigin = {}): string | undefined {
    let p: SessionPacket;
    try {
      p = decodeSessionPacket(bytes);
    } catch (e) {
      if (e instanceof WireError) return this.#drop("malformed");
      throw e;
    }
    switch (p.type) {
      case "cookieRequest": {
        const r = answerCookieRequest(
          {
            jar: this.#jar,
            crypto: this.#crypto,
            random: this.#random,
            dhtSecretKey: this.#o.selfDht.secretKey,
          },
          p,
          now,
        );
        if (r === null) return this.#drop("badBox");
        this.#tx.push({ to: "reply", reply: from.reply, bytes: r });
        return undefined;
      }
      case "cookieResponse": {
        const s = from.peer === undefined ? undefined : this.#sessions.get(from.peer);
        if (!s) return this.#drop("unknownPeer");
        const before = s.state;
        s.handleCookieResponse(p, now);
        this.#collect(s);
        return s.state !== before ? s.peer : undefined;
      }
      case "handshake": {
        const hs = openHandshake(
          { crypto: this.#crypto, jar: this.#jar, self: this.#o.self, now },
          p,
        );
        if (hs === null) return this.#drop("badCookie");
        const peer = toHex(hs.realPublicKey);
        const s = this.#sessions.get(peer);
        if (s) {
          const r = s.handleHandshake(hs, now);
          if (r !== "dhtKeyChanged") {
            this.#collect(s);
            return r === "ok" ? peer : undefined;
          }
          s.abandon("dhtKeyChanged");
          this.#collect(s);
        }
        if (this.#o.acceptPeer && !this.#o.acceptPeer(hs.realPublicKey, hs.dhtPublicKey)) {
          return this.#drop("notFriend");
        }
        let n: Session;
        try {
          n = Session.accept(this.#options(hs.realPublicKey, hs.dhtPublicKey), hs, now);
        } catch (e) {
          // A peer boxed a low-order session or DHT key: no session can be keyed from it.
          if (e instanceof LowOrderKeyError) return this.#drop("badBox");
          throw e;
        }
        this.#sessions.set(peer, n);
        this.#events.push({ type: "incoming", peer, dhtPublicKey: hs.dhtPublicKey });
        this.#collect(n);
        return peer;
      }
      case "data": {
        const s = from.peer === undefined ? undefined : this.#sessions.get(from.peer);
        if (!s) return this.#drop("unknownPeer");
        const got = s.stats.received;
        s.handleData(p, now, from.relay ?? false);
        this.#collect(s);
        return s.stats.received > got ? s.peer : undefined;
      }
    }
  }

  /** Runs every session's timers that are due at `now`. */
  handleTimeout(now: number): void {
    for (const s of [...this.#sessions.values()]) {
      if (s.nextTimeout() <= now) {
        s.handleTimeout(now);
        this.#collect(s);
      }
    }
  }

  /** The earliest time any session has work (ms); `Infinity` when idle. */
  nextTimeout(): number {
    let t = Infinity;
    for (const s of this.#sessions.values()) t = Math.min(t, s.nextTimeout());
    return t;
  }

  /** The next datagram to send. */
  pollTransmit(): HostTransmit | undefined {
    return this.#tx.shift();
  }

  /** Every datagram waiting to be sent, in order. */
  drainTransmit(): HostTransmit[] {
    const out = this.#tx;
    this.#tx = [];
    return out;
  }

  /** The next event. */
  pollEvent(): SessionEvent | undefined {
    return this.#events.shift();
  }

  /** Every event waiting, in order. */
  drainEvents(): SessionEvent[] {
    const out = this.#events;
    this.#events = [];
    return out;
  }

  #options(peerReal: Uint8Array, peerDht: Uint8Array) {
    const o = this.#o;
    return {
      crypto: this.#crypto,
      random: this.#random,
      jar: this.#jar,
      self: o.self,
      selfDht: o.selfDht,
      peerRealPublicKey: peerReal,
      peerDhtPublicKey: peerDht,
      ...(o.outboxLimit === undefined ? {} : { outboxLimit: o.outboxLimit }),
      ...(o.pacer === undefined ? {} : { pacer: o.pacer }),
    };
  }

  #collect(s: Session): void {
    for (const d of s.drainTransmit()) this.#tx.push({ to: "peer", peer: s.peer, bytes: d });
    for (const e of s.drainEvents()) this.#events.push(e);
    if (s.state === "closed" && this.#sessions.get(s.peer) === s) this.#sessions.delete(s.peer);
  }

  #drop(reason: DropReason): undefined {
    this.stats.dropped[reason]++;
    return undefined;
  }
}
