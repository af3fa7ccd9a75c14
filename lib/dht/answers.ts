/**
 * Which nodes a nodes response lists: the good nodes closest to the target (LAN ones only
 * to a LAN requester, never the requester itself), and when there are none, bad-but-alive
 * entries, then ourselves, so that an answer is never empty.
 *
 * @example
 * ```ts
 * import { nodesToSend } from "./answers.ts";
 * import { DhtLists } from "./lists.ts";
 * import { TOXCORE_SIZES, TOXCORE_TIMINGS } from "./constants.ts";
 * const self = { publicKey: new Uint8Array(32).fill(1), addr: { hostname: "192.0.2.1", port: 1 } };
 * const lists = new DhtLists(self.publicKey, TOXCORE_SIZES, TOXCORE_TIMINGS);
 * const from = { hostname: "198.51.100.7", port: 2 };
 * const nodes = nodesToSend(lists, new Uint8Array(32), new Uint8Array(32).fill(2), from, 0, self);
 * console.assert(nodes.length === 1 && nodes[0]!.addr === self.addr); // only ourselves
 * ```
 * @module
 */
import type { Addr } from "../net/addr.ts";
import { MAX_SENT_NODES } from "./constants.ts";
import { isLanAddress, keyEquals } from "./distance.ts";
import type { DhtLists } from "./lists.ts";
import type { NodeInfo } from "./packed_node.ts";

/**
 * The nodes to answer `requester` (at `from`) with for `target`; `self` is us with our
 * reachable address, listed as a last resort when known.
 *
 * @example
 * ```ts
 * import { nodesToSend } from "./answers.ts";
 * import { DhtLists } from "./lists.ts";
 * import { TOXCORE_SIZES, TOXCORE_TIMINGS } from "./constants.ts";
 * const lists = new DhtLists(new Uint8Array(32).fill(1), TOXCORE_SIZES, TOXCORE_TIMINGS);
 * const from = { hostname: "198.51.100.7", port: 2 };
 * console.assert(nodesToSend(lists, new Uint8Array(32), new Uint8Array(32), from, 0).length === 0);
 * ```
 */
export function nodesToSend(
  lists: DhtLists,
  target: Uint8Array,
  requester: Uint8Array,
  from: Addr,
  now: number,
  self?: NodeInfo,
): NodeInfo[] {
  const lan = isLanAddress(from.hostname);
  const nodes = lists.closest(target, MAX_SENT_NODES + 1, now, lan)
    .filter((n) => !keyEquals(n.publicKey, requester)).slice(0, MAX_SENT_NODES);
  if (nodes.length > 0) return nodes;
  const out = lists.alive(target, requester, now, lan);
  if (out.length === 0 && self && (lan || !isLanAddress(self.addr.hostname))) out.push(self);
  return out.slice(0, MAX_SENT_NODES);
}
