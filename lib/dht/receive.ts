/**
 * What a DHT node does with a ping or nodes packet (c-toxcore's acceptance rules): a
 * request is answered and its sender considered for a ping; a response counts only when it
 * answers one of our pending requests, and only then does its sender enter our lists.
 * Packets from uncached keys cost one shared-key computation each, within the key budget.
 *
 * @example
 * ```ts
 * import { DhtNode } from "./node.ts";
 * import { backend } from "../crypto/mod.ts";
 * const a = new DhtNode({ keyPair: backend().keyPair() });
 * const bogus = new Uint8Array(100);
 * bogus[0] = 0x00; // a ping request that does not open
 * a.handlePacket(bogus, { hostname: "10.0.0.9", port: 1 }, 0);
 * console.assert(a.stats.dropBadMac + a.stats.dropMalformed === 1);
 * ```
 * @module
 */
import type { Addr } from "../net/addr.ts";
import { nodesToSend } from "./answers.ts";
import type { DhtCipher } from "./cipher.ts";
import { keyEquals } from "./distance.ts";
import type { DhtLists } from "./lists.ts";
import type { DhtNodeOptions } from "./node_types.ts";
import type { DhtRequests } from "./requests.ts";
import type { DhtStats } from "./stats.ts";
import type { DhtUpkeep } from "./upkeep.ts";
import { openDhtPacket } from "./wire.ts";

/** What {@link receiveDhtPacket} needs of its node. */
export interface DhtReceiveHost {
  /** Our DHT public key. */
  publicKey: Uint8Array;
  /** Encryption. */
  cipher: DhtCipher;
  /** The node's options, read when used: `keyBudget` and `onEvent`. */
  options: Pick<DhtNodeOptions, "keyBudget" | "onEvent">;
  /** Counters. */
  stats: DhtStats;
  /** The node's lists. */
  lists: DhtLists;
  /** Its requests (replies, pending responses, lookups). */
  requests: DhtRequests;
  /** Its list upkeep (pings and candidates). */
  upkeep: DhtUpkeep;
  /** Our reachable address now, if known. */
  selfAddr: () => Addr | undefined;
}

/**
 * Handles one ping request or response or nodes request or response (kinds 0, 1, 2, 4).
 * Throws `WireError` for a malformed packet (the node counts it).
 *
 * @example
 * ```ts
 * import { DhtNode } from "./node.ts";
 * import { backend } from "../crypto/mod.ts";
 * const kp = backend().keyPair();
 * const a = new DhtNode({ keyPair: kp });
 * const own = new Uint8Array(100);
 * own.set(kp.publicKey, 1); // claims to come from our own key
 * a.handlePacket(own, { hostname: "10.0.0.9", port: 1 }, 0);
 * console.assert(a.stats.dropSelf === 1);
 * ```
 */
export function receiveDhtPacket(
  h: DhtReceiveHost,
  data: Uint8Array,
  from: Addr,
  now: number,
): void {
  if (keyEquals(data.subarray(1, 33), h.publicKey)) {
    h.stats.dropSelf++;
    return;
  }
  // A packet from a key not cached yet costs an X25519: only within the budget.
  const budget = h.options.keyBudget;
  if (
    budget && h.cipher.has && data.length > 33 && !h.cipher.has(data.subarray(1, 33)) &&
    !budget.take(from.hostname, now)
  ) {
    h.stats.dropBudget++;
    return;
  }
  let key: Uint8Array | undefined;
  const r = openDhtPacket(data, (pk) => key = h.cipher.sharedKey(pk), h.cipher.open);
  if (!r) {
    h.stats.dropBadMac++;
    return;
  }
  const m = r.message;
  const sender = r.senderPublicKey;
  switch (m.type) {
    case "pingRequest":
      h.stats.pingRequests++;
      h.requests.reply(sender, from, { type: "pingResponse", pingId: m.pingId }, key);
      h.upkeep.pingAdd(sender, from, now);
      return;
    case "nodesRequest": {
      h.stats.nodesRequests++;
      const selfAddr = h.selfAddr();
      const self = selfAddr && { publicKey: h.publicKey, addr: selfAddr };
      const nodes = nodesToSend(h.lists, m.target, sender, from, now, self);
      if (nodes.length === 0) {
        h.stats.unansweredNoNodes++;
      } else {
        h.requests.reply(
          sender,
          from,
          { type: "nodesResponse", nodes, pingId: m.pingId },
          key,
        );
      }
      h.upkeep.pingAdd(sender, from, now);
      return;
    }
    case "pingResponse":
    case "nodesResponse": {
      const p = h.requests.take(m.pingId, sender, from, now, data[0]!);
      if (!p) return;
      if (m.type === "nodesResponse" && m.nodes.length === 0) {
        h.stats.dropEmptyNodes++;
        p.lookup?.failed(sender);
        if (p.lookup) h.requests.drive(p.lookup, now);
        return;
      }
      if (m.type === "pingResponse") h.stats.pingResponses++;
      else h.stats.nodesResponses++;
      addToLists(h, sender.slice(), from, now);
      h.options.onEvent?.({
        type: "response",
        publicKey: sender.slice(),
        addr: from,
        rttMs: now - p.sentAt,
        kind: m.type === "pingResponse" ? "ping" : "nodes",
        nodes: m.type === "nodesResponse" ? m.nodes : [],
      });
      if (m.type === "nodesResponse") {
        for (const n of m.nodes) h.upkeep.fromNodesResponse(n, now);
      }
      if (p.lookup) {
        const named = m.type === "nodesResponse"
          ? m.nodes.filter((n) => !keyEquals(n.publicKey, h.publicKey))
          : [];
        p.lookup.answered(sender, from, named, p.hop ?? 0, now);
        h.requests.drive(p.lookup, now);
      }
      return;
    }
  }
}

/** c-toxcore `addto_lists`: only for nodes that answered us. */
function addToLists(h: DhtReceiveHost, pk: Uint8Array, addr: Addr, now: number): void {
  for (const _ of h.lists.add(pk, addr, now)) {
    h.options.onEvent?.({ type: "found", publicKey: pk.slice(), addr });
  }
}
