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
import { incrementNonce, incrementNonceBy } from "../crypto/nonce.ts";
import { toHex } from "../util/bytes.ts";
import { WireError } from "../util/wire_error.ts";
import { RecvRing, SendRing } from "./buffers.ts";
import { Congestion } from "./congestion.ts";
import {
  COUNTER_INTERVAL_MS,
  DATA_NUM_THRESHOLD,
  DEFAULT_RTT_MS,
  ECHO_ID_SIZE,
  ID_KILL,
  ID_REQUEST,
  LOSSLESS_FIRST,
  LOSSLESS_LAST,
  LOSSY_FIRST,
  LOSSY_LAST,
  MAX_DATA_PAYLOAD,
  MAX_SEND_PACKET_TRIES,
  MIN_RATE,
  REQUEST_COMPARE_CONSTANT,
  SEND_PACKET_INTERVAL_MS,
} from "./constants.ts";
import {
  buildCookieRequest,
  buildHandshake,
  openCookieResponse,
  type OpenedHandshake,
} from "./handshake.ts";
import { decodeDataPlain, encodeDataPlain } from "./plain.ts";
import { ReplayWindow } from "./replay.ts";
import { LOSS_TOLERANCE, type Pacer, type SessionOptions } from "./session_options.ts";
export { LOSS_TOLERANCE, type Pacer, type SessionOptions };
import { encodeRequest, walkRequest } from "./request.ts";
import {
  type CloseReason,
  type DropReason,
  newStats,
  type SessionEvent,
  type SessionState,
  type SessionStats,
} from "./types.ts";
import { type CookieResponsePacket, type DataPacket, encodeSessionPacket } from "./wire.ts";

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
  /** Minimum RTT measured from packet requests, ms. */
  rtt: number = DEFAULT_RTT_MS;
  /** When a valid packet last arrived, ms. */
  lastReceived = -Infinity;
  /** The rate control. */
  readonly congestion: Congestion;

  readonly #o: SessionOptions;
  readonly #session: KeyPair;
  readonly #sendNonce: Uint8Array;
  readonly #echoId: Uint8Array;
  readonly #dhtShared: Uint8Array;
  #recvNonce = new Uint8Array(NONCE_SIZE);
  #recvIndex = 0;
  #replay = new ReplayWindow();
  #key: Uint8Array | null = null;
  #temp: Uint8Array | null = null;
  #tempSent = 0;
  #tempAt = 0;
  #lastRequest = -Infinity;
  #recvCounter = 0;
  #recvRate = 0;
  #counterAt = 0;
  readonly #send = new SendRing();
  readonly #recv = new RecvRing();
  #outbox: Uint8Array[] = [];
  #outHead = 0;
  #resend: number[] = [];
  #tx: Uint8Array[] = [];
  #txHead = 0;
  #events: SessionEvent[] = [];

  private constructor(o: SessionOptions, state: SessionState) {
    this.#o = o;
    this.state = state;
    this.congestion = new Congestion(o.pacer === "lossTolerant" ? LOSS_TOLERANCE : 0);
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
    return this.#outbox.length - this.#outHead;
  }

  /** Sent lossless packets the peer has not acknowledged. */
  get inFlight(): number {
    return this.#send.size;
  }

  /**
   * Queues a lossless payload (first byte 16-191, at most 1373 bytes); `false` when the
   * session is closed or the outbox is full. It leaves when the rate control allows.
   */
  send(data: Uint8Array, now: number): boolean {
    if (data.length === 0 || data.length > MAX_DATA_PAYLOAD) {
      throw new RangeError("payload must be 1..1373 bytes");
    }
    if (data[0]! < LOSSLESS_FIRST || data[0]! > LOSSLESS_LAST) {
      throw new RangeError("lossless payload id must be 16..191");
    }
    if (this.state === "closed" || this.queued >= (this.#o.outboxLimit ?? 8192)) return false;
    this.#outbox.push(data);
    if (this.state === "established") this.#pump(now);
    return true;
  }

  /** Sends a lossy payload (first byte 192-254) now; `false` unless established. */
  sendLossy(data: Uint8Array, _now: number): boolean {
    if (data.length === 0 || data.length > MAX_DATA_PAYLOAD) {
      throw new RangeError("payload must be 1..1373 bytes");
    }
    if (data[0]! < LOSSY_FIRST || data[0]! > LOSSY_LAST) {
      throw new RangeError("lossy payload id must be 192..254");
    }
    if (this.state !== "established") return false;
    this.#sendData(data, this.#send.end);
    return true;
  }

  /** Ends the session; an established one tells the peer with a kill packet. */
  kill(_now: number): void {
    if (this.state === "closed") return;
    if (this.state === "established") this.#sendData(new Uint8Array([ID_KILL]), this.#send.end);
    this.#close("local");
  }

  /** The time (ms) at which {@link handleTimeout} next has work. */
  nextTimeout(): number {
    if (this.state === "closed") return Infinity;
    let t = Infinity;
    if (this.#temp !== null) t = this.#tempAt + SEND_PACKET_INTERVAL_MS;
    if (this.state === "notConfirmed" || this.state === "established") {
      t = Math.min(t, this.#lastRequest + this.#requestInterval() + 1);
    }
    if (this.state === "established") {
      t = Math.min(t, this.congestion.nextSample());
      if (this.queued > 0 || this.#resend.length > 0) t = Math.min(t, this.congestion.nextRefill());
    }
    return t;
  }

  /** Resends, gives up, sends requests and paced data as due at `now`. */
  handleTimeout(now: number): void {
    if (this.state === "closed") return;
    if (this.#temp !== null && now >= this.#tempAt + SEND_PACKET_INTERVAL_MS) {
      if (this.#tempSent >= MAX_SEND_PACKET_TRIES) {
        this.#close("timeout");
        return;
      }
      this.#emitTemp(now);
    }
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

  /** Handles a data packet that arrived on any path. */
  handleData(p: DataPacket, now: number): void {
    if ((this.state !== "notConfirmed" && this.state !== "established") || this.#key === null) {
      return this.#drop("wrongState");
    }
    const low = (this.#recvNonce[22]! << 8) | this.#recvNonce[23]!;
    const diff = (p.nonceLow - low) & 0xffff;
    const index = this.#recvIndex + diff;
    if (this.#replay.seen(index)) return this.#drop("replay");
    const nonce = this.#recvNonce.slice();
    incrementNonceBy(nonce, diff);
    const plain = this.#o.crypto.open(p.box, nonce, this.#key);
    if (plain === null) return this.#drop("badBox");
    let d;
    try {
      d = decodeDataPlain(plain);
    } catch (e) {
      if (e instanceof WireError) return this.#drop("malformed");
      throw e;
    }
    this.#replay.mark(index);
    if (diff > 2 * DATA_NUM_THRESHOLD) {
      incrementNonceBy(this.#recvNonce, DATA_NUM_THRESHOLD);
      this.#recvIndex += DATA_NUM_THRESHOLD;
    }
    const oldest = d.bufferStart !== this.#send.start
      ? this.#send.get(this.#send.start)
      : undefined;
    if (!this.#send.ackUntil(d.bufferStart)) return this.#drop("badAck");
    if (oldest !== undefined && !oldest.queued) this.#sampleRtt(now - oldest.sentAt);
    this.stats.received++;
    this.lastReceived = now;
    const id = d.payload[0]!;
    if (id === ID_KILL) return this.#close("killed");
    if (id === ID_REQUEST) {
      if (!this.#handleRequest(d.payload.subarray(1), now)) this.#drop("badRequest");
      this.#recv.setEnd(d.packetNumber);
    }
    if (this.state === "notConfirmed") {
      this.state = "established";
      this.#temp = null;
      this.#counterAt = now;
      this.#events.push({ type: "established", peer: this.peer });
    }
    if (id >= LOSSLESS_FIRST && id <= LOSSLESS_LAST) {
      if (!this.#recv.put(d.packetNumber, d.payload.slice())) return this.#drop("duplicate");
      this.#recvCounter++;
      for (let x = this.#recv.pop(); x !== undefined; x = this.#recv.pop()) {
        this.#events.push({ type: "data", peer: this.peer, data: x });
      }
    } else if (id >= LOSSY_FIRST && id <= LOSSY_LAST) {
      this.#recv.setEnd(d.packetNumber);
      this.#events.push({ type: "lossy", peer: this.peer, data: d.payload.slice() });
    } else if (id !== ID_REQUEST) {
      this.#drop("reservedId");
    }
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

  #drop(reason: DropReason): void {
    this.stats.dropped[reason]++;
  }

  #close(reason: CloseReason): void {
    this.state = "closed";
    this.#temp = null;
    this.#events.push({ type: "closed", peer: this.peer, reason });
  }

  /** Takes the peer's session key and nonce; false (nothing changed) for a low-order key. */
  #takeHandshake(hs: OpenedHandshake): boolean {
    const key = trySharedKey(this.#o.crypto, hs.sessionPublicKey, this.#session.secretKey);
    if (key === null) return false;
    this.#recvNonce = hs.baseNonce.slice();
    this.#recvIndex = 0;
    this.#replay = new ReplayWindow();
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
    this.#temp = packet;
    this.#tempSent = 0;
    this.#emitTemp(now);
  }

  #emitTemp(now: number): void {
    this.#tx.push(this.#temp!);
    this.#tempSent++;
    this.#tempAt = now;
    this.stats.sent++;
  }

  #sendData(payload: Uint8Array, number: number): void {
    const plain = encodeDataPlain({ bufferStart: this.#recv.start, packetNumber: number, payload });
    const n = this.#sendNonce;
    const nonceLow = (n[22]! << 8) | n[23]!;
    const box = this.#o.crypto.seal(plain, n, this.#key!);
    incrementNonce(n);
    this.#tx.push(encodeSessionPacket({ type: "data", nonceLow, box }));
    this.stats.sent++;
  }

  #sendRequest(now: number): void {
    const r = this.#recv;
    this.#sendData(encodeRequest(r.start, r.end, (n) => r.has(n)), this.#send.end);
    this.#lastRequest = now;
  }

  #requestInterval(): number {
    if (this.state !== "established" || this.#recvRate <= MIN_RATE) return SEND_PACKET_INTERVAL_MS;
    const a = REQUEST_COMPARE_CONSTANT / ((this.#recv.span + 1) / (this.#recvRate + 1));
    const b = (MIN_RATE / this.#recvRate) * SEND_PACKET_INTERVAL_MS + COUNTER_INTERVAL_MS;
    return Math.min(SEND_PACKET_INTERVAL_MS, Math.max(COUNTER_INTERVAL_MS, Math.min(a, b)));
  }

  #handleRequest(body: Uint8Array, now: number): boolean {
    const s = this.#send;
    let newest = -Infinity;
    const ok = walkRequest(body, s.start, s.end, (n, requested) => {
      const e = s.get(n);
      if (e === undefined) return;
      if (requested) {
        if (!e.queued && e.sentAt + this.rtt < now) {
          e.queued = true;
          this.#resend.push(n);
        }
      } else {
        if (!e.queued) newest = Math.max(newest, e.sentAt);
        s.free(n);
      }
    });
    if (newest > -Infinity) this.#sampleRtt(now - newest);
    return ok;
  }

  #sampleRtt(ms: number): void {
    this.rtt = Math.min(this.rtt, Math.max(0, ms));
  }

  #pump(now: number): void {
    const cc = this.congestion;
    if (now > this.#counterAt + COUNTER_INTERVAL_MS) {
      this.#recvRate = this.#recvCounter / ((now - this.#counterAt) / 1000);
      this.#recvCounter = 0;
      this.#counterAt = now;
    }
    cc.sample(now, this.#send.size, this.rtt);
    cc.refill(now);
    let resent = 0;
    let i = 0;
    for (; i < this.#resend.length && resent < cc.packetsLeftRequested; i++) {
      const n = this.#resend[i]!;
      const e = this.#send.get(n);
      if (e === undefined || !e.queued) continue;
      e.queued = false;
      e.sentAt = now;
      this.#sendData(e.data, n);
      resent++;
    }
    this.#resend = i === this.#resend.length ? [] : this.#resend.slice(i);
    this.stats.resent += resent;
    cc.resent(resent, now);
    while (this.queued > 0 && cc.packetsLeft > 0 && !this.#send.full) {
      const data = this.#outbox[this.#outHead]!;
      this.#outbox[this.#outHead++] = undefined as unknown as Uint8Array;
      this.#sendData(data, this.#send.push(data, now));
      cc.sentNew();
    }
    if (this.#outHead > 1024 && this.#outHead * 2 > this.#outbox.length) {
      this.#outbox = this.#outbox.slice(this.#outHead);
      this.#outHead = 0;
    }
  }
}
