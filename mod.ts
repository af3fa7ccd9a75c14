/**
 * peerkit's library: identities and NaCl boxes, transports and the in-memory network, and
 * the Tox-compatible protocol layers. Importing it has no side effects.
 *
 * @example
 * ```ts
 * import { backend, dht, formatPublicKey, punch } from "./mod.ts";
 * console.assert(formatPublicKey(backend().keyPair().publicKey).length === 64);
 * console.assert(typeof dht.DhtNode === "function");
 * console.assert(punch.PUNCH_KIND === 0xe5 && typeof punch.PunchAttempt === "function");
 * ```
 * @module
 */
export * from "./lib/crypto/mod.ts";
export * from "./lib/identity/mod.ts";
export * from "./lib/net/mod.ts";
export * from "./lib/util/errors.ts";
export * from "./lib/util/wire_error.ts";
export * as bytes from "./lib/util/bytes.ts";
/** The DHT: codecs, the sans-IO node, the UDP driver, lookups. */
export * as dht from "./lib/dht/mod.ts";
/** The TCP relay: codecs, server and client cores, drivers, the relay node. */
export * as relay from "./lib/relay/mod.ts";
/** The onion: codecs, the node side (hops and announce store), client packet builders. */
export * as onion from "./lib/onion/mod.ts";
/** NAT diagnostics: the STUN codec, the sans-IO client and RFC 5780 discovery, the responder. */
export * as nat from "./lib/nat/mod.ts";
/** One UDP socket per node: the packet table every layer registers in, and its host. */
export * as node from "./lib/node/mod.ts";
/** Hole punching: the probe codec, the sans-IO attempt, its driver, sessions, beliefs, the simulation. */
export * as punch from "./lib/punch/mod.ts";
/** net_crypto sessions: codecs, cookies, the sans-IO session and host, the path selector. */
export * as session from "./lib/session/mod.ts";
/** Links: sessions over the best path (relay first, punched direct path) and their channels. */
export * as link from "./lib/link/mod.ts";
