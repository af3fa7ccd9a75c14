/**
 * Packet kinds, sizes and timers of the Tox onion, as c-toxcore 0.2.18 defines them
 * (onion.h, onion_announce.h, network.h).
 *
 * @example
 * ```ts
 * import { ONION_RETURN_3, ONION_KIND } from "./constants.ts";
 * console.assert(ONION_RETURN_3 === 177 && ONION_KIND.ANNOUNCE_REQUEST === 0x83);
 * ```
 * @module
 */

/** UDP packet kinds handled by the onion layer. */
export const ONION_KIND = {
  /** Client to hop A. */
  SEND_INITIAL: 0x80,
  /** Hop A to hop B. */
  SEND_1: 0x81,
  /** Hop B to hop C. */
  SEND_2: 0x82,
  /** Announce request ("old" format, the one 0.2.18 clients use). */
  ANNOUNCE_REQUEST: 0x83,
  /** Announce response. */
  ANNOUNCE_RESPONSE: 0x84,
  /** Onion data request (to the announce node). */
  DATA_REQUEST: 0x85,
  /** Onion data response (delivered to the announced peer). */
  DATA_RESPONSE: 0x86,
  /** Announce node D to hop C. */
  RECV_3: 0x8c,
  /** Hop C to hop B. */
  RECV_2: 0x8d,
  /** Hop B to hop A. */
  RECV_1: 0x8e,
} as const;

/** TCP relay packet id of a client's onion request. */
export const TCP_ONION_REQUEST_ID = 8;
/** TCP relay packet id of an onion response sent to a client. */
export const TCP_ONION_RESPONSE_ID = 9;

import { MAC_SIZE, NONCE_SIZE, PUBLIC_KEY_SIZE } from "../crypto/constants.ts";
import { MAX_SENT_NODES } from "../dht/constants.ts";
import { PACKED_NODE_IPV6_SIZE } from "../dht/packed_node.ts";
/** The crypto sizes the layouts below are built from (the same bindings as lib/crypto's). */
export { MAC_SIZE, NONCE_SIZE, PUBLIC_KEY_SIZE };

/** The fixed IP_Port inside onion layers and return blobs: family, 16 address bytes, port. */
export const SIZE_IPPORT = 19;
/** Return blob written by hop A: nonce + secretbox(IP_Port). */
export const ONION_RETURN_1: number = NONCE_SIZE + SIZE_IPPORT + MAC_SIZE;
/** Return blob written by hop B (wraps RETURN_1). */
export const ONION_RETURN_2: number = NONCE_SIZE + SIZE_IPPORT + MAC_SIZE + ONION_RETURN_1;
/** Return blob written by hop C (wraps RETURN_2). */
export const ONION_RETURN_3: number = NONCE_SIZE + SIZE_IPPORT + MAC_SIZE + ONION_RETURN_2;
/** One onion layer's overhead: next public key, next IP_Port, MAC. */
export const ONION_SEND_BASE: number = PUBLIC_KEY_SIZE + SIZE_IPPORT + MAC_SIZE;
/** Overhead of a 0x82 packet after its kind byte. */
export const ONION_SEND_3: number = NONCE_SIZE + ONION_SEND_BASE + ONION_RETURN_2;
/** Overhead of a 0x81 packet after its kind byte. */
export const ONION_SEND_2: number = NONCE_SIZE + ONION_SEND_BASE * 2 + ONION_RETURN_1;
/** Overhead of a 0x80 packet after its kind byte. */
export const ONION_SEND_1: number = NONCE_SIZE + ONION_SEND_BASE * 3;
/** Largest onion packet c-toxcore handles. */
export const ONION_MAX_PACKET_SIZE = 1400;
/** Largest payload a client can send through a path (1174). */
export const ONION_MAX_DATA_SIZE = ONION_MAX_PACKET_SIZE - (ONION_SEND_1 + 1);
/** Largest response payload that can travel back through a path (1222). */
export const ONION_RESPONSE_MAX_DATA_SIZE = ONION_MAX_PACKET_SIZE - (1 + ONION_RETURN_3);
/**
 * A TCP onion request (after its id byte) must be longer than this: nonce plus two layers
 * (TCP_server.c kills the connection otherwise).
 */
export const TCP_ONION_REQUEST_MIN_EXCLUSIVE: number = NONCE_SIZE + ONION_SEND_BASE * 2;

/** Announce ping id size (an HMAC-SHA-512-256 tag). */
export const ANNOUNCE_PING_ID_SIZE = 32;
/** Opaque sendback bytes the announcer gets echoed. */
export const SENDBACK_SIZE = 8;
/** Plaintext of an announce request: ping id, searched pk, data pk, sendback. */
export const ANNOUNCE_PLAIN_SIZE: number = ANNOUNCE_PING_ID_SIZE + PUBLIC_KEY_SIZE * 2 +
  SENDBACK_SIZE;
/** Announce request 0x83 size (177). */
export const ANNOUNCE_REQUEST_SIZE: number = 1 + NONCE_SIZE + PUBLIC_KEY_SIZE +
  ANNOUNCE_PLAIN_SIZE +
  MAC_SIZE;
/** Most nodes in an announce response, and the packed IPv6 node size (lib/dht's bindings). */
export { MAX_SENT_NODES, PACKED_NODE_IPV6_SIZE };
/** Announce response 0x84 without nodes (82). */
export const ANNOUNCE_RESPONSE_MIN_SIZE: number = 1 + SENDBACK_SIZE + NONCE_SIZE + 1 +
  ANNOUNCE_PING_ID_SIZE +
  MAC_SIZE;
/** Announce response 0x84 with four IPv6 nodes (286). */
export const ANNOUNCE_RESPONSE_MAX_SIZE: number = ANNOUNCE_RESPONSE_MIN_SIZE +
  MAX_SENT_NODES * PACKED_NODE_IPV6_SIZE;
/** Data request 0x85 without payload (105). */
export const DATA_REQUEST_MIN_SIZE: number = 1 + PUBLIC_KEY_SIZE + NONCE_SIZE + PUBLIC_KEY_SIZE +
  MAC_SIZE;
/** Data response 0x86 without payload (73). */
export const DATA_RESPONSE_MIN_SIZE: number = 1 + NONCE_SIZE + PUBLIC_KEY_SIZE + MAC_SIZE;
/** Largest encrypted data a 0x85 can carry (1069). */
export const MAX_DATA_REQUEST_SIZE = ONION_MAX_DATA_SIZE - DATA_REQUEST_MIN_SIZE;

/** Announce entries an announce node keeps (ONION_ANNOUNCE_MAX_ENTRIES). */
export const ONION_ANNOUNCE_MAX_ENTRIES = 160;
/** Lifetime of an announce entry and of a ping id period, ms (ONION_ANNOUNCE_TIMEOUT 300 s). */
export const ONION_ANNOUNCE_TIMEOUT_MS = 300_000;
/** How often a node replaces its return-blob key, ms (KEY_REFRESH_INTERVAL 2 h). */
export const KEY_REFRESH_INTERVAL_MS = 2 * 60 * 60 * 1000;
