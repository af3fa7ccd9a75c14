/**
 * The four net_crypto datagrams (tox-protocol §6.1-6.6) as pure codecs over `Uint8Array`.
 * Only the framing is decoded here; the boxes stay sealed (see `plain.ts` for what is
 * inside them and `cookie.ts` / `connection.ts` for the keys).
 *
 * ```
 * 0x18 cookie request  [kind][sender DHT pk 32][nonce 24][box 88]            = 145
 * 0x19 cookie response [kind][nonce 24][box 136]                             = 161
 * 0x1a handshake       [kind][cookie 112][nonce 24][box 248]                 = 385
 * 0x1b data            [kind][nonce low 2 BE][box 17..1397]                  ≤ 1400
 * ```
 *
 * @example
 * ```ts
 * import { decodeSessionPacket, encodeSessionPacket } from "./wire.ts";
 * const p = { type: "data" as const, nonceLow: 7, box: new Uint8Array(30) };
 * const back = decodeSessionPacket(encodeSessionPacket(p));
 * console.assert(back.type === "data" && back.nonceLow === 7);
 * ```
 * @module
 */
import { MAC_SIZE, NONCE_SIZE, PUBLIC_KEY_SIZE } from "../crypto/constants.ts";
import { WireError } from "../util/wire_error.ts";
import {
  COOKIE_PLAIN_SIZE,
  COOKIE_REQUEST_PLAIN_SIZE,
  COOKIE_REQUEST_SIZE,
  COOKIE_RESPONSE_SIZE,
  COOKIE_SIZE,
  DATA_HEADER_SIZE,
  ECHO_ID_SIZE,
  HANDSHAKE_PLAIN_SIZE,
  HANDSHAKE_SIZE,
  KIND_COOKIE_REQUEST,
  KIND_COOKIE_RESPONSE,
  KIND_DATA,
  KIND_HANDSHAKE,
  MAX_DATA_PACKET_SIZE,
  MIN_DATA_PACKET_EXCLUSIVE,
} from "./constants.ts";

/** Sealed part of a cookie request. */
export const COOKIE_REQUEST_BOX_SIZE = COOKIE_REQUEST_PLAIN_SIZE + MAC_SIZE;
/** Sealed part of a cookie response. */
export const COOKIE_RESPONSE_BOX_SIZE = COOKIE_SIZE + ECHO_ID_SIZE + MAC_SIZE;
/** Sealed part of a handshake. */
export const HANDSHAKE_BOX_SIZE = HANDSHAKE_PLAIN_SIZE + MAC_SIZE;
/** Sealed part of a cookie. */
export const COOKIE_BOX_SIZE = COOKIE_PLAIN_SIZE + MAC_SIZE;

/** 0x18: asks any node for a cookie. */
export interface CookieRequestPacket {
  /** Tag. */
  type: "cookieRequest";
  /** The requester's DHT public key. */
  dhtPublicKey: Uint8Array;
  /** Random nonce of the box. */
  nonce: Uint8Array;
  /** 88-byte box, see `encodeCookieRequestPlain`. */
  box: Uint8Array;
}

/** 0x19: the cookie, boxed with the request's DHT shared key. */
export interface CookieResponsePacket {
  /** Tag. */
  type: "cookieResponse";
  /** Random nonce of the box. */
  nonce: Uint8Array;
  /** 136-byte box of `[cookie 112][echo id 8]`. */
  box: Uint8Array;
}

/** 0x1a: opens a session, carrying the cookie the receiver minted. */
export interface HandshakePacket {
  /** Tag. */
  type: "handshake";
  /** 112-byte cookie minted by the receiver. */
  cookie: Uint8Array;
  /** Random nonce of the box. */
  nonce: Uint8Array;
  /** 248-byte box, see `encodeHandshakePlain`. */
  box: Uint8Array;
}

/** 0x1b: one encrypted session packet. */
export interface DataPacket {
  /** Tag. */
  type: "data";
  /** The two low bytes of the full nonce (big-endian). */
  nonceLow: number;
  /** The box, `MAC || ciphertext`, 17 to 1397 bytes. */
  box: Uint8Array;
}

/** Any net_crypto datagram. */
export type SessionPacket =
  | CookieRequestPacket
  | CookieResponsePacket
  | HandshakePacket
  | DataPacket;

/** Smallest and largest box of a data packet. */
export const DATA_BOX_MIN = MIN_DATA_PACKET_EXCLUSIVE + 1 - DATA_HEADER_SIZE;
/** Largest box of a data packet. */
export const DATA_BOX_MAX = MAX_DATA_PACKET_SIZE - DATA_HEADER_SIZE;

function need(b: Uint8Array, len: number, what: string): void {
  if (b.length !== len) throw new RangeError(`${what} must be ${len} bytes`);
}

/**
 * Length of `p` on the wire.
 *
 * @example
 * ```ts
 * import { encodedLength } from "./wire.ts";
 * const z = (n: number) => new Uint8Array(n);
 * console.assert(encodedLength({ type: "cookieResponse", nonce: z(24), box: z(136) }) === 161);
 * ```
 */
export function encodedLength(p: SessionPacket): number {
  switch (p.type) {
    case "cookieRequest":
      return COOKIE_REQUEST_SIZE;
    case "cookieResponse":
      return COOKIE_RESPONSE_SIZE;
    case "handshake":
      return HANDSHAKE_SIZE;
    case "data":
      return DATA_HEADER_SIZE + p.box.length;
  }
}

/**
 * Encodes a datagram. Throws `RangeError` when a field has the wrong size.
 *
 * @example
 * ```ts
 * import { encodeSessionPacket } from "./wire.ts";
 * const z = (n: number) => new Uint8Array(n);
 * const b = encodeSessionPacket({ type: "cookieRequest", dhtPublicKey: z(32), nonce: z(24), box: z(88) });
 * console.assert(b.length === 145 && b[0] === 0x18);
 * ```
 */
export function encodeSessionPacket(p: SessionPacket): Uint8Array {
  const out = new Uint8Array(encodedLength(p));
  switch (p.type) {
    case "cookieRequest":
      need(p.dhtPublicKey, PUBLIC_KEY_SIZE, "dhtPublicKey");
      need(p.nonce, NONCE_SIZE, "nonce");
      need(p.box, COOKIE_REQUEST_BOX_SIZE, "box");
      out[0] = KIND_COOKIE_REQUEST;
      out.set(p.dhtPublicKey, 1);
      out.set(p.nonce, 1 + PUBLIC_KEY_SIZE);
      out.set(p.box, 1 + PUBLIC_KEY_SIZE + NONCE_SIZE);
      break;
    case "cookieResponse":
      need(p.nonce, NONCE_SIZE, "nonce");
      need(p.box, COOKIE_RESPONSE_BOX_SIZE, "box");
      out[0] = KIND_COOKIE_RESPONSE;
      out.set(p.nonce, 1);
      out.set(p.box, 1 + NONCE_SIZE);
      break;
    case "handshake":
      need(p.cookie, COOKIE_SIZE, "cookie");
      need(p.nonce, NONCE_SIZE, "nonce");
      need(p.box, HANDSHAKE_BOX_SIZE, "box");
      out[0] = KIND_HANDSHAKE;
      out.set(p.cookie, 1);
      out.set(p.nonce, 1 + COOKIE_SIZE);
      out.set(p.box, 1 + COOKIE_SIZE + NONCE_SIZE);
      break;
    case "data":
      if (p.box.length < DATA_BOX_MIN || p.box.length > DATA_BOX_MAX) {
        throw new RangeError(`data box must be ${DATA_BOX_MIN}..${DATA_BOX_MAX} bytes`);
      }
      if (!Number.isInteger(p.nonceLow) || p.nonceLow < 0 || p.nonceLow > 0xffff) {
        throw new RangeError("nonceLow must be a 16-bit unsigned integer");
      }
      out[0] = KIND_DATA;
      out[1] = p.nonceLow >> 8;
      out[2] = p.nonceLow & 0xff;
      out.set(p.box, DATA_HEADER_SIZE);
      break;
  }
  return out;
}

function exact(b: Uint8Array, len: number, what: string): void {
  if (b.length < len) throw new WireError("TRUNCATED", `${what}: ${b.length} of ${len} bytes`);
  if (b.length > len) throw new WireError("BAD_LENGTH", `${what}: ${b.length} bytes, not ${len}`);
}

/**
 * Decodes a datagram whose first byte is 0x18-0x1b; exact lengths as c-toxcore requires.
 * Throws only `WireError`. The fields are copies, so the input may be reused.
 *
 * @example
 * ```ts
 * import { decodeSessionPacket } from "./wire.ts";
 * import { WireError } from "../util/wire_error.ts";
 * try { decodeSessionPacket(new Uint8Array([0x1a, 1])); } catch (e) {
 *   console.assert(e instanceof WireError && e.code === "TRUNCATED");
 * }
 * ```
 */
export function decodeSessionPacket(b: Uint8Array): SessionPacket {
  if (b.length === 0) throw new WireError("TRUNCATED", "empty datagram");
  switch (b[0]) {
    case KIND_COOKIE_REQUEST:
      exact(b, COOKIE_REQUEST_SIZE, "cookie request");
      return {
        type: "cookieRequest",
        dhtPublicKey: b.slice(1, 1 + PUBLIC_KEY_SIZE),
        nonce: b.slice(1 + PUBLIC_KEY_SIZE, 1 + PUBLIC_KEY_SIZE + NONCE_SIZE),
        box: b.slice(1 + PUBLIC_KEY_SIZE + NONCE_SIZE),
      };
    case KIND_COOKIE_RESPONSE:
      exact(b, COOKIE_RESPONSE_SIZE, "cookie response");
      return { type: "cookieResponse", nonce: b.slice(1, 1 + NONCE_SIZE), box: b.slice(25) };
    case KIND_HANDSHAKE:
      exact(b, HANDSHAKE_SIZE, "handshake");
      return {
        type: "handshake",
        cookie: b.slice(1, 1 + COOKIE_SIZE),
        nonce: b.slice(1 + COOKIE_SIZE, 1 + COOKIE_SIZE + NONCE_SIZE),
        box: b.slice(1 + COOKIE_SIZE + NONCE_SIZE),
      };
    case KIND_DATA:
      if (b.length <= MIN_DATA_PACKET_EXCLUSIVE) {
        throw new WireError("TRUNCATED", `data packet of ${b.length} bytes`);
      }
      if (b.length > MAX_DATA_PACKET_SIZE) {
        throw new WireError("TOO_LARGE", `data packet of ${b.length} bytes`);
      }
      return { type: "data", nonceLow: (b[1]! << 8) | b[2]!, box: b.slice(DATA_HEADER_SIZE) };
    default:
      throw new WireError("BAD_TYPE", `not a net_crypto kind: ${b[0]}`);
  }
}
