/**
 * STUN message codec (RFC 8489; RFC 3489 requests when asked): pure functions over
 * `Uint8Array`.
 *
 * ```text
 * [type 2: 00 + method/class bits][length 2: attribute bytes][cookie 4][transaction id 12]
 * [attribute: type 2, length 2, value, zero padding to 4] ... [FINGERPRINT: CRC-32 ^ "STUN"]
 * ```
 *
 * Decoders throw only {@link WireError}. Unknown comprehension-optional attributes
 * (0x8000-0xFFFF) are skipped; unknown comprehension-required ones are listed in
 * `unknownRequired` so a server can answer 420.
 *
 * @example
 * ```ts
 * import { decodeStun, encodeStun } from "./wire.ts";
 * const req = { class: "request", method: 1, transactionId: new Uint8Array(12), attributes: [] } as const;
 * console.assert(decodeStun(encodeStun(req)).class === "request");
 * ```
 * @module
 */
import { WireError } from "../util/wire_error.ts";
import {
  ATTRIBUTE_CODE,
  attributeValueLength,
  decodeAttribute,
  encodeAttributeValue,
  type StunAttribute,
} from "./attributes.ts";
import {
  ATTR,
  ATTR_HEADER_SIZE,
  COOKIE_OFFSET,
  FINGERPRINT_ATTR_SIZE,
  FINGERPRINT_XOR,
  LEGACY_TRANSACTION_ID_SIZE,
  MAGIC_COOKIE,
  MAX_STUN_SIZE,
  STUN_HEADER_SIZE,
  TRANSACTION_ID_SIZE,
} from "./constants.ts";
import { crc32 } from "./crc32.ts";

export type { AddressAttributeType, StunAttribute } from "./attributes.ts";

/** The four STUN message classes. */
export type StunClass = "request" | "indication" | "success" | "error";

/** One STUN message; `class` is the tag. */
export interface StunMessage {
  /** Request, indication, success response or error response. */
  class: StunClass;
  /** 12-bit method; 0x001 is Binding. */
  method: number;
  /** 12 bytes (RFC 8489), or 16 bytes for an RFC 3489 message without the magic cookie. */
  transactionId: Uint8Array;
  /** Known attributes in wire order (FINGERPRINT excluded). */
  attributes: readonly StunAttribute[];
  /** Append (when encoding) or had (when decoded) a valid FINGERPRINT. */
  fingerprint?: boolean;
  /** Codes of comprehension-required attributes the decoder did not know (decode only). */
  unknownRequired?: readonly number[];
}

/** Options of {@link decodeStun}. */
export interface DecodeStunOptions {
  /** Accept RFC 3489 messages without the magic cookie (16-byte transaction id). */
  legacy?: boolean;
}

const CLASS_BITS: Record<StunClass, number> = {
  request: 0b00,
  indication: 0b01,
  success: 0b10,
  error: 0b11,
};
const CLASSES: readonly StunClass[] = ["request", "indication", "success", "error"];

/**
 * The 14-bit message type of a method and class (RFC 8489 §5).
 *
 * @example
 * ```ts
 * import { messageType } from "./wire.ts";
 * console.assert(messageType(1, "success") === 0x0101 && messageType(1, "error") === 0x0111);
 * ```
 */
export function messageType(method: number, cls: StunClass): number {
  if (!Number.isInteger(method) || method < 0 || method > 0xfff) {
    throw new RangeError(`STUN method out of range: ${method}`);
  }
  const c = CLASS_BITS[cls];
  return ((method & 0xf80) << 2) | ((method & 0x070) << 1) | (method & 0x00f) |
    ((c & 2) << 7) | ((c & 1) << 4);
}

function splitType(t: number): { method: number; class: StunClass } {
  const method = ((t >> 2) & 0xf80) | ((t >> 1) & 0x070) | (t & 0x00f);
  return { method, class: CLASSES[((t >> 7) & 2) | ((t >> 4) & 1)]! };
}

const padded = (n: number) => (n + 3) & ~3;

/**
 * Bytes {@link encodeStun} produces for `msg`.
 *
 * @example
 * ```ts
 * import { encodedLength } from "./wire.ts";
 * const m = { class: "request", method: 1, transactionId: new Uint8Array(12), attributes: [], fingerprint: true } as const;
 * console.assert(encodedLength(m) === 28);
 * ```
 */
export function encodedLength(msg: StunMessage): number {
  let n = STUN_HEADER_SIZE;
  for (const a of msg.attributes) n += ATTR_HEADER_SIZE + padded(attributeValueLength(a));
  return n + (msg.fingerprint ? FINGERPRINT_ATTR_SIZE : 0);
}

function headerKey(msg: StunMessage): Uint8Array {
  const id = msg.transactionId;
  const key = new Uint8Array(16);
  if (id.length === TRANSACTION_ID_SIZE) {
    new DataView(key.buffer).setUint32(0, MAGIC_COOKIE);
    key.set(id, 4);
  } else if (id.length === LEGACY_TRANSACTION_ID_SIZE) {
    key.set(id);
  } else {
    throw new TypeError("transaction id must be 12 (or 16 for RFC 3489) bytes");
  }
  return key;
}

/**
 * Encodes a message. Throws `TypeError`/`RangeError` on values that cannot be encoded.
 *
 * @example
 * ```ts
 * import { encodeStun } from "./wire.ts";
 * const b = encodeStun({ class: "request", method: 1, transactionId: new Uint8Array(12), attributes: [] });
 * console.assert(b.length === 20 && b[1] === 1 && b[4] === 0x21);
 * ```
 */
export function encodeStun(msg: StunMessage): Uint8Array {
  const key = headerKey(msg);
  const total = encodedLength(msg);
  if (total > MAX_STUN_SIZE) throw new RangeError(`STUN message larger than ${MAX_STUN_SIZE}`);
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  view.setUint16(0, messageType(msg.method, msg.class));
  view.setUint16(2, total - STUN_HEADER_SIZE);
  out.set(key, COOKIE_OFFSET);
  let off = STUN_HEADER_SIZE;
  for (const a of msg.attributes) {
    const value = encodeAttributeValue(a, key);
    view.setUint16(off, ATTRIBUTE_CODE[a.type]);
    view.setUint16(off + 2, value.length);
    out.set(value, off + ATTR_HEADER_SIZE);
    off += ATTR_HEADER_SIZE + padded(value.length);
  }
  if (msg.fingerprint) {
    view.setUint16(off, ATTR.FINGERPRINT);
    view.setUint16(off + 2, 4);
    view.setUint32(off + 4, (crc32(out.subarray(0, off)) ^ FINGERPRINT_XOR) >>> 0);
  }
  return out;
}

function checkHeader(bytes: Uint8Array, legacy: boolean): boolean {
  if (bytes.length < STUN_HEADER_SIZE) throw new WireError("TRUNCATED", "shorter than a header");
  if (bytes.length > MAX_STUN_SIZE) throw new WireError("TOO_LARGE", "STUN message too large");
  if ((bytes[0]! & 0xc0) !== 0) throw new WireError("BAD_TYPE", "first two bits not zero");
  const len = (bytes[2]! << 8) | bytes[3]!;
  if (len % 4 !== 0) throw new WireError("BAD_LENGTH", "length not a multiple of 4");
  if (STUN_HEADER_SIZE + len > bytes.length) throw new WireError("TRUNCATED", "body truncated");
  if (STUN_HEADER_SIZE + len < bytes.length) throw new WireError("BAD_LENGTH", "trailing bytes");
  const cookie = new DataView(bytes.buffer, bytes.byteOffset, 8).getUint32(COOKIE_OFFSET);
  if (cookie === MAGIC_COOKIE) return true;
  if (!legacy) throw new WireError("BAD_VALUE", "no magic cookie");
  return false;
}

/**
 * Decodes one STUN message, checking the FINGERPRINT when present (it must be last).
 * Throws only {@link WireError}.
 *
 * @example
 * ```ts
 * import { decodeStun } from "./wire.ts";
 * import { fromHex } from "../util/bytes.ts";
 * const m = decodeStun(fromHex("000100002112a442" + "00".repeat(12)));
 * console.assert(m.method === 1 && m.attributes.length === 0);
 * ```
 */
export function decodeStun(bytes: Uint8Array, opts: DecodeStunOptions = {}): StunMessage {
  const modern = checkHeader(bytes, opts.legacy ?? false);
  const key = bytes.slice(COOKIE_OFFSET, STUN_HEADER_SIZE);
  const { method, class: cls } = splitType((bytes[0]! << 8) | bytes[1]!);
  const attributes: StunAttribute[] = [];
  const unknownRequired: number[] = [];
  let fingerprint = false;
  let off = STUN_HEADER_SIZE;
  while (off < bytes.length) {
    if (fingerprint) throw new WireError("BAD_VALUE", "attribute after FINGERPRINT");
    if (off + ATTR_HEADER_SIZE > bytes.length) throw new WireError("TRUNCATED", "attr header");
    const code = (bytes[off]! << 8) | bytes[off + 1]!;
    const len = (bytes[off + 2]! << 8) | bytes[off + 3]!;
    const start = off + ATTR_HEADER_SIZE;
    if (start + len > bytes.length) throw new WireError("TRUNCATED", "attribute value truncated");
    const value = bytes.subarray(start, start + len);
    if (code === ATTR.FINGERPRINT) {
      if (len !== 4) throw new WireError("BAD_LENGTH", "FINGERPRINT must be 4 bytes");
      const want = (crc32(bytes.subarray(0, off)) ^ FINGERPRINT_XOR) >>> 0;
      const got = new DataView(value.buffer, value.byteOffset, 4).getUint32(0);
      if (got !== want) throw new WireError("BAD_VALUE", "FINGERPRINT mismatch");
      fingerprint = true;
    } else {
      const attr = decodeAttribute(code, value, key);
      if (attr) attributes.push(attr);
      else if (code < 0x8000) unknownRequired.push(code);
    }
    off = start + padded(len);
  }
  const msg: StunMessage = {
    class: cls,
    method,
    transactionId: modern ? key.slice(4) : key,
    attributes,
  };
  if (fingerprint) msg.fingerprint = true;
  if (unknownRequired.length > 0) msg.unknownRequired = unknownRequired;
  return msg;
}

/**
 * Cheap demultiplexing test for a UDP port shared with other protocols (the Tox DHT's ping
 * packets also begin 0x00/0x01): first two bits zero, length a multiple of 4 matching the
 * datagram, the magic cookie, a well-formed attribute chain, and a valid FINGERPRINT when
 * one is present. With `legacy`, an RFC 3489 Binding request (type 0x0001, no cookie) of a
 * consistent length also passes.
 *
 * @example
 * ```ts
 * import { encodeStun, isStunPacket } from "./wire.ts";
 * const b = encodeStun({ class: "request", method: 1, transactionId: new Uint8Array(12), attributes: [], fingerprint: true });
 * console.assert(isStunPacket(b) && !isStunPacket(new Uint8Array(82)));
 * ```
 */
export function isStunPacket(bytes: Uint8Array, opts: DecodeStunOptions = {}): boolean {
  const n = bytes.length;
  if (n < STUN_HEADER_SIZE || n > MAX_STUN_SIZE || n % 4 !== 0) return false;
  if ((bytes[0]! & 0xc0) !== 0 || ((bytes[2]! << 8) | bytes[3]!) !== n - STUN_HEADER_SIZE) {
    return false;
  }
  const cookie = ((bytes[4]! << 24) | (bytes[5]! << 16) | (bytes[6]! << 8) | bytes[7]!) >>> 0;
  if (cookie !== MAGIC_COOKIE && !(opts.legacy && bytes[0] === 0 && bytes[1] === 1)) return false;
  let off = STUN_HEADER_SIZE;
  while (off < n) {
    if (off + ATTR_HEADER_SIZE > n) return false;
    const code = (bytes[off]! << 8) | bytes[off + 1]!;
    const len = (bytes[off + 2]! << 8) | bytes[off + 3]!;
    const next = off + ATTR_HEADER_SIZE + padded(len);
    if (next > n) return false;
    if (code === ATTR.FINGERPRINT) {
      if (len !== 4 || next !== n) return false;
      const v = bytes.subarray(off + 4, off + 8);
      const got = ((v[0]! << 24) | (v[1]! << 16) | (v[2]! << 8) | v[3]!) >>> 0;
      return got === ((crc32(bytes.subarray(0, off)) ^ FINGERPRINT_XOR) >>> 0);
    }
    off = next;
  }
  return true;
}

/**
 * The first attribute of a type, or `undefined`.
 *
 * @example
 * ```ts
 * import { findAttribute } from "./wire.ts";
 * const m = { class: "request", method: 1, transactionId: new Uint8Array(12), attributes: [{ type: "software", text: "x" }] } as const;
 * console.assert(findAttribute(m, "software")?.text === "x");
 * ```
 */
export function findAttribute<T extends StunAttribute["type"]>(
  msg: Pick<StunMessage, "attributes">,
  type: T,
): (StunAttribute & { type: T }) | undefined {
  return msg.attributes.find((a) => a.type === type) as (StunAttribute & { type: T }) | undefined;
}
