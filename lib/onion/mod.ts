/**
 * The Tox onion (c-toxcore 0.2.18 onion.c, onion_announce.c): packet codecs, the sans-IO
 * {@link OnionNode} that relays onion paths and acts as announce node, and client-side
 * packet builders.
 *
 * Flow: a client wraps an 0x83 announce (or 0x85 data) request in three layers and sends
 * 0x80 to hop A (or TCP packet 8 to a relay that acts as A); A, B, C each peel a layer and
 * append a return blob sealed with their own key (0x81, 0x82, then the raw request to D).
 * D answers 0x8c with the response behind the return blob; C, B, A each open their blob
 * (0x8d, 0x8e) and A hands the bare response to the client (or TCP packet 9).
 *
 * @example
 * ```ts
 * import { OnionNode } from "./mod.ts";
 * import { backend } from "../crypto/mod.ts";
 * const node = new OnionNode({ keyPair: backend().keyPair(), closestNodes: () => [] });
 * console.assert(node.handleUdp(new Uint8Array([0x00]), { hostname: "127.0.0.1", port: 1 }, 0).length === 0);
 * ```
 * @module
 */
export * from "./constants.ts";
export * from "./ip_port.ts";
export * from "./wire.ts";
export * from "./announce_wire.ts";
export * from "./client_packets.ts";
export { type OnionSend } from "./hop.ts";
export {
  isValidTcpOnionRequestLength,
  OnionNode,
  type OnionNodeOptions,
  type OnionStats,
} from "./node.ts";
export * from "./client.ts";
export * from "./client_types.ts";
export * from "./client_constants.ts";
export * from "./client_paths.ts";
export * from "./client_friend_request.ts";
export * from "./client_data.ts";
export * from "./dhtpk.ts";
export * from "./driver.ts";
