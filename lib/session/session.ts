/**
 * One net_crypto session with one peer, sans-IO (tox-protocol §6.5-6.8): the cookie and
 * handshake exchange with its 1 s resend and 8-try give-up, data packets with 2-byte nonce
 * suffixes, the lossless rings with packet requests and resends, lossy and kill packets,
 * and c-toxcore's rate control. It never sees a path: {@link Session.pollTransmit} yields
 * datagrams for the peer, and data is accepted from whichever path delivered it, so the
 * path can change at any moment without loss or duplication.
 *
 * Usually driven by a `SessionHost`, which demultiplexes datagrams and answers cookie
 * requests.
 *
 * @example
 * ```ts
 * import { tweetnaclBackend as crypto } from "../crypto/backend.ts";
 * import { CookieJar } from "./cookie.ts";
 * import { Session } from "./session.ts";
 * const s = Session.initiate({
 *   crypto, random: crypto.randomBytes, jar: new CookieJar({ crypto }),
 *   self: crypto.keyPair(), selfDht: crypto.keyPair(),
 *   peerRealPublicKey: crypto.keyPair().publicKey, peerDhtPublicKey: crypto.keyPair().publicKey,
 * }, 0);
 * console.assert(s.state === "cookieRequesting" && s.pollTransmit()?.length === 145);
 * ```
 * @module
 */
import { type KeyPair, LowOrderKeyError, trySharedKey } from "../crypto/backend.ts";
import { NONCE_SIZE, SECRET_KEY_SIZE } from "../crypto/constants.ts";
import { toHex } from "../util/bytes.ts";
import { Congestion } from "./congestion.ts";
import {
  ECHO_ID_SIZE,
  ID_KILL,
  ID_REQUEST,
  LOSSLESS_FIRST,
  LOSSLESS_LAST,
  LOSSY_FIRST,
  LOSSY_LAST,
  MAX_DATA_PACKET_SIZE,
  MAX_DATA_PAYLOAD,
  TCP_RESEND_DELAY_MS,
} from "./constants.ts";
import { DeliveryRate } from "./delivery_rate.ts";
import {
  buildCookieRequest,
  buildHandshake,
  openCookieResponse,
  type OpenedHandshake,
} from "./handshake.ts";
import { sealDataPacket } from "./seal.ts";
import { FAST_ACK_INTERVAL_MS, Receiver } from "./receiver.ts";
import { TempPacket } from "./temp_packet.ts";
import { type RateControl, Sender } from "./sender.ts";
import { LOSS_TOLERANCE, type Pacer, type SessionOptions } from "./session_options.ts";
export { LOSS_TOLERANCE, type Pacer, type SessionOptions };
import {
  type CloseReason,
  type DropReason,
  newStats,
  type SessionEvent,
  type SessionState,
  type SessionStats,
} from "./types.ts";
import type { CookieResponsePacket, DataPacket } from "./wire.ts";

/** Silence from the peer after which the tail probe stops, ms. */
const TAIL_PROBE_QUIET_MS = 1000;

/** The rate control a pacer choice names. */
function rateControl(p: Pacer | undefined): RateControl {
  if (p === "toxcore") return new Congestion();
  if (p === "lossTolerant") return new Congestion(LOSS_TOLERANCE);
  return new DeliveryRate();
}

/**
 * The session state machine.
 *
 * @example
 * ```ts
 * import { tweetnaclBackend as crypto } from "../crypto/backend.ts";
 * import { CookieJar } from "./cookie.ts";
 * import { Session } from "./session.ts";
 * const s = Session.initiate({
 *   crypto, random: crypto.randomBytes, jar: new CookieJar({ crypto }),
 *   self: crypto.keyPair(), selfDht: crypto.keyPair(),
 *   peerRealPublicKey: crypto.keyPair().publicKey, peerDhtPublicKey: crypto.keyPair().publicKey,
 * }, 0);
 * for (let t = 0; s.state !== "closed" && t < 20_000; t = s.nextTimeout()) s.handleTimeout(t);
 * console.assert(s.state === "closed"); // nobody answered: 8 tries, then give up
 * ```
 */
export class Session {
  /** Current state. */
  state: SessionState;
  /** The peer's real public key, hex. */
  readonly peer: string;
  /** The peer's real public key. */
  readonly peerRealPublicKey: Uint8Array;
  /** The peer's DHT public key. */
  readonly peerDhtPublicKey: Uint8Array;
  /** Counters. */
  readonly stats: SessionStats = newStats();
  /** When a valid packet last arrived, ms. */
  lastReceived = -Infinity;

  readonly #o: SessionOptions;
  readonly #session: KeyPair;
  readonly #sendNonce: Uint8Array;
  readonly #echoId: Uint8Array;
  readonly #dhtShared: Uint8Array;
  readonly #plain = new Uint8Array(MAX_DATA_PACKET_SIZE);
  readonly #sender: Sender;
  /** With the delivery-rate pacer: acknowledge and probe the tail every 10 ms, not 50-1000. */
  readonly #fastAcks: boolean;
  #receiver = new Receiver(new Uint8Array(NONCE_SIZE));
  #key: Uint8Array | null = null;
  readonly #temp = new TempPacket();
  #lastRequest = -Infinity;
  #tx: Uint8Array[] = [];
  #txHead = 0;
  #events: SessionEvent[] = [];

  private constructor(o: SessionOptions, state: SessionState) {
    this.#o = o;
    this.state = state;
    this.#sender = new Sender(rateControl(o.pacer), (p, n) => this.#sendData(p, n));
    this.#fastAcks = this.#sender.pacer instanceof DeliveryRate;
    this.peerRealPublicKey = o.peerRealPublicKey;
    this.peerDhtPublicKey = o.peerDhtPublicKey;
    this.peer = toHex(o.peerRealPublicKey);
    this.#session = o.crypto.keyPairFromSecretKey(o.random(SECRET_KEY_SIZE));
    this.#sendNonce = o.random(NONCE_SIZE);
    this.#echoId = o.random(ECHO_ID_SIZE);
    this.#dhtShared = o.crypto.sharedKey(o.peerDhtPublicKey, o.selfDht.secretKey);
  }

  /**
   * Starts a session as the initiator: the cookie request goes out at once.
   *
   * @example
   * ```ts
   * import { Session } from "./session.ts";
   * console.assert(typeof Session.initiate === "function");
   * ```
   */
  static initiate(o: SessionOptions, now: number): Session {
    const s = new Session(o, "cookieRequesting");
    s.#setTemp(
      buildCookieRequest(
        o.crypto,
        o.random,
        s.#dhtShared,
        o.selfDht.publicKey,
        o.self.publicKey,
        s.#echoId,
      ),
      now,
    );
    return s;
  }

  /**
   * Starts a session as the responder to a verified handshake: our handshake, built from
   * the other cookie, goes out at once and the state is `notConfirmed`. Throws
   * `LowOrderKeyError` when the peer's session key is low-order.
   *
   * @example
   * ```ts
   * import { Session } from "./session.ts";
   * console.assert(typeof Session.accept === "function");
   * ```
   */
  static accept(o: SessionOptions, hs: OpenedHandshake, now: number): Session {
    const s = new Session(o, "notConfirmed");
    if (!s.#takeHandshake(hs)) throw new LowOrderKeyError();
    s.#sendHandshake(hs.otherCookie, now);
    return s;
  }

  /** The rate control (c-toxcore's `Congestion` or the `DeliveryRate` pacer). */
  get congestion(): RateControl {
    return this.#sender.pacer;
  }

  /** Minimum RTT measured from acknowledgements, ms (1000 until measured). */
  get rtt(): number {
    return this.#sender.rtt;
  }

  /** The next datagram for the peer, if any. */
  pollTransmit(): Uint8Array | undefined {
    if (this.#txHead >= this.#tx.length) return undefined;
    const d = this.#tx[this.#txHead]!;
    this.#tx[this.#txHead++] = undefined as unknown as Uint8Array;
    if (this.#txHead > 1024 && this.#txHead * 2 > this.#tx.length) {
      this.#tx = this.#tx.slice(this.#txHead);
      this.#txHead = 0;
    }
    return d;
  }

  /** The next event, if any. */
  pollEvent(): SessionEvent | undefined {
    return this.#events.shift();
  }

  /** Every datagram waiting, in order (cheaper than repeated {@link pollTransmit}). */
  drainTransmit(): Uint8Array[] {
    const out = this.#txHead === 0 ? this.#tx : this.#tx.slice(this.#txHead);
    this.#tx = [];
    this.#txHead = 0;
    return out;
  }

  /** Every event waiting, in order. */
  drainEvents(): SessionEvent[] {
    const out = this.#events;
    this.#events = [];
    return out;
  }

  /** Lossless payloads accepted by `send` but not yet sent once. */
  get queued(): number {
    return this.#sender.queued;
  }

  /** Sent lossless packets the peer has not acknowledged. */
  get inFlight(): number {
    return this.#sender.inFlight;
  }

  /**
   * Queues a lossless payload (first byte 16-191, at most 1373 bytes); `false` when the
   * session is closed or the outbox is full. It leaves when the rate control allows.
   */
  send(data: Uint8Array, now: number): boolean {
    checkPayload(data, LOSSLESS_FIRST, LOSSLESS_LAST, "lossless");
    if (this.state === "closed" || this.queued >= (this.#o.outboxLimit ?? 8192)) return false;
    this.#sender.enqueue(data);
    if (this.state === "established") this.#pump(now);
    return true;
  }

  /** Sends a lossy payload (first byte 192-254) now; `false` unless established. */
  sendLossy(data: Uint8Array, _now: number): boolean {
    checkPayload(data, LOSSY_FIRST, LOSSY_LAST, "lossy");
    if (this.state !== "established") return false;
    this.#sendData(data, this.#sender.ring.end);
    return true;
  }

  /** Ends the session; an established one tells the peer with a kill packet. */
  kill(_now: number): void {
    if (this.state === "closed") return;
    if (this.state === "established") {
      this.#sendData(new Uint8Array([ID_KILL]), this.#sender.ring.end);
    }
    this.#close("local");
  }

  /**
   * Holds (true) or lets go (false) the lossless data while the path refuses datagrams:
   * while held nothing new or resent is sealed; on release what is due leaves at `now`.
   */
  setBlocked(blocked: boolean, now: number): void {
    if (this.#sender.blocked === blocked) return;
    this.#sender.blocked = blocked;
    if (!blocked && this.state === "established") this.#pump(now);
  }

  /**
   * The path that carried the data died and another took over: every unacknowledged
   * packet is sent again (paced) at once. Returns how many were queued.
   */
  resendFlight(now: number): number {
    if (this.state !== "established") return 0;
    const n = this.#sender.resendFlight();
    this.#pump(now);
    return n;
  }

  /** The time (ms) at which {@link handleTimeout} next has work. */
  nextTimeout(): number {
    if (this.state === "closed") return Infinity;
    let t = this.#temp.nextTimeout();
    if (this.state === "notConfirmed" || this.state === "established") {
      t = Math.min(t, this.#lastRequest + this.#requestInterval() + 1);
    }
    if (this.state === "established") t = Math.min(t, this.#sender.nextTimeout());
    return t;
  }

  /** Resends, gives up, sends requests and paced data as due at `now`. */
  handleTimeout(now: number): void {
    if (this.state === "closed") return;
    const temp = this.#temp.due(now);
    if (temp === "giveUp") return this.#close("timeout");
    if (temp !== null) this.#emit(temp);
    if (this.state === "established") this.#pump(now);
    if (
      (this.state === "notConfirmed" || this.state === "established") &&
      now - this.#lastRequest > this.#requestInterval()
    ) {
      this.#sendRequest(now);
    }
  }

  /** Handles a cookie response meant for this session. */
  handleCookieResponse(p: CookieResponsePacket, now: number): void {
    if (this.state !== "cookieRequesting") return this.#drop("wrongState");
    const cookie = openCookieResponse(this.#o.crypto, this.#dhtShared, this.#echoId, p);
    if (cookie === null) return this.#drop("badEcho");
    this.#sendHandshake(cookie, now);
    this.state = "handshakeSent";
  }

  /**
   * Handles a verified handshake from this peer. Returns `"dhtKeyChanged"` when its cookie
   * names another DHT key (the owner replaces the session), else `"ok"` or `"dropped"`.
   */
  handleHandshake(hs: OpenedHandshake, now: number): "ok" | "dropped" | "dhtKeyChanged" {
    if (toHex(hs.dhtPublicKey) !== toHex(this.peerDhtPublicKey)) return "dhtKeyChanged";
    if (
      this.state !== "cookieRequesting" && this.state !== "handshakeSent" &&
      this.state !== "notConfirmed"
    ) {
      this.#drop("wrongState");
      return "dropped";
    }
    if (!this.#takeHandshake(hs)) {
      this.#drop("badBox");
      return "dropped";
    }
    if (this.state === "cookieRequesting") this.#sendHandshake(hs.otherCookie, now);
    this.state = "notConfirmed";
    this.lastReceived = now;
    return "ok";
  }

  /**
   * Handles a data packet that arrived on any path; `viaRelay` when through a TCP relay
   * (then what it asks for is resent only after `TCP_RESEND_DELAY_MS`, as c-toxcore does).
   */
  handleData(p: DataPacket, now: number, viaRelay = false): void {
    this.#takeData(p, now, viaRelay);
    if (this.state === "established") this.#pump(now);
  }

  /** Ends the session without telling the peer (it was replaced, or the peer restarted). */
  abandon(reason: CloseReason): void {
    if (this.state !== "closed") this.#close(reason);
  }

  /** Counts a drop decided by the owner (for example a malformed datagram). */
  countDrop(reason: DropReason): void {
    this.#drop(reason);
  }

  #takeData(p: DataPacket, now: number, viaRelay = false): void {
    if ((this.state !== "notConfirmed" && this.state !== "established") || this.#key === null) {
      return this.#drop("wrongState");
    }
    const r = this.#receiver;
    const d = r.open(p, this.#o.crypto, this.#key);
    if (typeof d === "string") return this.#drop(d);
    if (!this.#sender.acked(d.bufferStart, now)) return this.#drop("badAck");
    this.stats.received++;
    this.lastReceived = now;
    const id = d.payload[0]!;
    if (id === ID_KILL) return this.#close("killed");
    if (id === ID_REQUEST) {
      const floor = viaRelay ? TCP_RESEND_DELAY_MS : 0;
      if (!this.#sender.request(d.payload.subarray(1), now, floor)) this.#drop("badRequest");
      r.ring.setEnd(d.packetNumber);
    }
    if (this.state === "notConfirmed") {
      this.state = "established";
      this.#temp.clear();
      r.startClock(now);
      this.#events.push({ type: "established", peer: this.peer });
    }
    if (id >= LOSSLESS_FIRST && id <= LOSSLESS_LAST) {
      if (!r.ring.put(d.packetNumber, d.payload.slice())) return this.#drop("duplicate");
      r.countLossless();
      for (let x = r.ring.pop(); x !== undefined; x = r.ring.pop()) {
        this.#events.push({ type: "data", peer: this.peer, data: x });
      }
    } else if (id >= LOSSY_FIRST && id <= LOSSY_LAST) {
      r.ring.setEnd(d.packetNumber);
      this.#events.push({ type: "lossy", peer: this.peer, data: d.payload.slice() });
    } else if (id !== ID_REQUEST) {
      this.#drop("reservedId");
    }
  }

  #drop(reason: DropReason): void {
    this.stats.dropped[reason]++;
  }

  #close(reason: CloseReason): void {
    this.state = "closed";
    this.#temp.clear();
    this.#events.push({ type: "closed", peer: this.peer, reason });
  }

  /** Takes the peer's session key and nonce; false (nothing changed) for a low-order key. */
  #takeHandshake(hs: OpenedHandshake): boolean {
    const key = trySharedKey(this.#o.crypto, hs.sessionPublicKey, this.#session.secretKey);
    if (key === null) return false;
    this.#receiver = new Receiver(hs.baseNonce, this.#fastAcks);
    this.#key = key;
    return true;
  }

  #sendHandshake(peerCookie: Uint8Array, now: number): void {
    const o = this.#o;
    this.#setTemp(
      buildHandshake({
        crypto: o.crypto,
        random: o.random,
        jar: o.jar,
        self: o.self,
        peerReal: this.peerRealPublicKey,
        peerDht: this.peerDhtPublicKey,
        peerCookie,
        baseNonce: this.#sendNonce,
        sessionPublicKey: this.#session.publicKey,
        now,
      }),
      now,
    );
  }

  #setTemp(packet: Uint8Array, now: number): void {
    this.#emit(this.#temp.set(packet, now));
  }

  #emit(datagram: Uint8Array): void {
    this.#tx.push(datagram);
    this.stats.sent++;
  }

  #sendData(payload: Uint8Array, number: number): void {
    const start = this.#receiver.ring.start;
    this.#emit(
      sealDataPacket(
        this.#o.crypto,
        this.#key!,
        this.#sendNonce,
        this.#plain,
        start,
        number,
        payload,
      ),
    );
  }

  #sendRequest(now: number): void {
    this.#sendData(this.#receiver.request(), this.#sender.ring.end);
    this.#lastRequest = now;
  }

  #requestInterval(): number {
    const t = this.#receiver.requestInterval(this.state === "established");
    const snd = this.#sender;
    // Tail probe: sent packets wait for an acknowledgement and nothing else is going out,
    // so tell the peer our next number now (a request carries it): if the last packets
    // were lost it learns that they exist and asks for them, instead of in up to 1 s.
    // Only while the peer is heard (within 1 s of our last request): a silent peer gets
    // c-toxcore's interval, not a probe every few ms.
    const heard = this.lastReceived >= this.#lastRequest - TAIL_PROBE_QUIET_MS;
    if (this.#fastAcks && heard && snd.inFlight > 0 && snd.queued === 0) {
      return Math.min(t, Math.max(FAST_ACK_INTERVAL_MS, 2 * snd.srtt));
    }
    return t;
  }

  #pump(now: number): void {
    this.#receiver.tick(now);
    const before = this.#sender.resentTotal;
    this.#sender.pump(now);
    this.stats.resent += this.#sender.resentTotal - before;
  }
}

function checkPayload(data: Uint8Array, first: number, last: number, kind: string): void {
  if (data.length === 0 || data.length > MAX_DATA_PAYLOAD) {
    throw new RangeError("payload must be 1..1373 bytes");
  }
  if (data[0]! < first || data[0]! > last) {
    throw new RangeError(`${kind} payload id must be ${first}..${last}`);
  }
}
