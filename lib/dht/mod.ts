/**
 * A Tox-compatible DHT (c-toxcore 0.2.18): wire codecs, a sans-IO node, a UDP driver, the
 * iterative lookup, and a simulation harness.
 *
 * Flow: a node bootstraps with a nodes request for its own key; nodes that answer enter the
 * close list (128 buckets of 8 by first differing bit); responses name closer nodes, which
 * get asked in turn; a lookup asks the closest known nodes for the target, a few at a time,
 * until the target itself answers.
 *
 * @example
 * ```ts
 * import { DhtNode, encodeLanDiscovery } from "./mod.ts";
 * import { backend } from "../crypto/mod.ts";
 * const n = new DhtNode({ keyPair: backend().keyPair() });
 * n.handlePacket(encodeLanDiscovery(backend().keyPair().publicKey), { hostname: "10.1.1.1", port: 9 }, 0);
 * console.assert(n.pollTransmit()?.data.length === 113);
 * ```
 * @module
 */
export * from "./constants.ts";
export * from "./wire.ts";
export * from "./packed_node.ts";
export * from "./distance.ts";
export * from "./cipher.ts";
export * from "./stats.ts";
export * from "./lookup.ts";
export * from "./node.ts";
export * from "./driver.ts";
export * from "./lists.ts";
export * from "./pending.ts";
export * from "./sim.ts";
export {
  type BootstrapInfo,
  BootstrapInfoResponder,
  decodeBootstrapInfo,
  decodeVersion,
  encodeBootstrapInfo,
  encodeVersion,
  isBootstrapInfoRequest,
} from "./bootstrap_info.ts";
export { Forwarder, type ForwarderOptions } from "./forwarding.ts";
export { decodeForwardPacket, encodeForwardPacket, type ForwardPacket } from "./forwarding_wire.ts";
export { type UdpExtras, udpExtras } from "./udp_extras.ts";
