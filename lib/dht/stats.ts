/**
 * Counters of a DHT node: what it received, answered and dropped, and why.
 *
 * @example
 * ```ts
 * import { emptyStats } from "./stats.ts";
 * console.assert(emptyStats().dropMalformed === 0);
 * ```
 * @module
 */

/** Counters; every dropped packet increments exactly one `drop*` field. */
export interface DhtStats {
  /** DHT datagrams received. */
  received: number;
  /** Datagrams queued for sending. */
  sent: number;
  /** Ping requests answered. */
  pingRequests: number;
  /** Nodes requests received. */
  nodesRequests: number;
  /** Valid ping responses. */
  pingResponses: number;
  /** Valid nodes responses. */
  nodesResponses: number;
  /** Routed requests forwarded to a close-list node. */
  routedForwarded: number;
  /** Routed requests addressed to us and decrypted. */
  routedToUs: number;
  /** LAN discovery packets acted on. */
  lanDiscovery: number;
  /** Our requests that got no valid response in time. */
  timeouts: number;
  /** Nodes requests left unanswered because we knew no node at all. */
  unansweredNoNodes: number;
  /** Bad layout or length. */
  dropMalformed: number;
  /** Box did not open. */
  dropBadMac: number;
  /** Response we did not ask for (wrong id, sender, address, kind or too late), or LAN discovery from afar. */
  dropUnexpected: number;
  /** Nodes response with zero nodes (c-toxcore rejects these too). */
  dropEmptyNodes: number;
  /** Packet claiming our own key as sender. */
  dropSelf: number;
  /** Packet from an uncached key, or a routed one to forward, beyond the key budget (`keyBudget`). */
  dropBudget: number;
  /** Routed request for a key not in the close list. */
  dropRouteUnknown: number;
  /** Routed request to us with no handler for its id. */
  dropUnhandled: number;
  /** NAT ping from a key we do not search (c-toxcore answers only its DHT friends). */
  dropNatPingStranger: number;
  /** Any other failure while handling a packet. */
  dropError: number;
}

/**
 * All counters at zero.
 *
 * @example
 * ```ts
 * import { emptyStats } from "./stats.ts";
 * console.assert(emptyStats().received === 0);
 * ```
 */
export function emptyStats(): DhtStats {
  return {
    received: 0,
    sent: 0,
    pingRequests: 0,
    nodesRequests: 0,
    pingResponses: 0,
    nodesResponses: 0,
    routedForwarded: 0,
    routedToUs: 0,
    lanDiscovery: 0,
    timeouts: 0,
    unansweredNoNodes: 0,
    dropMalformed: 0,
    dropBadMac: 0,
    dropUnexpected: 0,
    dropEmptyNodes: 0,
    dropSelf: 0,
    dropBudget: 0,
    dropRouteUnknown: 0,
    dropUnhandled: 0,
    dropNatPingStranger: 0,
    dropError: 0,
  };
}
