/**
 * Packet kinds, sizes and c-toxcore 0.2.18's DHT defaults (DHT.h, ping.c, network.h).
 * Times are in milliseconds.
 *
 * @example
 * ```ts
 * import { KIND, PING_PACKET_SIZE } from "./constants.ts";
 * console.assert(KIND.PING_REQUEST === 0 && PING_PACKET_SIZE === 82);
 * ```
 * @module
 */

/** UDP packet kinds the DHT handles (network.h). */
export const KIND = {
  PING_REQUEST: 0x00,
  PING_RESPONSE: 0x01,
  NODES_REQUEST: 0x02,
  NODES_RESPONSE: 0x04,
  ROUTED_REQUEST: 0x20,
  LAN_DISCOVERY: 0x21,
} as const;

/** Request ids carried inside a routed (0x20) request (DHT.h). */
export const REQUEST_ID = { FRIEND_REQUEST: 32, DHTPK: 156, NAT_PING: 254 } as const;

/** Public key length. */
export const PK_SIZE = 32;
/** Nonce length. */
export const NONCE_SIZE = 24;
/** Poly1305 tag length (first in every box). */
export const MAC_SIZE = 16;
/** Opaque request id length (ping_id). */
export const PING_ID_SIZE = 8;
/** `[kind][sender pk][nonce]` before the box of a DHT packet. */
export const DHT_HEADER_SIZE: number = 1 + PK_SIZE + NONCE_SIZE;
/** Ping plaintext: `[type][ping_id 8]`. */
export const PING_PLAIN_SIZE: number = 1 + PING_ID_SIZE;
/** Ping request/response datagram length (DHT_PING_SIZE). */
export const PING_PACKET_SIZE: number = DHT_HEADER_SIZE + MAC_SIZE + PING_PLAIN_SIZE;
/** Nodes request plaintext: `[target pk][ping_id 8]`. */
export const NODES_REQUEST_PLAIN_SIZE: number = PK_SIZE + PING_ID_SIZE;
/** Nodes request datagram length. */
export const NODES_REQUEST_PACKET_SIZE: number = DHT_HEADER_SIZE + MAC_SIZE +
  NODES_REQUEST_PLAIN_SIZE;
/** Nodes per nodes response (MAX_SENT_NODES). */
export const MAX_SENT_NODES = 4;
/** Smallest nodes response datagram (0 nodes; c-toxcore rejects that one on receipt). */
export const NODES_RESPONSE_MIN_SIZE: number = DHT_HEADER_SIZE + MAC_SIZE + 1 + PING_ID_SIZE;
/** Largest nodes response datagram (4 IPv6 nodes). */
export const NODES_RESPONSE_MAX_SIZE: number = NODES_RESPONSE_MIN_SIZE + MAX_SENT_NODES * 51;
/** Routed request header: `[0x20][receiver pk][sender pk][nonce]`. */
export const ROUTED_HEADER_SIZE: number = 1 + PK_SIZE + PK_SIZE + NONCE_SIZE;
/** c-toxcore drops a routed request of this length or less. */
export const ROUTED_MIN_EXCLUSIVE = 105;
/** Largest routed request a creator builds (MAX_CRYPTO_REQUEST_SIZE). */
export const ROUTED_MAX_SIZE = 1024;
/** Largest routed request c-toxcore forwards. */
export const ROUTED_MAX_FORWARD_SIZE = 1040;
/** Largest data in a routed request we create. */
export const ROUTED_MAX_DATA: number = ROUTED_MAX_SIZE - ROUTED_HEADER_SIZE - MAC_SIZE - 1;
/** LAN discovery datagram length. */
export const LAN_DISCOVERY_SIZE: number = 1 + PK_SIZE;
/** Largest UDP datagram c-toxcore reads. */
export const MAX_UDP_PACKET_SIZE = 2048;

/** Timers and list sizes; c-toxcore 0.2.18 values are the defaults. */
export interface DhtTimings {
  /** Probe interval per list entry (PING_INTERVAL, 60 s). */
  pingIntervalMs: number;
  /** Entry is bad (not returned, replaceable) after this without a response (122 s). */
  badTimeoutMs: number;
  /** Entry is no longer probed after this (182 s). */
  killTimeoutMs: number;
  /** Random nodes request per list (GET_NODE_INTERVAL, 20 s). */
  getNodesIntervalMs: number;
  /** A response counts only within this of the request (PING_TIMEOUT, 5 s). */
  responseTimeoutMs: number;
  /** Flush interval of the newcomer ping queue (TIME_TO_PING, 2 s). */
  pingQueueIntervalMs: number;
  /** Maintenance tick (do_dht runs at most once a second). */
  tickMs: number;
}

/** c-toxcore 0.2.18 timers. */
export const TOXCORE_TIMINGS: Readonly<DhtTimings> = {
  pingIntervalMs: 60_000,
  badTimeoutMs: 122_000,
  killTimeoutMs: 182_000,
  getNodesIntervalMs: 20_000,
  responseTimeoutMs: 5_000,
  pingQueueIntervalMs: 2_000,
  tickMs: 1_000,
};

/** The early draft's timers (ping every 60 s, bad after 130 s, dropped after 300 s). */
export const DRAFT_TIMINGS: Readonly<DhtTimings> = {
  ...TOXCORE_TIMINGS,
  badTimeoutMs: 130_000,
  killTimeoutMs: 300_000,
};

/** List sizes; c-toxcore defaults. */
export interface DhtSizes {
  /** Number of close-list buckets (LCLIENT_LENGTH, 128; index clamps to the last). */
  buckets: number;
  /** Entries per bucket (LCLIENT_NODES, 8). */
  bucketSize: number;
  /** Entries per searched key (MAX_FRIEND_CLIENTS, 8). */
  searchSize: number;
  /** Newcomer ping queue (MAX_TO_PING, 32). */
  maxToPing: number;
  /** Pending nodes-request targets for the close list per tick (8). */
  closeToBootstrap: number;
  /** Pending nodes-request targets per searched key per tick (4). */
  searchToBootstrap: number;
  /** Random nodes requests that ignore the interval at start (MAX_BOOTSTRAP_TIMES, 5). */
  bootstrapTimes: number;
  /** Outstanding request ids remembered (two ping arrays of 512 in c-toxcore). */
  pendingMax: number;
}

/** c-toxcore 0.2.18 sizes. */
export const TOXCORE_SIZES: Readonly<DhtSizes> = {
  buckets: 128,
  bucketSize: 8,
  searchSize: 8,
  maxToPing: 32,
  closeToBootstrap: 8,
  searchToBootstrap: 4,
  bootstrapTimes: 5,
  pendingMax: 1024,
};

/** The early draft's sizes: one 32-entry list (4 buckets of 8), 8 per searched key. */
export const DRAFT_SIZES: Readonly<DhtSizes> = { ...TOXCORE_SIZES, buckets: 4 };
