/**
 * A forwarder as c-toxcore 0.2.18 runs one (forwarding.c), sans-IO: it passes DHT
 * announcement traffic on for peers that cannot reach the destination themselves and sends
 * the replies back the same way. Each hop adds a sendback that only it can read (a timed
 * HMAC under a key of its own, valid for one to two hours), so replies need no state here.
 *
 * ```
 * 0x90 [dest pk][data] from S    → 0x91 [sendback: S][data] to dest (a close-list node)
 * 0x91 [sb][0x90 [dest pk][data]] from F → 0x91 [sendback: F + sb][data] to dest (a chain)
 * TCP id 10 [IP_Port][data] from client C → 0x91 [sendback: C][data] to IP_Port
 * 0x92 [sendback][reply]         → 0x91 [0][reply] to S, 0x92 [sb][reply] to F, or id 11 to C
 * ```
 * A 0x91 that is not a chain is for the announcement store, which peerkit does not have:
 * it is dropped and counted.
 *
 * @example
 * ```ts
 * import { Forwarder } from "./forwarding.ts";
 * import { encodeForwardPacket } from "./forwarding_wire.ts";
 * const dest = new Uint8Array(32).fill(7);
 * const f = new Forwarder({ route: () => ({ hostname: "127.0.0.1", port: 2 }) });
 * const req = encodeForwardPacket({ type: "request", dest, data: Uint8Array.of(1) });
 * const out = f.handleUdp(req, { hostname: "127.0.0.1", port: 1 }, 0);
 * console.assert(out.length === 1 && out[0]!.data[0] === 0x91);
 * ```
 * @module
 */
import type { Addr } from "../net/addr.ts";
import { checkTimedAuth, generateTimedAuth } from "../onion/timed_auth.ts";
import {
  decodeForwardPacket,
  decodeSendbackData,
  encodeForwardPacket,
  encodeSendbackData,
  FORWARD_KIND,
  MAX_SENDBACK_SIZE,
  SENDBACK_TAG_SIZE,
  type SendbackData,
} from "./forwarding_wire.ts";

/** Sendback lifetime: c-toxcore's SENDBACK_TIMEOUT, 3600 s (a tag lives one to two periods). */
export const SENDBACK_TIMEOUT_MS = 3_600_000;
/** TCP relay packet id of a forwarding packet to a client. */
const TCP_FORWARDING_ID = 11;

/** Something to send: a datagram, or a relay packet (id first) to a TCP client. */
export type ForwardSend =
  | { to: "udp"; addr: Addr; data: Uint8Array }
  | { to: "tcp"; client: number; data: Uint8Array };

/** Options of a {@link Forwarder}. */
export interface ForwarderOptions {
  /** The address of a close-list node with this DHT key, if any (c-toxcore `route_packet`). */
  route: (publicKey: Uint8Array) => Addr | undefined;
  /** HMAC key of the sendbacks (default: 32 random bytes). */
  hmacKey?: Uint8Array;
}

/** Counters of a {@link Forwarder}. */
export interface ForwarderStats {
  /** Requests sent on as 0x91 (UDP, chained, or from TCP clients). */
  forwarded: number;
  /** Replies sent back (0x91 to a peer, 0x92 to a forwarder, id 11 to a TCP client). */
  replied: number;
  /** Packets dropped: malformed, unknown destination, bad or stale sendback. */
  dropped: number;
  /** 0x91 packets for the announcement store, which is not implemented. */
  notForUs: number;
}

/** Forwards 0x90-0x92 and TCP forward requests. */
export class Forwarder {
  /** Counters. */
  readonly stats: ForwarderStats = { forwarded: 0, replied: 0, dropped: 0, notForUs: 0 };
  readonly #route: ForwarderOptions["route"];
  readonly #key: Uint8Array;

  /** A forwarder with its own sendback key. */
  constructor(opts: ForwarderOptions) {
    this.#route = opts.route;
    this.#key = opts.hmacKey?.slice() ?? crypto.getRandomValues(new Uint8Array(32));
  }

  /** Handles a datagram of kind 0x90, 0x91 or 0x92 from `from`. Never throws. */
  handleUdp(data: Uint8Array, from: Addr, now: number): ForwardSend[] {
    try {
      const p = decodeForwardPacket(data);
      if (p.type === "request") {
        return this.#forward(p.dest, p.data, { type: "ipport", addr: from }, now);
      }
      if (p.type === "forwarding") {
        if (p.data[0] !== FORWARD_KIND.REQUEST) {
          this.stats.notForUs++;
          return [];
        }
        const inner = decodeForwardPacket(p.data);
        if (inner.type !== "request") return this.#drop();
        const sb: SendbackData = { type: "forward", addr: from, inner: p.sendback.slice() };
        return this.#forward(inner.dest, inner.data, sb, now);
      }
      return this.#reply(p.sendback, p.data, now);
    } catch {
      return this.#drop();
    }
  }

  /**
   * Handles a relay client's forward request (TCP id 10, already decoded): sends the data to
   * `addr` with a sendback that brings the reply to connection `conn` as id 11. Never throws.
   */
  handleTcpRequest(addr: Addr, data: Uint8Array, conn: number, now: number): ForwardSend[] {
    try {
      return [this.#forwarding(addr, data, { type: "tcp", conn }, now)];
    } catch {
      return this.#drop();
    }
  }

  #drop(): ForwardSend[] {
    this.stats.dropped++;
    return [];
  }

  #forward(dest: Uint8Array, data: Uint8Array, sb: SendbackData, now: number): ForwardSend[] {
    const addr = this.#route(dest);
    if (!addr) return this.#drop();
    return [this.#forwarding(addr, data, sb, now)];
  }

  /** Throws `RangeError` when the sendback would not fit. */
  #forwarding(addr: Addr, data: Uint8Array, sb: SendbackData, now: number): ForwardSend {
    const plain = encodeSendbackData(sb);
    if (SENDBACK_TAG_SIZE + plain.length > MAX_SENDBACK_SIZE) {
      throw new RangeError("chain too long");
    }
    const sendback = new Uint8Array(SENDBACK_TAG_SIZE + plain.length);
    sendback.set(generateTimedAuth(this.#key, SENDBACK_TIMEOUT_MS, now, plain));
    sendback.set(plain, SENDBACK_TAG_SIZE);
    this.stats.forwarded++;
    return { to: "udp", addr, data: encodeForwardPacket({ type: "forwarding", sendback, data }) };
  }

  #reply(sendback: Uint8Array, data: Uint8Array, now: number): ForwardSend[] {
    if (sendback.length <= SENDBACK_TAG_SIZE) return this.#drop();
    const tag = sendback.subarray(0, SENDBACK_TAG_SIZE);
    const plain = sendback.subarray(SENDBACK_TAG_SIZE);
    if (!checkTimedAuth(this.#key, SENDBACK_TIMEOUT_MS, now, plain, tag)) return this.#drop();
    const sb = decodeSendbackData(plain);
    this.stats.replied++;
    if (sb.type === "ipport") {
      const back = encodeForwardPacket({ type: "forwarding", sendback: new Uint8Array(), data });
      return [{ to: "udp", addr: sb.addr, data: back }];
    }
    if (sb.type === "forward") {
      const back = encodeForwardPacket({ type: "reply", sendback: sb.inner, data });
      return [{ to: "udp", addr: sb.addr, data: back }];
    }
    const out = new Uint8Array(1 + data.length);
    out[0] = TCP_FORWARDING_ID;
    out.set(data, 1);
    return [{ to: "tcp", client: sb.conn, data: out }];
  }
}
