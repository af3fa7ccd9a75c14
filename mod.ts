/**
 * peerkit's library: identities and NaCl boxes, transports and the in-memory network, and
 * the Tox-compatible protocol layers. Importing it has no side effects.
 *
 * @example
 * ```ts
 * import { backend, formatPublicKey } from "./mod.ts";
 * console.assert(formatPublicKey(backend().keyPair().publicKey).length === 64);
 * ```
 * @module
 */
export * from "./lib/crypto/mod.ts";
export * from "./lib/identity/mod.ts";
export * from "./lib/net/mod.ts";
export * from "./lib/util/errors.ts";
export * from "./lib/util/wire_error.ts";
export * as bytes from "./lib/util/bytes.ts";
