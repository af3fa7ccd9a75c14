/**
 * Identities on disk: key files (tox-bootstrapd format) and the state directory.
 *
 * @example
 * ```ts
 * import { identityPath, resolveHome } from "./mod.ts";
 * console.assert(identityPath(resolveHome({ home: "/h" }, {})) === "/h/identity.key");
 * ```
 * @module
 */
export * from "./keyfile.ts";
export * from "./home.ts";
export * from "./pubkey.ts";
export * from "./tox_id.ts";
