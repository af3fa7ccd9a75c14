/**
 * One client link to a relay, without sockets: the handshake, the framing, keep-alive and
 * c-toxcore's client rules (TCP_client.c): a packet id the client never expects (0, 6, 8,
 * 10, 12..15), a packet of one byte, or a frame that does not open ends the link.
 *
 * @example
 * ```ts
 * import { backend } from "../crypto/mod.ts";
 * import { RelayClientConnection } from "./client.ts";
 * const c = new RelayClientConnection({
 *   keyPair: backend().keyPair(), serverPublicKey: backend().keyPair().publicKey, now: 0,
 * });
 * console.assert(c.takeOutput()?.length === 128 && c.state === "handshake");
 * ```
 * @module
 */
import { backend, type CryptoBackend, type KeyPair } from "../crypto/mod.ts";
import { WireError } from "../util/wire_error.ts";
import {
  CONNECTION_TIMEOUT_MS,
  NUM_RESERVED_PORTS,
  PING_ID_SIZE,
  PING_INTERVAL_MS,
  PING_TIMEOUT_MS,
  SERVER_HANDSHAKE_SIZE,
} from "./constants.ts";
import { FrameCodec, FrameReader } from "./framing.ts";
import {
  createClientHandshake,
  openServerHandshake,
  type PendingClientHandshake,
} from "./handshake.ts";
import { decodePacket, encodePacket, type RelayPacket } from "./wire.ts";

/** What a link reports to its owner. */
export type RelayClientEvent =
  | { type: "ready" }
  | { type: "routingResponse"; connId: number; publicKey: Uint8Array }
  | { type: "connect"; connId: number }
  | { type: "disconnect"; connId: number }
  | { type: "data"; connId: number; data: Uint8Array }
  | { type: "oob"; publicKey: Uint8Array; data: Uint8Array }
  | { type: "onionResponse"; data: Uint8Array }
  | { type: "forwarding"; data: Uint8Array }
  | { type: "pong"; pingId: Uint8Array }
  | { type: "closed"; reason: string };

/** Options of {@link RelayClientConnection}. */
export interface RelayClientConnectionOptions {
  /** This client's (DHT) key pair. */
  keyPair: KeyPair;
  /** The relay's public key. */
  serverPublicKey: Uint8Array;
  /** Current time in ms. */
  now: number;
  /** Keep-alive interval (default 30000). */
  pingIntervalMs?: number;
  /** Keep-alive timeout (default 10000). */
  pingTimeoutMs?: number;
  /** Bytes queued beyond which {@link RelayClientConnection.send} refuses (default 1 MiB). */
  maxQueueBytes?: number;
  /** Crypto backend for the handshake and the frames (default: the process backend). */
  crypto?: CryptoBackend;
  /** Source of the temporary key, the nonces and the ping ids (default: the backend's). */
  random?: (n: number) => Uint8Array;
}

/**
 * A client's link to one relay.
 *
 * @example
 * ```ts
 * import { backend } from "../crypto/mod.ts";
 * import { RelayClientConnection } from "./client.ts";
 * const c = new RelayClientConnection({
 *   keyPair: backend().keyPair(), serverPublicKey: backend().keyPair().publicKey, now: 0,
 * });
 * c.handleTimeout(10_000); // no server handshake within 10 s
 * console.assert(c.state === "closed");
 * ```
 */
export class RelayClientConnection {
  #state: "handshake" | "ready" | "closed" = "handshake";
  #pending: PendingClientHandshake | null;
  #hs = new Uint8Array(SERVER_HANDSHAKE_SIZE);
  #hsLen = 0;
  #codec: FrameCodec | null = null;
  #reader = new FrameReader();
  #out: Uint8Array[] = [];
  #outBytes = 0;
  #events: RelayClientEvent[] = [];
  #opened: number;
  #lastPinged: number;
  #pingId: Uint8Array | null = null;
  readonly #o: Required<Omit<RelayClientConnectionOptions, "crypto" | "random">>;
  readonly #crypto: CryptoBackend | undefined;
  readonly #random: (n: number) => Uint8Array;

  /**
   * Starts a link: the 128-byte handshake is queued at once.
   *
   * @param opts keys and time
   */
  constructor(opts: RelayClientConnectionOptions) {
    this.#o = {
      pingIntervalMs: PING_INTERVAL_MS,
      pingTimeoutMs: PING_TIMEOUT_MS,
      maxQueueBytes: 1024 * 1024,
      ...opts,
    };
    const crypto = opts.crypto ?? backend();
    this.#crypto = opts.crypto;
    this.#random = opts.random ?? ((n) => crypto.randomBytes(n));
    this.#opened = this.#lastPinged = opts.now;
    this.#pending = createClientHandshake(
      opts.keyPair,
      opts.serverPublicKey,
      { crypto, random: this.#random },
    );
    this.#queue(this.#pending.bytes);
  }

  /** `handshake` until the server's reply opens, then `ready`, finally `closed`. */
  get state(): "handshake" | "ready" | "closed" {
    return this.#state;
  }

  /** Bytes queued and not yet taken by the driver. */
  get queuedBytes(): number {
    return this.#outBytes;
  }

  /** Feeds bytes read from the socket. */
  receive(bytes: Uint8Array, now: number): void {
    if (this.#state === "closed") return;
    let rest = bytes;
    if (this.#state === "handshake") {
      const take = Math.min(SERVER_HANDSHAKE_SIZE - this.#hsLen, rest.length);
      this.#hs.set(rest.subarray(0, take), this.#hsLen);
      this.#hsLen += take;
      rest = rest.subarray(take);
      if (this.#hsLen < SERVER_HANDSHAKE_SIZE) return;
      const keys = openServerHandshake(
        this.#pending!,
        this.#o.serverPublicKey,
        this.#o.keyPair.secretKey,
        this.#hs,
        { crypto: this.#crypto },
      );
      this.#pending = null;
      if (!keys) return this.close("bad server handshake");
      this.#codec = new FrameCodec(keys, this.#crypto);
      this.#state = "ready";
      this.#events.push({ type: "ready" });
      // Like toxcore, confirm the link at once with a ping.
      this.#ping(now);
      if (rest.length === 0) return;
    }
    let frames: Uint8Array[];
    try {
      frames = this.#reader.push(rest);
    } catch (e) {
      if (e instanceof WireError) return this.close("frame too large");
      throw e;
    }
    for (const f of frames) {
      const plain = this.#codec!.open(f);
      if (!plain) return this.close("frame does not decrypt");
      this.#handle(plain);
      if ((this.#state as string) === "closed") return;
    }
  }

  #handle(plain: Uint8Array): void {
    if (plain.length <= 1) return this.close("packet of one byte");
    if (plain[0]! >= NUM_RESERVED_PORTS) {
      this.#events.push({ type: "data", connId: plain[0]!, data: plain.subarray(1) });
      return;
    }
    let p: RelayPacket;
    try {
      p = decodePacket(plain);
    } catch (e) {
      if (e instanceof WireError) return this.close(`malformed packet: ${e.message}`);
      throw e;
    }
    switch (p.type) {
      case "routingResponse":
        this.#events.push({ type: "routingResponse", connId: p.connId, publicKey: p.publicKey });
        return;
      case "connectNotification":
        this.#events.push({ type: "connect", connId: p.connId });
        return;
      case "disconnectNotification":
        this.#events.push({ type: "disconnect", connId: p.connId });
        return;
      case "ping":
        this.#send(encodePacket({ type: "pong", pingId: p.pingId }));
        return;
      case "pong":
        if (this.#pingId && p.pingId.every((b, i) => b === this.#pingId![i])) {
          this.#pingId = null;
        }
        this.#events.push({ type: "pong", pingId: p.pingId });
        return;
      case "oobRecv":
        this.#events.push({ type: "oob", publicKey: p.publicKey, data: p.data });
        return;
      case "onionResponse":
        this.#events.push({ type: "onionResponse", data: p.data });
        return;
      case "forwarding":
        this.#events.push({ type: "forwarding", data: p.data });
        return;
      default:
        return this.close(`unexpected packet id ${plain[0]}`);
    }
  }

  /**
   * Sends a packet. Returns false when the link is not ready, or (for data, out-of-band,
   * onion and forward packets) when more than `maxQueueBytes` wait to be written.
   */
  send(p: RelayPacket): boolean {
    if (this.#state !== "ready") return false;
    const control = p.type === "routingRequest" || p.type === "disconnectNotification" ||
      p.type === "ping" || p.type === "pong";
    if (!control && this.#outBytes >= this.#o.maxQueueBytes) return false;
    this.#send(encodePacket(p));
    return true;
  }

  /** Fast path for data: `[connId][data]` without building a packet object. */
  sendData(connId: number, data: Uint8Array): boolean {
    if (this.#state !== "ready" || this.#outBytes >= this.#o.maxQueueBytes) return false;
    if (connId < NUM_RESERVED_PORTS || connId > 255) throw new RangeError("bad connection id");
    const plain = new Uint8Array(1 + data.length);
    plain[0] = connId;
    plain.set(data, 1);
    this.#send(plain);
    return true;
  }

  #send(plain: Uint8Array): void {
    this.#queue(this.#codec!.seal(plain));
  }

  #queue(b: Uint8Array): void {
    this.#out.push(b);
    this.#outBytes += b.length;
  }

  #ping(now: number): void {
    const id = this.#random(PING_ID_SIZE).slice();
    if (id.every((b) => b === 0)) id[0] = 1;
    this.#pingId = id;
    this.#lastPinged = now;
    this.#send(encodePacket({ type: "ping", pingId: id }));
  }

  /** Events since the last call. */
  pollEvents(): RelayClientEvent[] {
    const e = this.#events;
    this.#events = [];
    return e;
  }

  /** Everything queued for the socket, joined; `null` when nothing is. */
  takeOutput(): Uint8Array | null {
    if (this.#out.length === 0) return null;
    let out = this.#out[0]!;
    if (this.#out.length > 1) {
      out = new Uint8Array(this.#outBytes);
      let off = 0;
      for (const b of this.#out) {
        out.set(b, off);
        off += b.length;
      }
    }
    this.#out = [];
    this.#outBytes = 0;
    return out;
  }

  /** When {@link handleTimeout} should run next (ms). */
  nextTimeout(): number {
    if (this.#state === "handshake") return this.#opened + CONNECTION_TIMEOUT_MS;
    if (this.#pingId) return this.#lastPinged + this.#o.pingTimeoutMs;
    return this.#lastPinged + this.#o.pingIntervalMs;
  }

  /** Handshake deadline, keep-alive pings and their timeout. */
  handleTimeout(now: number): void {
    if (this.#state === "handshake") {
      if (now - this.#opened >= CONNECTION_TIMEOUT_MS) this.close("handshake timeout");
      return;
    }
    if (this.#state !== "ready") return;
    if (this.#pingId && now - this.#lastPinged >= this.#o.pingTimeoutMs) {
      return this.close("ping timeout");
    }
    if (!this.#pingId && now - this.#lastPinged >= this.#o.pingIntervalMs) this.#ping(now);
  }

  /** Ends the link (idempotent); a `closed` event carries the reason. */
  close(reason: string): void {
    if (this.#state === "closed") return;
    this.#state = "closed";
    this.#out = [];
    this.#outBytes = 0;
    this.#events.push({ type: "closed", reason });
  }
}
