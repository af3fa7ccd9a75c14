/**
 * The punch probe codec. Every punch datagram is one layout:
 *
 * ```
 * kind 0xe5 | type (1 probe, 2 ack, 3 confirm) | sender public key [32] | nonce [24] |
 * box(sender secret, receiver public, nonce) of:
 *   type [1] | attempt id [8] | timestamp ms (u64 BE) [8] | token [16] | echo [16] | endpoint [18]
 * ```
 *
 * The box authenticates everything inside with both long-term keys, so a third party can
 * neither forge a probe nor change the endpoint or the echoed token. For a probe the endpoint
 * is the address it was sent to; for an ack it is where the probe came from (what the peer's
 * NAT made of us). `encodePunch` seals, `decodePunchHeader` splits the clear part (only
 * `WireError` escapes), and `openPunch` returns `null` when the box does not open.
 *
 * @example
 * ```ts
 * import { decodePunchHeader, encodePunch, openPunch } from "./wire.ts";
 * import { backend } from "../crypto/mod.ts";
 * const a = backend().keyPair(), b = backend().keyPair();
 * const key = backend().sharedKey(b.publicKey, a.secretKey);
 * const bytes = encodePunch({
 *   type: 1, sender: a.publicKey, attemptId: new Uint8Array(8), timestamp: 5,
 *   token: new Uint8Array(16).fill(1), echo: new Uint8Array(16),
 *   endpoint: { hostname: "203.0.113.2", port: 4000 },
 * }, key, new Uint8Array(24));
 * const h = decodePunchHeader(bytes);
 * const m = openPunch(h, backend().sharedKey(a.publicKey, b.secretKey), a.publicKey);
 * console.assert(m?.endpoint.port === 4000 && m.timestamp === 5);
 * ```
 * @module
 */
import { backend } from "../crypto/backend.ts";
import type { Addr } from "../net/addr.ts";
import { formatIp, parseIp, unmapIpv4 } from "../net/ip.ts";
import { WireError } from "../util/wire_error.ts";
import {
  ATTEMPT_ID_SIZE,
  ENDPOINT_SIZE,
  HEADER_SIZE,
  KEY_SIZE,
  NONCE_SIZE,
  PAYLOAD_SIZE,
  PUNCH_KIND,
  PUNCH_PACKET_SIZE,
  PunchType,
  TOKEN_SIZE,
} from "./constants.ts";

/** One punch message, as sealed or opened. */
export interface PunchMessage {
  /** Probe, ack or confirm. */
  type: PunchType;
  /** The sender's long-term public key. */
  sender: Uint8Array;
  /** The attempt this belongs to. */
  attemptId: Uint8Array;
  /** Sender's clock, ms. */
  timestamp: number;
  /** A fresh random token the receiver must echo. */
  token: Uint8Array;
  /** The token being answered (zeros in a probe). */
  echo: Uint8Array;
  /** Probe: address sent to; ack: where the probe came from; confirm: the path. */
  endpoint: Addr;
}

/** The clear part of a punch datagram. */
export interface PunchHeader {
  /** Message type. */
  type: PunchType;
  /** Sender's public key. */
  sender: Uint8Array;
  /** Box nonce. */
  nonce: Uint8Array;
  /** The box (MAC and ciphertext). */
  box: Uint8Array;
}

/**
 * Bytes of an encoded message (every punch datagram has the same size).
 *
 * @example
 * ```ts
 * import { encodedPunchLength } from "./wire.ts";
 * console.assert(encodedPunchLength() === 141);
 * ```
 */
export function encodedPunchLength(): number {
  return PUNCH_PACKET_SIZE;
}

/**
 * True when `data` starts like a punch datagram (kind byte only; cheap demultiplexing).
 *
 * @example
 * ```ts
 * import { isPunchPacket } from "./wire.ts";
 * console.assert(isPunchPacket(new Uint8Array([0xe5])) && !isPunchPacket(new Uint8Array([0])));
 * ```
 */
export function isPunchPacket(data: Uint8Array): boolean {
  return data[0] === PUNCH_KIND;
}

function encodeEndpoint(a: Addr, out: Uint8Array, at: number): void {
  const ip = parseIp(a.hostname);
  if (!ip) throw new TypeError(`not an IP address: ${a.hostname}`);
  if (ip.length === 4) {
    out[at + 10] = 0xff;
    out[at + 11] = 0xff;
    out.set(ip, at + 12);
  } else out.set(ip, at);
  out[at + 16] = a.port >> 8;
  out[at + 17] = a.port & 0xff;
}

function decodeEndpoint(b: Uint8Array, at: number): Addr {
  const ip = unmapIpv4(b.subarray(at, at + 16));
  return { hostname: formatIp(ip), port: (b[at + 16]! << 8) | b[at + 17]! };
}

/**
 * Seals `m` with the shared key of sender and receiver under `nonce` (24 random bytes).
 * Throws `TypeError` on a malformed message (a local mistake, not network input).
 *
 * @example
 * ```ts
 * import { encodePunch } from "./wire.ts";
 * const b = encodePunch({
 *   type: 1, sender: new Uint8Array(32), attemptId: new Uint8Array(8), timestamp: 0,
 *   token: new Uint8Array(16), echo: new Uint8Array(16), endpoint: { hostname: "::1", port: 1 },
 * }, new Uint8Array(32), new Uint8Array(24));
 * console.assert(b[0] === 0xe5 && b.length === 141);
 * ```
 */
export function encodePunch(m: PunchMessage, sharedKey: Uint8Array, nonce: Uint8Array): Uint8Array {
  if (m.sender.length !== KEY_SIZE || m.attemptId.length !== ATTEMPT_ID_SIZE) {
    throw new TypeError("bad key or attempt id size");
  }
  if (m.token.length !== TOKEN_SIZE || m.echo.length !== TOKEN_SIZE) {
    throw new TypeError("bad token size");
  }
  if (nonce.length !== NONCE_SIZE) throw new TypeError("bad nonce size");
  if (!Number.isSafeInteger(m.timestamp) || m.timestamp < 0) {
    throw new TypeError("bad timestamp");
  }
  const plain = new Uint8Array(PAYLOAD_SIZE);
  plain[0] = m.type;
  let o = 1;
  plain.set(m.attemptId, o);
  o += ATTEMPT_ID_SIZE;
  new DataView(plain.buffer).setBigUint64(o, BigInt(m.timestamp));
  o += 8;
  plain.set(m.token, o);
  o += TOKEN_SIZE;
  plain.set(m.echo, o);
  o += TOKEN_SIZE;
  encodeEndpoint(m.endpoint, plain, o);
  const box = backend().seal(plain, nonce, sharedKey);
  const out = new Uint8Array(HEADER_SIZE + box.length);
  out[0] = PUNCH_KIND;
  out[1] = m.type;
  out.set(m.sender, 2);
  out.set(nonce, 2 + KEY_SIZE);
  out.set(box, HEADER_SIZE);
  return out;
}

/**
 * Splits the clear part of a punch datagram; throws only `WireError` (wrong kind, unknown
 * type, wrong size).
 *
 * @example
 * ```ts
 * import { decodePunchHeader } from "./wire.ts";
 * try { decodePunchHeader(new Uint8Array([0xe5, 1])); } catch (e) {
 *   console.assert((e as Error).name === "WireError");
 * }
 * ```
 */
export function decodePunchHeader(data: Uint8Array): PunchHeader {
  if (data.length < HEADER_SIZE) throw new WireError("TRUNCATED", "punch packet too short");
  if (data[0] !== PUNCH_KIND) throw new WireError("BAD_TYPE", "not a punch packet");
  const type = data[1]!;
  if (type !== PunchType.PROBE && type !== PunchType.ACK && type !== PunchType.CONFIRM) {
    throw new WireError("BAD_TYPE", `unknown punch type ${type}`);
  }
  if (data.length < PUNCH_PACKET_SIZE) throw new WireError("TRUNCATED", "punch packet too short");
  if (data.length > PUNCH_PACKET_SIZE) throw new WireError("TOO_LARGE", "punch packet too long");
  return {
    type: type as PunchType,
    sender: data.slice(2, 2 + KEY_SIZE),
    nonce: data.slice(2 + KEY_SIZE, HEADER_SIZE),
    box: data.subarray(HEADER_SIZE),
  };
}

/**
 * Opens the box of a decoded header with the shared key of `peerKey`; `null` when the clear
 * sender is not `peerKey` or the box does not open (forged, corrupted, another key pair,
 * or a type byte changed in transit: the type is inside the box too).
 *
 * @example
 * ```ts
 * import { openPunch } from "./wire.ts";
 * const h = { type: 1 as const, sender: new Uint8Array(32), nonce: new Uint8Array(24), box: new Uint8Array(83) };
 * console.assert(openPunch(h, new Uint8Array(32), new Uint8Array(32)) === null);
 * ```
 */
export function openPunch(
  h: PunchHeader,
  sharedKey: Uint8Array,
  peerKey: Uint8Array,
): PunchMessage | null {
  if (!sameBytes(h.sender, peerKey)) return null;
  const plain = backend().open(h.box, h.nonce, sharedKey);
  if (!plain || plain.length !== PAYLOAD_SIZE || plain[0] !== h.type) return null;
  let o = 1;
  const attemptId = plain.slice(o, o + ATTEMPT_ID_SIZE);
  o += ATTEMPT_ID_SIZE;
  const ts = new DataView(plain.buffer, plain.byteOffset).getBigUint64(o);
  o += 8;
  if (ts > BigInt(Number.MAX_SAFE_INTEGER)) return null;
  const token = plain.slice(o, o + TOKEN_SIZE);
  o += TOKEN_SIZE;
  const echo = plain.slice(o, o + TOKEN_SIZE);
  o += TOKEN_SIZE;
  if (plain.length - o !== ENDPOINT_SIZE) return null;
  return {
    type: h.type,
    sender: h.sender,
    attemptId,
    timestamp: Number(ts),
    token,
    echo,
    endpoint: decodeEndpoint(plain, o),
  };
}

/** Constant-time equality of two byte strings. */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}
