/**
 * Timers and list sizes of the onion client, c-toxcore 0.2.18's defaults (onion_client.h,
 * onion_client.c), in milliseconds.
 *
 * @example
 * ```ts
 * import { TOXCORE_ONION_CLIENT } from "./client_constants.ts";
 * console.assert(TOXCORE_ONION_CLIENT.announceNodes === 12 && TOXCORE_ONION_CLIENT.paths === 6);
 * ```
 * @module
 */

/** Every tunable of an {@link OnionClient}-style client. */
export interface OnionClientTimings {
  /** Announce nodes we keep announcing to (MAX_ONION_CLIENTS_ANNOUNCE, 12). */
  announceNodes: number;
  /** Nodes kept per searched friend (MAX_ONION_CLIENTS, 8). */
  searchNodes: number;
  /** Paths per path set (NUMBER_ONION_PATHS, 6). */
  paths: number;
  /** A path never answered through is dead this long after its last use (ONION_PATH_FIRST_TIMEOUT, 4 s). */
  pathFirstTimeoutMs: number;
  /** An answered path is dead this long after its last use (ONION_PATH_TIMEOUT, 10 s). */
  pathTimeoutMs: number;
  /** ...but only after this many sends without an answer (ONION_PATH_MAX_NO_RESPONSE_USES, 4). */
  pathMaxNoResponseUses: number;
  /** A path is replaced after this long whatever happens (ONION_PATH_MAX_LIFETIME, 1200 s). */
  pathMaxLifetimeMs: number;
  /** Interval between announces to a node that stores us (ONION_NODE_PING_INTERVAL, 15 s). */
  nodePingIntervalMs: number;
  /** Interval while a node does not store us yet (ANNOUNCE_INTERVAL_NOT_ANNOUNCED, 3 s). */
  notAnnouncedIntervalMs: number;
  /** Interval to a node that stores us once node and path have lasted `timeToStableMs` (ANNOUNCE_INTERVAL_STABLE, 120 s). */
  announceStableIntervalMs: number;
  /** How long a node and its path must last to count as stable (TIME_TO_STABLE, 90 s). */
  timeToStableMs: number;
  /** Search rounds at the fast 3 s interval (RUN_COUNT_FRIEND_ANNOUNCE_BEGINNING, 17). */
  searchBeginningRuns: number;
  /** Search interval after those rounds (ANNOUNCE_FRIEND, 90 s). */
  searchIntervalMs: number;
  /** ...or the time since the friend was last seen divided by this, if longer (ONION_FRIEND_BACKOFF_FACTOR, 4). */
  searchBackoffFactor: number;
  /** Longest search interval (ONION_FRIEND_MAX_PING_INTERVAL, 40 min). */
  searchMaxIntervalMs: number;
  /** A node is dropped after this many unanswered pings (ONION_NODE_MAX_PINGS, 3)... */
  nodeMaxPings: number;
  /** ...and this long since the last one (ONION_NODE_TIMEOUT, 15 s). */
  nodeTimeoutMs: number;
  /** Unanswered announce requests are forgotten after this (ANNOUNCE_TIMEOUT, 10 s). */
  requestTimeoutMs: number;
  /** No onion response for this long means offline (ONION_OFFLINE_TIMEOUT, 75 s). */
  offlineTimeoutMs: number;
  /** DHT-PK through the onion while a friend is not connected (ONION_DHTPK_SEND_INTERVAL, 30 s). */
  dhtPkOnionIntervalMs: number;
  /** DHT-PK through DHT routing once the friend's DHT key is known (DHT_DHTPK_SEND_INTERVAL, 20 s). */
  dhtPkDhtIntervalMs: number;
  /** Path nodes remembered from responses (MAX_PATH_NODES, 32). */
  maxPathNodes: number;
  /** Fresh nodes asked per refill round when a list is short (c-toxcore: up to MAX_ONION_CLIENTS). */
  bootstrapFanout: number;
}

/**
 * c-toxcore 0.2.18's values.
 *
 * @example
 * ```ts
 * import { TOXCORE_ONION_CLIENT } from "./client_constants.ts";
 * console.assert(TOXCORE_ONION_CLIENT.offlineTimeoutMs === 75_000);
 * ```
 */
export const TOXCORE_ONION_CLIENT: Readonly<OnionClientTimings> = Object.freeze({
  announceNodes: 12,
  searchNodes: 8,
  paths: 6,
  pathFirstTimeoutMs: 4_000,
  pathTimeoutMs: 10_000,
  pathMaxNoResponseUses: 4,
  pathMaxLifetimeMs: 1_200_000,
  nodePingIntervalMs: 15_000,
  notAnnouncedIntervalMs: 3_000,
  announceStableIntervalMs: 120_000,
  timeToStableMs: 90_000,
  searchBeginningRuns: 17,
  searchIntervalMs: 90_000,
  searchBackoffFactor: 4,
  searchMaxIntervalMs: 2_400_000,
  nodeMaxPings: 3,
  nodeTimeoutMs: 15_000,
  requestTimeoutMs: 10_000,
  offlineTimeoutMs: 75_000,
  dhtPkOnionIntervalMs: 30_000,
  dhtPkDhtIntervalMs: 20_000,
  maxPathNodes: 32,
  bootstrapFanout: 8,
});
