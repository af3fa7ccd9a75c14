/**
 * Codec of the UDP forwarding packets of c-toxcore 0.2.18 (forwarding.c), which carry DHT
 * announcement traffic through one to four forwarders:
 *
 * ```
 * 0x90 forward request  [0x90][destination DHT public key 32][data ≤ 1792]
 * 0x91 forwarding       [0x91][sendback length 1][sendback][data]
 * 0x92 forward reply    [0x92][sendback length 1][sendback][data]
 * sendback              [tag 32][sendback data]   (the tag is the forwarder's timed HMAC)
 * sendback data         [0][packed IP_Port]                     reply goes to that UDP peer
 *                       [1][packed IP_Port][earlier sendback]   reply goes to that forwarder
 *                       [2][relay connection u64]               reply goes to a TCP client
 * ```
 *
 * Only the forwarder that wrote a sendback reads it again, so the content of sendback data is
 * the forwarder's own business; the layout above follows c-toxcore's tags 0/1/2.
 *
 * @example
 * ```ts
 * import { decodeForwardPacket, encodeForwardPacket } from "./forwarding_wire.ts";
 * const b = encodeForwardPacket({ type: "forwarding", sendback: new Uint8Array(), data: Uint8Array.of(7) });
 * console.assert(b.join() === "145,0,7" && decodeForwardPacket(b).type === "forwarding");
 * ```
 * @module
 */
import type { Addr } from "../net/addr.ts";
import { WireError } from "../util/wire_error.ts";
import { packIpPort, unpackIpPort } from "./packed_node.ts";

/** UDP kinds. */
export const FORWARD_KIND = { REQUEST: 0x90, FORWARDING: 0x91, REPLY: 0x92 } as const;
/** Sendback data tags. */
export const SENDBACK_TAG = { IPPORT: 0, FORWARD: 1, TCP: 2 } as const;
/** Longest sendback (tag included); 255 is reserved. */
export const MAX_SENDBACK_SIZE = 254;
/** Longest forwarded data: a 2048-byte datagram less kind, length and a full sendback. */
export const MAX_FORWARD_DATA_SIZE = 1792;
/** Longest datagram c-toxcore reads. */
export const MAX_FORWARD_PACKET_SIZE = 2048;
/** Size of the sendback's timed HMAC. */
export const SENDBACK_TAG_SIZE = 32;
const KEY_SIZE = 32;

/** One forwarding packet. */
export type ForwardPacket =
  | { type: "request"; dest: Uint8Array; data: Uint8Array }
  | { type: "forwarding"; sendback: Uint8Array; data: Uint8Array }
  | { type: "reply"; sendback: Uint8Array; data: Uint8Array };

/** What a sendback says about where a reply goes. */
export type SendbackData =
  | { type: "ipport"; addr: Addr }
  | { type: "forward"; addr: Addr; inner: Uint8Array }
  | { type: "tcp"; conn: number };

/**
 * Length of {@link encodeForwardPacket}'s output.
 *
 * @example
 * ```ts
 * import { encodedLength } from "./forwarding_wire.ts";
 * console.assert(encodedLength({ type: "request", dest: new Uint8Array(32), data: new Uint8Array(5) }) === 38);
 * ```
 */
export function encodedLength(p: ForwardPacket): number {
  return p.type === "request"
    ? 1 + KEY_SIZE + p.data.length
    : 2 + p.sendback.length + p.data.length;
}

/**
 * Encodes a packet; `RangeError` for a key that is not 32 bytes, a sendback over 254 bytes or
 * request data over 1792 bytes.
 *
 * @example
 * ```ts
 * import { encodeForwardPacket } from "./forwarding_wire.ts";
 * console.assert(encodeForwardPacket({ type: "reply", sendback: new Uint8Array(33), data: new Uint8Array() })[1] === 33);
 * ```
 */
export function encodeForwardPacket(p: ForwardPacket): Uint8Array {
  const out = new Uint8Array(encodedLength(p));
  if (p.type === "request") {
    if (p.dest.length !== KEY_SIZE) throw new RangeError("destination key must be 32 bytes");
    if (p.data.length > MAX_FORWARD_DATA_SIZE) throw new RangeError("forward data too large");
    out[0] = FORWARD_KIND.REQUEST;
    out.set(p.dest, 1);
    out.set(p.data, 1 + KEY_SIZE);
    return out;
  }
  if (p.sendback.length > MAX_SENDBACK_SIZE) throw new RangeError("sendback too large");
  out[0] = p.type === "forwarding" ? FORWARD_KIND.FORWARDING : FORWARD_KIND.REPLY;
  out[1] = p.sendback.length;
  out.set(p.sendback, 2);
  out.set(p.data, 2 + p.sendback.length);
  return out;
}

/**
 * Decodes 0x90/0x91/0x92 (views into `bytes`); throws only {@link WireError}.
 *
 * @example
 * ```ts
 * import { decodeForwardPacket } from "./forwarding_wire.ts";
 * try { decodeForwardPacket(Uint8Array.of(0x90, 1)); } catch (e) { console.assert((e as Error).name === "WireError"); }
 * ```
 */
export function decodeForwardPacket(bytes: Uint8Array): ForwardPacket {
  const kind = bytes[0];
  if (bytes.length > MAX_FORWARD_PACKET_SIZE) {
    throw new WireError("TOO_LARGE", `forwarding packet of ${bytes.length} bytes`);
  }
  if (kind === FORWARD_KIND.REQUEST) {
    if (bytes.length < 1 + KEY_SIZE) throw new WireError("TRUNCATED", "forward request");
    const data = bytes.subarray(1 + KEY_SIZE);
    if (data.length > MAX_FORWARD_DATA_SIZE) throw new WireError("TOO_LARGE", "forward data");
    return { type: "request", dest: bytes.subarray(1, 1 + KEY_SIZE), data };
  }
  if (kind !== FORWARD_KIND.FORWARDING && kind !== FORWARD_KIND.REPLY) {
    throw new WireError("BAD_TYPE", `not a forwarding packet: ${kind}`);
  }
  const len = bytes[1];
  if (len === undefined || bytes.length < 2 + len) {
    throw new WireError("TRUNCATED", "sendback cut short");
  }
  if (len > MAX_SENDBACK_SIZE) throw new WireError("TOO_LARGE", "sendback of 255 bytes");
  return {
    type: kind === FORWARD_KIND.FORWARDING ? "forwarding" : "reply",
    sendback: bytes.subarray(2, 2 + len),
    data: bytes.subarray(2 + len),
  };
}

/**
 * Encodes sendback data (without the tag).
 *
 * @example
 * ```ts
 * import { encodeSendbackData } from "./forwarding_wire.ts";
 * console.assert(encodeSendbackData({ type: "tcp", conn: 1 }).length === 9);
 * ```
 */
export function encodeSendbackData(s: SendbackData): Uint8Array {
  if (s.type === "tcp") {
    if (!Number.isSafeInteger(s.conn) || s.conn < 0) throw new RangeError("bad connection id");
    const out = new Uint8Array(9);
    out[0] = SENDBACK_TAG.TCP;
    new DataView(out.buffer).setBigUint64(1, BigInt(s.conn));
    return out;
  }
  const ip = packIpPort(s.addr);
  const inner = s.type === "forward" ? s.inner : new Uint8Array();
  const out = new Uint8Array(1 + ip.length + inner.length);
  out[0] = s.type === "ipport" ? SENDBACK_TAG.IPPORT : SENDBACK_TAG.FORWARD;
  out.set(ip, 1);
  out.set(inner, 1 + ip.length);
  return out;
}

/**
 * Decodes sendback data; throws only {@link WireError}. An IP_Port sendback must end with
 * its address, as c-toxcore checks.
 *
 * @example
 * ```ts
 * import { decodeSendbackData, encodeSendbackData } from "./forwarding_wire.ts";
 * const s = decodeSendbackData(encodeSendbackData({ type: "ipport", addr: { hostname: "::1", port: 5 } }));
 * console.assert(s.type === "ipport" && s.addr.port === 5);
 * ```
 */
export function decodeSendbackData(bytes: Uint8Array): SendbackData {
  const tag = bytes[0];
  if (tag === SENDBACK_TAG.TCP) {
    if (bytes.length !== 9) throw new WireError("BAD_LENGTH", "TCP sendback");
    const conn = new DataView(bytes.buffer, bytes.byteOffset, 9).getBigUint64(1);
    if (conn > BigInt(Number.MAX_SAFE_INTEGER)) throw new WireError("BAD_VALUE", "connection id");
    return { type: "tcp", conn: Number(conn) };
  }
  if (tag !== SENDBACK_TAG.IPPORT && tag !== SENDBACK_TAG.FORWARD) {
    throw new WireError(tag === undefined ? "TRUNCATED" : "BAD_TYPE", "sendback tag");
  }
  const { addr, size } = unpackIpPort(bytes, 1, false);
  if (tag === SENDBACK_TAG.IPPORT) {
    if (1 + size !== bytes.length) throw new WireError("BAD_LENGTH", "IP_Port sendback");
    return { type: "ipport", addr };
  }
  return { type: "forward", addr, inner: bytes.subarray(1 + size) };
}
