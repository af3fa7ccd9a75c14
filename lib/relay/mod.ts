/**
 * The Tox TCP relay, wire-compatible with c-toxcore 0.2.18 (TCP_server.c, TCP_client.c).
 *
 * Flow: the client sends 128 handshake bytes (its key, a nonce, a box with a temporary key
 * and base nonce), the server answers 96; from then on every packet is a frame
 * `[u16 length][Box(session key, nonce++, packet)]`. A client asks for a route to a peer's
 * key (id 0) and gets a connection id 16..255 (id 1); when the peer asks for it too, both
 * get a connect notification (id 2) and data packets `[conn id][payload]` flow, with the
 * relay rewriting the id. Out-of-band packets (ids 6/7) reach any client of the relay by
 * key; ids 8/9 carry onion requests and responses, 10/11 forwarding; 4/5 keep the link
 * alive.
 *
 * - {@link encodePacket}/{@link decodePacket}: the plaintext packets;
 *   {@link createClientHandshake}, {@link acceptClientHandshake}, {@link FrameCodec}: the link.
 * - {@link RelayServer}: the sans-IO server core; {@link RelayServerDriver}: on TCP sockets.
 * - {@link RelayClientConnection}: one sans-IO client link; {@link RelayClientCore}: the
 *   sans-IO client of several relays; {@link RelayClient}: its driver on sockets, with
 *   {@link RelayClientEvents} subscriptions.
 *
 * @example
 * ```ts
 * import { decodePacket, encodePacket } from "./mod.ts";
 * const p = decodePacket(encodePacket({ type: "routingRequest", publicKey: new Uint8Array(32) }));
 * console.assert(p.type === "routingRequest");
 * ```
 * @module
 */
export * from "./constants.ts";
export * from "./wire.ts";
export * from "./handshake.ts";
export * from "./framing.ts";
export * from "./rate.ts";
export * from "./server_options.ts";
export * from "./server.ts";
export * from "./server_driver.ts";
export * from "./client.ts";
export * from "./client_routes.ts";
export * from "./client_types.ts";
export * from "./client_core.ts";
export * from "./client_events.ts";
export * from "./client_driver.ts";
export * from "./metrics.ts";
export * from "./node.ts";
