/**
 * Numbers of STUN (RFC 8489, RFC 5780, and the RFC 3489 attributes old clients still use):
 * header layout, message classes, attribute codes, retransmission defaults.
 *
 * ```text
 * 0                   1                   2                   3
 * |0 0|  message type (14 bits)   |        message length         |
 * |                magic cookie 0x2112A442                        |
 * |                transaction id (96 bits)                       |
 * then attributes: [type 2][length 2][value, padded to 4 bytes]
 * ```
 *
 * @example
 * ```ts
 * import { MAGIC_COOKIE, STUN_HEADER_SIZE } from "./constants.ts";
 * console.assert(MAGIC_COOKIE === 0x2112a442 && STUN_HEADER_SIZE === 20);
 * ```
 * @module
 */

/** Size of the fixed STUN header. */
export const STUN_HEADER_SIZE = 20;
/** The magic cookie at offset 4 of every RFC 5389/8489 message. */
export const MAGIC_COOKIE = 0x2112a442;
/** Offset of the magic cookie. */
export const COOKIE_OFFSET = 4;
/** Size of an RFC 8489 transaction id. */
export const TRANSACTION_ID_SIZE = 12;
/** Size of an RFC 3489 transaction id (the cookie field belongs to it there). */
export const LEGACY_TRANSACTION_ID_SIZE = 16;
/** Size of an attribute's type + length prefix. */
export const ATTR_HEADER_SIZE = 4;
/** XOR constant of the FINGERPRINT attribute ("STUN"). */
export const FINGERPRINT_XOR = 0x5354554e;
/** Size of the whole FINGERPRINT attribute (header + CRC). */
export const FINGERPRINT_ATTR_SIZE = 8;
/** Largest STUN message we decode or build (RFC 8489 path MTU bound for IPv4 is 548). */
export const MAX_STUN_SIZE = 1280;
/** Longest SOFTWARE and ERROR-CODE reason text in bytes (RFC 8489: < 128 characters). */
export const MAX_TEXT_BYTES = 763;

/** The Binding method, the only one peerkit speaks. */
export const METHOD_BINDING = 0x001;

/** Attribute type codes. */
export const ATTR = {
  MAPPED_ADDRESS: 0x0001,
  CHANGE_REQUEST: 0x0003,
  SOURCE_ADDRESS: 0x0004,
  CHANGED_ADDRESS: 0x0005,
  MESSAGE_INTEGRITY: 0x0008,
  ERROR_CODE: 0x0009,
  UNKNOWN_ATTRIBUTES: 0x000a,
  XOR_MAPPED_ADDRESS: 0x0020,
  SOFTWARE: 0x8022,
  FINGERPRINT: 0x8028,
  RESPONSE_ORIGIN: 0x802b,
  OTHER_ADDRESS: 0x802c,
} as const;

/** Address family codes inside address attributes. */
export const FAMILY = { IPV4: 0x01, IPV6: 0x02 } as const;

/** CHANGE-REQUEST flag bits. */
export const CHANGE_IP = 0x04;
/** CHANGE-REQUEST flag bits. */
export const CHANGE_PORT = 0x02;

/** RFC 8489 §6.2.1 retransmission defaults. */
export const RTO_MS = 500;
/** Requests sent in all (Rc). */
export const RC = 7;
/** Multiple of RTO waited after the last request (Rm). */
export const RM = 16;

/**
 * Quicker timing for an interactive NAT check: requests at 0, 100 and 300 ms, give up at
 * 700 ms, so a filtered test costs 0.7 s instead of RFC 8489's 39.5 s, and a full verdict
 * takes about 0.7 s plus two round trips.
 */
export const NETCHECK_TIMING: Readonly<{ rto: number; attempts: number; rm: number }> = {
  rto: 100,
  attempts: 3,
  rm: 4,
};
