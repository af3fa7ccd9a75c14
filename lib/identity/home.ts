/**
 * The state directory: `--home DIR`, else `$PEERKIT_HOME`, else `~/.peerkit`.
 *
 * @example
 * ```ts
 * import { resolveHome } from "./home.ts";
 * console.assert(resolveHome({ home: "/tmp/x" }, {}) === "/tmp/x");
 * ```
 * @module
 */

/** File name of the identity inside the state directory. */
export const IDENTITY_FILE = "identity.key";

/**
 * Resolves the state directory from an explicit flag and the environment.
 *
 * @example
 * ```ts
 * import { resolveHome } from "./home.ts";
 * console.assert(resolveHome({}, { HOME: "/root" }) === "/root/.peerkit");
 * ```
 */
export function resolveHome(
  flags: { home?: string | undefined },
  env: Record<string, string | undefined>,
): string {
  if (flags.home) return flags.home;
  if (env.PEERKIT_HOME) return env.PEERKIT_HOME;
  return `${env.HOME ?? "."}/.peerkit`;
}

/**
 * Path of the identity key file inside a state directory.
 *
 * @example
 * ```ts
 * import { identityPath } from "./home.ts";
 * console.assert(identityPath("/h") === "/h/identity.key");
 * ```
 */
export function identityPath(home: string): string {
  return `${home.replace(/\/+$/, "") || "/"}/${IDENTITY_FILE}`;
}
