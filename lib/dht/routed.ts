/**
 * Routed requests (packet 0x20, c-toxcore's "crypto request"): sent to a key through the
 * nodes of its search list, forwarded by a node that has the receiver in its close list,
 * opened by the receiver. NAT pings (request id 0xfe) are answered here, through one
 * random good node of the sender's list (c-toxcore `handle_NATping`, `routeone_to_friend`).
 *
 * Under the node's key budget (peerkit's hardening; c-toxcore has none): one for us from a
 * sender key not in the cache costs one token before its X25519, and every forwarded one
 * costs one token of its source address, so a flood of either is bounded by the budget's
 * rates; beyond them packets are dropped and counted as `dropBudget`.
 *
 * @example
 * ```ts
 * import { DhtNode } from "./node.ts";
 * import { backend } from "../crypto/mod.ts";
 * const a = new DhtNode({ keyPair: backend().keyPair() });
 * // Nothing is searched for that key, so nothing is sent.
 * console.assert(a.routeRequest(backend().keyPair().publicKey, 0xfe, new Uint8Array(9)) === 0);
 * ```
 * @module
 */
import type { Addr } from "../net/addr.ts";
import type { DhtCipher } from "./cipher.ts";
import { REQUEST_ID } from "./constants.ts";
import { keyEquals } from "./distance.ts";
import type { DhtLists, Search } from "./lists.ts";
import type { DhtNodeOptions } from "./node_types.ts";
import { randInt } from "./random.ts";
import type { DhtStats } from "./stats.ts";
import {
  decodeNatPing,
  decodeRoutedPacket,
  encodeNatPing,
  openRoutedPacket,
  sealRoutedPacket,
} from "./wire.ts";

/** What {@link DhtRouting} needs of its node. */
export interface DhtRoutingHost {
  /** Our DHT public key. */
  publicKey: Uint8Array;
  /** Encryption. */
  cipher: DhtCipher;
  /** The node's lists (search lists to route through, close list to forward to). */
  lists: DhtLists;
  /** Random bytes. */
  random: (n: number) => Uint8Array;
  /** Counters. */
  stats: DhtStats;
  /** Queues a datagram. */
  send(to: Addr, data: Uint8Array): void;
  /**
   * The node's options, read when used: `onRoutedRequest` receives requests for us,
   * `keyBudget` bounds what routed packets may cost.
   */
  options: Pick<DhtNodeOptions, "onRoutedRequest" | "keyBudget">;
}

/**
 * Sends, forwards and receives routed requests for one DHT node.
 *
 * @example
 * ```ts
 * import { DhtRouting } from "./routed.ts";
 * import { DhtLists } from "./lists.ts";
 * import { naclCipher } from "./cipher.ts";
 * import { emptyStats } from "./stats.ts";
 * import { TOXCORE_SIZES, TOXCORE_TIMINGS } from "./constants.ts";
 * import { backend } from "../crypto/mod.ts";
 * const kp = backend().keyPair(), stats = emptyStats();
 * const routing = new DhtRouting({
 *   publicKey: kp.publicKey,
 *   cipher: naclCipher(kp.secretKey),
 *   lists: new DhtLists(kp.publicKey, TOXCORE_SIZES, TOXCORE_TIMINGS),
 *   random: (n) => crypto.getRandomValues(new Uint8Array(n)),
 *   stats,
 *   send: () => {},
 *   options: {},
 * });
 * const packet = new Uint8Array(1 + 32 + 32 + 24 + 17);
 * packet[0] = 0x20; // for a key we do not know
 * routing.receive(packet, { hostname: "10.0.0.2", port: 1 }, 0);
 * console.assert(stats.dropRouteUnknown === 1);
 * ```
 */
export class DhtRouting {
  readonly #h: DhtRoutingHost;

  /** Routing for `host`. */
  constructor(host: DhtRoutingHost) {
    this.#h = host;
  }

  /**
   * Sends a routed request to `receiver` through the good nodes of its search list
   * (c-toxcore `route_tofriend`); returns how many copies were sent.
   */
  routeRequest(receiver: Uint8Array, requestId: number, data: Uint8Array, now: number): number {
    const h = this.#h;
    const s = h.lists.search(receiver);
    if (!s) return 0;
    const key = h.cipher.sharedKey(receiver);
    const nodes = h.lists.listNodes(s.list, true, now);
    for (const n of nodes) h.send(n.addr, this.#seal(receiver, requestId, data, key));
    return nodes.length;
  }

  /** Handles a routed packet: opened when it is for us, else forwarded or dropped. */
  receive(data: Uint8Array, from: Addr, now: number): void {
    const h = this.#h;
    const p = decodeRoutedPacket(data);
    const budget = h.options.keyBudget;
    if (keyEquals(p.receiverPublicKey, h.publicKey)) {
      if (
        budget && h.cipher.has && !h.cipher.has(p.senderPublicKey) &&
        !budget.take(from.hostname, now)
      ) {
        h.stats.dropBudget++;
        return;
      }
      const r = openRoutedPacket(p, h.cipher.sharedKey(p.senderPublicKey), h.cipher.open);
      if (!r) {
        h.stats.dropBadMac++;
        return;
      }
      h.stats.routedToUs++;
      const sender = p.senderPublicKey.slice();
      if (r.requestId === REQUEST_ID.NAT_PING && !this.#onNatPing(sender, r.data, now)) return;
      if (h.options.onRoutedRequest) {
        h.options.onRoutedRequest({
          requestId: r.requestId,
          data: r.data.slice(),
          senderPublicKey: sender,
          from,
        }, now);
      } else if (r.requestId !== REQUEST_ID.NAT_PING) {
        h.stats.dropUnhandled++;
      }
      return;
    }
    const to = h.lists.closeAddr(p.receiverPublicKey);
    if (!to) {
      h.stats.dropRouteUnknown++;
      return;
    }
    if (budget && !budget.take(from.hostname, now)) {
      h.stats.dropBudget++;
      return;
    }
    h.stats.routedForwarded++;
    h.send(to, data.slice());
  }

  /**
   * c-toxcore `handle_NATping`: exactly `[type][id 8]` (else WireError: malformed), only
   * from a key we search (a DHT friend), and a request is answered through ONE random good
   * node of that key's list (`routeone_to_friend`). False when the packet is dropped.
   */
  #onNatPing(sender: Uint8Array, data: Uint8Array, now: number): boolean {
    const ping = decodeNatPing(data);
    const s = this.#h.lists.search(sender);
    if (!s) {
      this.#h.stats.dropNatPingStranger++;
      return false;
    }
    if (!ping.response) {
      this.#routeOne(
        s,
        REQUEST_ID.NAT_PING,
        encodeNatPing({ response: true, pingId: ping.pingId }),
        now,
      );
    }
    return true;
  }

  /** Sends a routed request to `s`'s key through one random good node of its list. */
  #routeOne(s: Search, requestId: number, data: Uint8Array, now: number): boolean {
    const h = this.#h;
    const nodes = h.lists.listNodes(s.list, true, now);
    if (nodes.length === 0) return false;
    const n = nodes[nodes.length === 1 ? 0 : randInt(h.random, nodes.length)]!;
    h.send(n.addr, this.#seal(s.publicKey, requestId, data, h.cipher.sharedKey(s.publicKey)));
    return true;
  }

  #seal(receiver: Uint8Array, requestId: number, data: Uint8Array, key: Uint8Array): Uint8Array {
    const h = this.#h;
    return sealRoutedPacket(
      receiver,
      h.publicKey,
      requestId,
      data,
      key,
      h.random(24),
      h.cipher.seal,
    );
  }
}
