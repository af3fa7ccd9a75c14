/**
 * NAT diagnostics over STUN (RFC 8489) with RFC 5780 behaviour discovery, reported in
 * RFC 4787 words.
 *
 * Flow: the client sends Binding requests `[type 0x0001][length][cookie 0x2112A442][id 12]`
 * to a server, which answers with our address as it saw it (XOR-MAPPED-ADDRESS), the address
 * it answered from (RESPONSE-ORIGIN) and its alternate IP and port (OTHER-ADDRESS). Asking the
 * alternate addresses (mapping tests II, III) and asking the server to answer from them
 * (CHANGE-REQUEST: filtering tests II, III) tells how the NAT maps and filters.
 *
 * - {@link encodeStun}/{@link decodeStun}/{@link isStunPacket}: the pure codec and the
 *   demultiplexing test for a UDP port shared with the Tox DHT.
 * - {@link StunClient}: sans-IO Binding transactions with RFC 8489 retransmission.
 * - {@link NatDiscovery}: the sans-IO discovery plan; {@link discoverNat}: on a UDP socket.
 * - {@link StunResponder}: the sans-IO responder core, rate-limited, amplification-bounded.
 *
 * @example
 * ```ts
 * import { decodeStun, encodeStun, isStunPacket } from "./mod.ts";
 * const b = encodeStun({ class: "request", method: 1, transactionId: new Uint8Array(12), attributes: [], fingerprint: true });
 * console.assert(isStunPacket(b) && decodeStun(b).fingerprint === true);
 * ```
 * @module
 */
export * from "./constants.ts";
export * from "./crc32.ts";
export * from "./attributes.ts";
export * from "./wire.ts";
export * from "./endpoint.ts";
export * from "./client.ts";
export * from "./report.ts";
export * from "./discovery.ts";
export * from "./rate.ts";
export * from "./responder.ts";
export * from "./driver.ts";
export * from "./responder_driver.ts";
export * from "./service.ts";
