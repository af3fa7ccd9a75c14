/**
 * What is inside the net_crypto boxes (tox-protocol §6.1-6.7): the cookie request and
 * cookie plaintexts, the handshake plaintext, and the data plaintext with its padding.
 * Pure codecs; decoders throw only `WireError`.
 *
 * ```
 * cookie request  [real pk 32][zero 32][echo id 8]
 * cookie          [time 8][real pk 32][DHT pk 32]          (time is private to the minter)
 * handshake       [base nonce 24][session pk 32][SHA-512(cookie) 64][other cookie 112]
 * data            [buffer_start u32 BE][packet number u32 BE][zero padding][payload]
 * ```
 *
 * @example
 * ```ts
 * import { decodeDataPlain, encodeDataPlain } from "./plain.ts";
 * const p = encodeDataPlain({ bufferStart: 1, packetNumber: 2, payload: new Uint8Array([16, 9]) });
 * console.assert(decodeDataPlain(p).payload[1] === 9);
 * ```
 * @module
 */
import { NONCE_SIZE, PUBLIC_KEY_SIZE, SHA512_SIZE } from "../crypto/constants.ts";
import { WireError } from "../util/wire_error.ts";
import {
  COOKIE_PLAIN_SIZE,
  COOKIE_REQUEST_PLAIN_SIZE,
  COOKIE_SIZE,
  DATA_PADDING_MODULO,
  ECHO_ID_SIZE,
  HANDSHAKE_PLAIN_SIZE,
  MAX_DATA_PAYLOAD,
} from "./constants.ts";

/** Inside a cookie request box. */
export interface CookieRequestPlain {
  /** The requester's real (long-term) public key. */
  realPublicKey: Uint8Array;
  /** 8 opaque bytes echoed in the response. */
  echoId: Uint8Array;
}

/** Inside a cookie box. */
export interface CookiePlain {
  /** Minting time in ms (only the minter reads it). */
  time: number;
  /** Real public key of the peer the cookie was made for. */
  realPublicKey: Uint8Array;
  /** DHT public key of that peer. */
  dhtPublicKey: Uint8Array;
}

/** Inside a handshake box. */
export interface HandshakePlain {
  /** The sender's own base nonce for its data packets. */
  baseNonce: Uint8Array;
  /** The sender's session public key. */
  sessionPublicKey: Uint8Array;
  /** SHA-512 of the cookie at offset 1 of the handshake. */
  cookieHash: Uint8Array;
  /** A cookie the sender minted for the receiver. */
  otherCookie: Uint8Array;
}

/** Inside a data box. */
export interface DataPlain {
  /** Receiver-side acknowledgement: every number below it was delivered. */
  bufferStart: number;
  /** Lossless packet number, or the sender's next lossless number for other packets. */
  packetNumber: number;
  /** The payload; its first byte is its non-zero id. */
  payload: Uint8Array;
}

function fixed(b: Uint8Array, len: number, what: string): void {
  if (b.length !== len) throw new RangeError(`${what} must be ${len} bytes`);
}

function exact(b: Uint8Array, len: number, what: string): void {
  if (b.length < len) throw new WireError("TRUNCATED", `${what}: ${b.length} of ${len} bytes`);
  if (b.length > len) throw new WireError("BAD_LENGTH", `${what}: ${b.length} bytes`);
}

/**
 * Encodes a cookie request plaintext (72 bytes).
 *
 * @example
 * ```ts
 * import { encodeCookieRequestPlain } from "./plain.ts";
 * const b = encodeCookieRequestPlain({ realPublicKey: new Uint8Array(32), echoId: new Uint8Array(8) });
 * console.assert(b.length === 72);
 * ```
 */
export function encodeCookieRequestPlain(p: CookieRequestPlain): Uint8Array {
  fixed(p.realPublicKey, PUBLIC_KEY_SIZE, "realPublicKey");
  fixed(p.echoId, ECHO_ID_SIZE, "echoId");
  const out = new Uint8Array(COOKIE_REQUEST_PLAIN_SIZE);
  out.set(p.realPublicKey, 0);
  out.set(p.echoId, 2 * PUBLIC_KEY_SIZE);
  return out;
}

/**
 * Decodes a cookie request plaintext; the padding is ignored, as c-toxcore ignores it.
 *
 * @example
 * ```ts
 * import { decodeCookieRequestPlain } from "./plain.ts";
 * console.assert(decodeCookieRequestPlain(new Uint8Array(72)).echoId.length === 8);
 * ```
 */
export function decodeCookieRequestPlain(b: Uint8Array): CookieRequestPlain {
  exact(b, COOKIE_REQUEST_PLAIN_SIZE, "cookie request plaintext");
  return { realPublicKey: b.slice(0, 32), echoId: b.slice(64, 72) };
}

/**
 * Encodes a cookie plaintext (72 bytes); the time is a little-endian u64 of ms.
 *
 * @example
 * ```ts
 * import { encodeCookiePlain } from "./plain.ts";
 * const z = new Uint8Array(32);
 * console.assert(encodeCookiePlain({ time: 5, realPublicKey: z, dhtPublicKey: z })[0] === 5);
 * ```
 */
export function encodeCookiePlain(p: CookiePlain): Uint8Array {
  fixed(p.realPublicKey, PUBLIC_KEY_SIZE, "realPublicKey");
  fixed(p.dhtPublicKey, PUBLIC_KEY_SIZE, "dhtPublicKey");
  if (!Number.isSafeInteger(p.time) || p.time < 0) throw new RangeError("bad cookie time");
  const out = new Uint8Array(COOKIE_PLAIN_SIZE);
  new DataView(out.buffer).setBigUint64(0, BigInt(p.time), true);
  out.set(p.realPublicKey, 8);
  out.set(p.dhtPublicKey, 8 + PUBLIC_KEY_SIZE);
  return out;
}

/**
 * Decodes a cookie plaintext.
 *
 * @example
 * ```ts
 * import { decodeCookiePlain } from "./plain.ts";
 * console.assert(decodeCookiePlain(new Uint8Array(72)).time === 0);
 * ```
 */
export function decodeCookiePlain(b: Uint8Array): CookiePlain {
  exact(b, COOKIE_PLAIN_SIZE, "cookie plaintext");
  const t = new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true);
  if (t > BigInt(Number.MAX_SAFE_INTEGER)) throw new WireError("BAD_VALUE", "cookie time");
  return { time: Number(t), realPublicKey: b.slice(8, 40), dhtPublicKey: b.slice(40, 72) };
}

/**
 * Encodes a handshake plaintext (232 bytes).
 *
 * @example
 * ```ts
 * import { encodeHandshakePlain } from "./plain.ts";
 * const z = (n: number) => new Uint8Array(n);
 * const b = encodeHandshakePlain({ baseNonce: z(24), sessionPublicKey: z(32), cookieHash: z(64), otherCookie: z(112) });
 * console.assert(b.length === 232);
 * ```
 */
export function encodeHandshakePlain(p: HandshakePlain): Uint8Array {
  fixed(p.baseNonce, NONCE_SIZE, "baseNonce");
  fixed(p.sessionPublicKey, PUBLIC_KEY_SIZE, "sessionPublicKey");
  fixed(p.cookieHash, SHA512_SIZE, "cookieHash");
  fixed(p.otherCookie, COOKIE_SIZE, "otherCookie");
  const out = new Uint8Array(HANDSHAKE_PLAIN_SIZE);
  out.set(p.baseNonce, 0);
  out.set(p.sessionPublicKey, 24);
  out.set(p.cookieHash, 56);
  out.set(p.otherCookie, 120);
  return out;
}

/**
 * Decodes a handshake plaintext.
 *
 * @example
 * ```ts
 * import { decodeHandshakePlain } from "./plain.ts";
 * console.assert(decodeHandshakePlain(new Uint8Array(232)).otherCookie.length === 112);
 * ```
 */
export function decodeHandshakePlain(b: Uint8Array): HandshakePlain {
  exact(b, HANDSHAKE_PLAIN_SIZE, "handshake plaintext");
  return {
    baseNonce: b.slice(0, 24),
    sessionPublicKey: b.slice(24, 56),
    cookieHash: b.slice(56, 120),
    otherCookie: b.slice(120, 232),
  };
}

/**
 * Zero bytes placed before a payload of `len` bytes: `(1373 - len) % 8`.
 *
 * @example
 * ```ts
 * import { paddingLength } from "./plain.ts";
 * console.assert(paddingLength(1373) === 0 && paddingLength(1) === 4);
 * ```
 */
export function paddingLength(len: number): number {
  return (MAX_DATA_PAYLOAD - len) % DATA_PADDING_MODULO;
}

/**
 * Encodes a data plaintext with its padding. Throws `RangeError` on an empty or oversized
 * payload or one whose first byte is 0 (it would be taken for padding).
 *
 * @example
 * ```ts
 * import { encodeDataPlain } from "./plain.ts";
 * const b = encodeDataPlain({ bufferStart: 0, packetNumber: 0, payload: new Uint8Array([2]) });
 * console.assert(b.length === 8 + 4 + 1);
 * ```
 */
export function encodeDataPlain(p: DataPlain): Uint8Array {
  const out = new Uint8Array(dataPlainLength(p.payload.length));
  encodeDataPlainInto(out, p);
  return out;
}

/**
 * The length of a data plaintext carrying `n` payload bytes (header, padding, payload).
 *
 * @example
 * ```ts
 * import { dataPlainLength } from "./plain.ts";
 * console.assert(dataPlainLength(1373) === 1381 && dataPlainLength(1) === 13);
 * ```
 */
export function dataPlainLength(n: number): number {
  return 8 + paddingLength(n) + n;
}

/**
 * {@link encodeDataPlain} into `out` (at least {@link dataPlainLength} bytes, e.g. a reused
 * scratch buffer); returns the length written. Throws like {@link encodeDataPlain}.
 *
 * @example
 * ```ts
 * import { encodeDataPlainInto } from "./plain.ts";
 * const out = new Uint8Array(1381);
 * const n = encodeDataPlainInto(out, { bufferStart: 1, packetNumber: 2, payload: new Uint8Array([16]) });
 * console.assert(n === 13 && out[3] === 1 && out[7] === 2 && out[12] === 16);
 * ```
 */
export function encodeDataPlainInto(out: Uint8Array, p: DataPlain): number {
  const n = p.payload.length;
  if (n === 0 || n > MAX_DATA_PAYLOAD) throw new RangeError("payload must be 1..1373 bytes");
  if (p.payload[0] === 0) throw new RangeError("payload must start with a non-zero id");
  const pad = paddingLength(n);
  const len = 8 + pad + n;
  if (out.length < len) throw new RangeError(`out must hold ${len} bytes`);
  const b = p.bufferStart >>> 0, k = p.packetNumber >>> 0;
  out[0] = b >>> 24;
  out[1] = (b >>> 16) & 0xff;
  out[2] = (b >>> 8) & 0xff;
  out[3] = b & 0xff;
  out[4] = k >>> 24;
  out[5] = (k >>> 16) & 0xff;
  out[6] = (k >>> 8) & 0xff;
  out[7] = k & 0xff;
  out.fill(0, 8, 8 + pad);
  out.set(p.payload, 8 + pad);
  return len;
}

/**
 * Decodes a data plaintext, skipping leading zero padding. Throws `WireError` when it is
 * shorter than its header or holds nothing but padding.
 *
 * @example
 * ```ts
 * import { decodeDataPlain } from "./plain.ts";
 * console.assert(decodeDataPlain(new Uint8Array([0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 16])).payload[0] === 16);
 * ```
 */
export function decodeDataPlain(b: Uint8Array): DataPlain {
  if (b.length < 9) throw new WireError("TRUNCATED", "data plaintext too short");
  const v = new DataView(b.buffer, b.byteOffset, b.length);
  let i = 8;
  while (i < b.length && b[i] === 0) i++;
  if (i === b.length) throw new WireError("BAD_VALUE", "data plaintext is only padding");
  return { bufferStart: v.getUint32(0), packetNumber: v.getUint32(4), payload: b.subarray(i) };
}
