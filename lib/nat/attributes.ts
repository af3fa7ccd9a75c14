/**
 * STUN attribute values (RFC 8489 §14, RFC 5780 §7, RFC 3489 §11.2): a tagged union and the
 * codecs of one attribute's value. Address attributes carry an {@link Addr}; the XOR ones
 * are masked with the 16 header bytes after the message length (cookie + transaction id).
 *
 * @example
 * ```ts
 * import { decodeAttribute, encodeAttributeValue } from "./attributes.ts";
 * const a = { type: "software", text: "peerkit" } as const;
 * const key = new Uint8Array(16);
 * const back = decodeAttribute(0x8022, encodeAttributeValue(a, key), key);
 * console.assert(back?.type === "software" && back.text === "peerkit");
 * ```
 * @module
 */
import type { Addr } from "../net/addr.ts";
import { formatIp, parseIp } from "../net/ip.ts";
import { WireError } from "../util/wire_error.ts";
import { ATTR, CHANGE_IP, CHANGE_PORT, FAMILY, MAX_TEXT_BYTES } from "./constants.ts";

/** Attributes whose value is a transport address. */
export type AddressAttributeType =
  | "xorMappedAddress"
  | "mappedAddress"
  | "responseOrigin"
  | "otherAddress"
  | "sourceAddress"
  | "changedAddress";

/** One decoded STUN attribute (tagged union). */
export type StunAttribute =
  | { type: AddressAttributeType; addr: Addr }
  | { type: "changeRequest"; changeIp: boolean; changePort: boolean }
  | { type: "software"; text: string }
  | { type: "errorCode"; code: number; reason: string }
  | { type: "unknownAttributes"; codes: number[] };

/** Attribute code of each tagged type. */
export const ATTRIBUTE_CODE: Record<StunAttribute["type"], number> = {
  xorMappedAddress: ATTR.XOR_MAPPED_ADDRESS,
  mappedAddress: ATTR.MAPPED_ADDRESS,
  responseOrigin: ATTR.RESPONSE_ORIGIN,
  otherAddress: ATTR.OTHER_ADDRESS,
  sourceAddress: ATTR.SOURCE_ADDRESS,
  changedAddress: ATTR.CHANGED_ADDRESS,
  changeRequest: ATTR.CHANGE_REQUEST,
  software: ATTR.SOFTWARE,
  errorCode: ATTR.ERROR_CODE,
  unknownAttributes: ATTR.UNKNOWN_ATTRIBUTES,
};

const ADDRESS_TYPES: ReadonlyMap<number, AddressAttributeType> = new Map([
  [ATTR.XOR_MAPPED_ADDRESS, "xorMappedAddress"],
  [ATTR.MAPPED_ADDRESS, "mappedAddress"],
  [ATTR.RESPONSE_ORIGIN, "responseOrigin"],
  [ATTR.OTHER_ADDRESS, "otherAddress"],
  [ATTR.SOURCE_ADDRESS, "sourceAddress"],
  [ATTR.CHANGED_ADDRESS, "changedAddress"],
]);

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

function ipBytes(addr: Addr): Uint8Array {
  const ip = parseIp(addr.hostname);
  if (!ip) throw new TypeError(`not an IP address: ${JSON.stringify(addr.hostname)}`);
  if (!Number.isInteger(addr.port) || addr.port < 0 || addr.port > 65535) {
    throw new RangeError(`port out of range: ${addr.port}`);
  }
  return ip;
}

function textBytes(text: string): Uint8Array {
  const b = utf8.encode(text);
  if (b.length > MAX_TEXT_BYTES) throw new RangeError(`text longer than ${MAX_TEXT_BYTES} bytes`);
  return b;
}

/**
 * Unpadded length of an attribute's value.
 *
 * @example
 * ```ts
 * import { attributeValueLength } from "./attributes.ts";
 * const a = { type: "otherAddress", addr: { hostname: "::1", port: 1 } } as const;
 * console.assert(attributeValueLength(a) === 20);
 * ```
 */
export function attributeValueLength(a: StunAttribute): number {
  switch (a.type) {
    case "changeRequest":
      return 4;
    case "software":
      return textBytes(a.text).length;
    case "errorCode":
      return 4 + textBytes(a.reason).length;
    case "unknownAttributes":
      return 2 * a.codes.length;
    default:
      return 4 + ipBytes(a.addr).length;
  }
}

/**
 * The value bytes of one attribute (no header, no padding). `key` is bytes 4..20 of the
 * message header, used by XOR-MAPPED-ADDRESS. Throws `TypeError`/`RangeError` on bad input.
 *
 * @example
 * ```ts
 * import { encodeAttributeValue } from "./attributes.ts";
 * const v = encodeAttributeValue({ type: "changeRequest", changeIp: true, changePort: false }, new Uint8Array(16));
 * console.assert(v[3] === 4);
 * ```
 */
export function encodeAttributeValue(a: StunAttribute, key: Uint8Array): Uint8Array {
  switch (a.type) {
    case "changeRequest":
      return Uint8Array.of(
        0,
        0,
        0,
        (a.changeIp ? CHANGE_IP : 0) | (a.changePort ? CHANGE_PORT : 0),
      );
    case "software":
      return textBytes(a.text);
    case "errorCode": {
      if (!Number.isInteger(a.code) || a.code < 300 || a.code > 699) {
        throw new RangeError(`STUN error code out of range: ${a.code}`);
      }
      const reason = textBytes(a.reason);
      const out = new Uint8Array(4 + reason.length);
      out[2] = Math.floor(a.code / 100);
      out[3] = a.code % 100;
      out.set(reason, 4);
      return out;
    }
    case "unknownAttributes": {
      const out = new Uint8Array(2 * a.codes.length);
      const view = new DataView(out.buffer);
      a.codes.forEach((c, i) => view.setUint16(2 * i, c));
      return out;
    }
    default: {
      const ip = ipBytes(a.addr);
      const out = new Uint8Array(4 + ip.length);
      out[1] = ip.length === 4 ? FAMILY.IPV4 : FAMILY.IPV6;
      const xor = a.type === "xorMappedAddress";
      out[2] = (a.addr.port >> 8) ^ (xor ? key[0]! : 0);
      out[3] = (a.addr.port & 0xff) ^ (xor ? key[1]! : 0);
      for (let i = 0; i < ip.length; i++) out[4 + i] = ip[i]! ^ (xor ? key[i]! : 0);
      return out;
    }
  }
}

function decodeAddress(type: AddressAttributeType, v: Uint8Array, key: Uint8Array): StunAttribute {
  if (v.length < 4) throw new WireError("TRUNCATED", "address attribute shorter than 4 bytes");
  const family = v[1];
  const size = family === FAMILY.IPV4 ? 4 : family === FAMILY.IPV6 ? 16 : 0;
  if (size === 0) throw new WireError("BAD_FAMILY", `unknown address family ${family}`);
  if (v.length !== 4 + size) throw new WireError("BAD_LENGTH", "address attribute of wrong size");
  const xor = type === "xorMappedAddress";
  const port = (((v[2]! ^ (xor ? key[0]! : 0)) << 8) | (v[3]! ^ (xor ? key[1]! : 0))) >>> 0;
  const ip = new Uint8Array(size);
  for (let i = 0; i < size; i++) ip[i] = v[4 + i]! ^ (xor ? key[i]! : 0);
  return { type, addr: { hostname: formatIp(ip), port } };
}

/**
 * Decodes one attribute value; `null` for a code this module does not know. Throws only
 * {@link WireError}.
 *
 * @example
 * ```ts
 * import { decodeAttribute } from "./attributes.ts";
 * console.assert(decodeAttribute(0x8000, new Uint8Array(4), new Uint8Array(16)) === null);
 * ```
 */
export function decodeAttribute(
  code: number,
  v: Uint8Array,
  key: Uint8Array,
): StunAttribute | null {
  const addressType = ADDRESS_TYPES.get(code);
  if (addressType) return decodeAddress(addressType, v, key);
  switch (code) {
    case ATTR.CHANGE_REQUEST:
      if (v.length !== 4) throw new WireError("BAD_LENGTH", "CHANGE-REQUEST must be 4 bytes");
      return {
        type: "changeRequest",
        changeIp: (v[3]! & CHANGE_IP) !== 0,
        changePort: (v[3]! & CHANGE_PORT) !== 0,
      };
    case ATTR.SOFTWARE:
      if (v.length > MAX_TEXT_BYTES) throw new WireError("TOO_LARGE", "SOFTWARE too long");
      return { type: "software", text: fromUtf8.decode(v) };
    case ATTR.ERROR_CODE: {
      if (v.length < 4) throw new WireError("TRUNCATED", "ERROR-CODE shorter than 4 bytes");
      if (v.length > 4 + MAX_TEXT_BYTES) throw new WireError("TOO_LARGE", "reason too long");
      const cls = v[2]! & 0x07, num = v[3]!;
      if (cls < 3 || cls > 6 || num > 99) {
        throw new WireError("BAD_VALUE", `bad ERROR-CODE ${cls}/${num}`);
      }
      return { type: "errorCode", code: cls * 100 + num, reason: fromUtf8.decode(v.subarray(4)) };
    }
    case ATTR.UNKNOWN_ATTRIBUTES: {
      if (v.length % 2 !== 0) throw new WireError("BAD_LENGTH", "UNKNOWN-ATTRIBUTES odd length");
      const codes: number[] = [];
      for (let i = 0; i < v.length; i += 2) codes.push((v[i]! << 8) | v[i + 1]!);
      return { type: "unknownAttributes", codes };
    }
    default:
      return null;
  }
}
