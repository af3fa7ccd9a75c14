/**
 * Sizes, packet kinds and timings of peerkit's hole punching.
 *
 * @example
 * ```ts
 * import { PUNCH_KIND, PUNCH_PACKET_SIZE } from "./constants.ts";
 * console.assert(PUNCH_KIND === 0xe5 && PUNCH_PACKET_SIZE > 100);
 * ```
 * @module
 */

/**
 * First byte of every punch datagram. c-toxcore 0.2.18 assigns no UDP kind in 0xe0-0xef
 * (tox-protocol.md §2) and drops unknown kinds, so a c-toxcore node ignores these; STUN
 * messages start with 0x00 or 0x01 and never collide.
 */
export const PUNCH_KIND = 0xe5;
/** Message types carried after the kind byte. */
export const PunchType = { PROBE: 1, ACK: 2, CONFIRM: 3 } as const;
/** A punch message type. */
export type PunchType = typeof PunchType[keyof typeof PunchType];

/** Bytes of a public key. */
export const KEY_SIZE = 32;
/** Bytes of a box nonce. */
export const NONCE_SIZE = 24;
/** Bytes of a box MAC. */
export const MAC_SIZE = 16;
/** Bytes of an attempt id. */
export const ATTEMPT_ID_SIZE = 8;
/** Bytes of a token (random, one per probe or ack). */
export const TOKEN_SIZE = 16;
/** Bytes of an endpoint inside the box: 16-byte IPv6 (IPv4-mapped for IPv4) + port. */
export const ENDPOINT_SIZE = 18;
/** Plaintext bytes inside the box: type (again, so it is authenticated), attempt id, timestamp, token, echo, endpoint. */
export const PAYLOAD_SIZE = 1 + ATTEMPT_ID_SIZE + 8 + TOKEN_SIZE + TOKEN_SIZE + ENDPOINT_SIZE;
/** Bytes before the box: kind, type, sender key, nonce. */
export const HEADER_SIZE = 2 + KEY_SIZE + NONCE_SIZE;
/** Total bytes of every punch datagram. */
export const PUNCH_PACKET_SIZE = HEADER_SIZE + MAC_SIZE + PAYLOAD_SIZE;

/** A probe whose timestamp is further than this from the receiver's clock is dropped. */
export const MAX_CLOCK_SKEW_MS = 120_000;
/** TTL of the first probes to each destination (they open our NAT, die before the far one). */
export const LOW_TTL = 3;
/** Probes per destination sent with {@link LOW_TTL} before switching to the normal TTL. */
export const LOW_TTL_PROBES = 2;
/** Interval between probe rounds to the known endpoints. */
export const PROBE_INTERVAL_MS = 50;
/** Sockets the hard side of a birthday attempt opens (Tailscale's figure, nat-lab.md). */
export const BIRTHDAY_SOCKETS = 256;
/** Interval at which the hard side resends from every socket. */
export const BIRTHDAY_RESEND_MS = 1000;
/** Random probes per burst from the easy side. */
export const SPRAY_BURST = 10;
/** Interval between bursts: 10 per 20 ms is 500 probes/s. */
export const SPRAY_INTERVAL_MS = 20;
/** Most random probes the easy side sends in one attempt (≈99.97 % hit chance for 256 sockets). */
export const SPRAY_MAX_PROBES = 2500;
/** Lowest port the easy side sprays. */
export const SPRAY_PORT_MIN = 1024;
/** Default budget of a direct (cone to cone) attempt. */
export const DIRECT_BUDGET_MS = 5_000;
/** Default budget of a birthday attempt. */
export const BIRTHDAY_BUDGET_MS = 8_000;
/** Keep-alive interval on an open path, well under the 30 s unreplied conntrack timeout. */
export const KEEPALIVE_MS = 10_000;
/** An open path with nothing heard for this long is reported lost. */
export const PATH_LOST_MS = 35_000;
/** Tokens remembered per attempt (oldest forgotten first). */
export const TOKENS_KEPT = 8192;
