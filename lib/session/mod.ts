/**
 * Encrypted sessions as c-toxcore's net_crypto speaks them, sans-IO: codecs for the
 * cookie request/response, handshake and data packets; the stateless cookie responder;
 * the per-peer {@link Session} state machine (handshake, lossless ring with packet
 * requests, lossy and kill packets, rate control) and the {@link SessionHost} that
 * demultiplexes datagrams from any path; friend-connection liveness and relay sharing; a
 * pure path selector. See docs/session.md.
 *
 * ```
 * initiator                          responder
 *   0x18 cookie request  ───────────▶  (stateless) 0x19 cookie response
 *   0x1a handshake       ───────────▶  verify cookie, accept: 0x1a handshake
 *   0x1b data (request)  ◀──────────▶  first valid data: established
 * ```
 *
 * @example
 * ```ts
 * import { SessionHost } from "./mod.ts";
 * import { tweetnaclBackend as crypto } from "../crypto/backend.ts";
 * const h = new SessionHost({ crypto, self: crypto.keyPair(), selfDht: crypto.keyPair() });
 * console.assert(h.sessions().length === 0);
 * ```
 * @module
 */
export * from "./constants.ts";
export * from "./wire.ts";
export * from "./plain.ts";
export * from "./request.ts";
export * from "./cookie.ts";
export * from "./handshake.ts";
export * from "./buffers.ts";
export * from "./congestion.ts";
export * from "./replay.ts";
export * from "./types.ts";
export * from "./session.ts";
export * from "./host.ts";
export * from "./friend.ts";
export * from "./path.ts";
export * from "./driver.ts";
export * from "./relay_path.ts";
