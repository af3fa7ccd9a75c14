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
import { PeerkitError } from "../util/errors.ts";

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

/**
 * Creates the state directory (and missing parents) with mode 0700, whichever command gets
 * there first; an existing directory is left as it is. Fails with `STATE_DIR_UNWRITABLE`.
 *
 * @example
 * ```ts
 * import { ensureStateDir } from "./home.ts";
 * const dir = `${await Deno.makeTempDir()}/state`;
 * await ensureStateDir(dir);
 * console.assert(((await Deno.stat(dir)).mode! & 0o777) === 0o700);
 * await Deno.remove(dir);
 * ```
 */
export async function ensureStateDir(dir: string): Promise<void> {
  try {
    await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (e) {
    throw new PeerkitError(
      "STATE_DIR_UNWRITABLE",
      `cannot create ${dir}: ${e instanceof Error ? e.message : String(e)}`,
      { cause: e },
    );
  }
}
