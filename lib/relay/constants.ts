/**
 * Numbers of the TCP relay protocol, as c-toxcore 0.2.18 has them (TCP_common.h,
 * TCP_server.h, TCP_client.c).
 *
 * @example
 * ```ts
 * import { PACKET_ID, NUM_RESERVED_PORTS } from "./constants.ts";
 * console.assert(PACKET_ID.PING === 4 && NUM_RESERVED_PORTS === 16);
 * ```
 * @module
 */

/** Plaintext packet ids (first byte of every framed packet). Ids 16..255 are data. */
export const PACKET_ID = {
  ROUTING_REQUEST: 0,
  ROUTING_RESPONSE: 1,
  CONNECT_NOTIFICATION: 2,
  DISCONNECT_NOTIFICATION: 3,
  PING: 4,
  PONG: 5,
  OOB_SEND: 6,
  OOB_RECV: 7,
  ONION_REQUEST: 8,
  ONION_RESPONSE: 9,
  FORWARD_REQUEST: 10,
  FORWARDING: 11,
} as const;

/** Ids below this are control packets; 12..15 are reserved (the server kills their sender). */
export const NUM_RESERVED_PORTS = 16;
/** Routes per client connection; wire connection id = slot + 16. */
export const NUM_CLIENT_CONNECTIONS = 240;
/** Largest framed packet (length field value): ciphertext incl. MAC. */
export const MAX_PACKET_SIZE = 2048;
/** Poly1305 tag size. */
export const MAC_SIZE = 16;
/** Largest plaintext packet. */
export const MAX_PLAINTEXT_SIZE = MAX_PACKET_SIZE - MAC_SIZE;
/** Size of the length prefix of a frame. */
export const LENGTH_SIZE = 2;
/** Public key size. */
export const PUBLIC_KEY_SIZE = 32;
/** Nonce size. */
export const NONCE_SIZE = 24;
/** Plaintext inside both handshakes: temporary public key then base nonce. */
export const HANDSHAKE_PLAIN_SIZE: number = PUBLIC_KEY_SIZE + NONCE_SIZE;
/** Client handshake: pk, nonce, box of 56 bytes. */
export const CLIENT_HANDSHAKE_SIZE: number = PUBLIC_KEY_SIZE + NONCE_SIZE + HANDSHAKE_PLAIN_SIZE +
  MAC_SIZE;
/** Server handshake: nonce, box of 56 bytes. */
export const SERVER_HANDSHAKE_SIZE: number = NONCE_SIZE + HANDSHAKE_PLAIN_SIZE + MAC_SIZE;
/** Ping ids are 8 opaque bytes. */
export const PING_ID_SIZE = 8;
/** Largest out-of-band payload. */
export const MAX_OOB_DATA_SIZE = 1024;
/** Largest forward-request payload. */
export const MAX_FORWARD_DATA_SIZE = 1792;
/** An onion request through a relay with an onion module must be longer than this. */
export const MIN_ONION_REQUEST_EXCLUSIVE: number = 1 + NONCE_SIZE + 2 * (32 + 19 + 16);
/** Keep-alive: ping every 30 s. */
export const PING_INTERVAL_MS = 30_000;
/** Keep-alive: kill when the pong is 10 s late. */
export const PING_TIMEOUT_MS = 10_000;
/** Client: give up when the server handshake has not arrived in 10 s. */
export const CONNECTION_TIMEOUT_MS = 10_000;
