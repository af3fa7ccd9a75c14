/**
 * The key pair a command's DHT node runs under: the user's identity in the state directory
 * (created when missing), a key file the user named (which must exist), or a throwaway key.
 *
 * @example
 * ```ts
 * import { loadIdentity } from "./_identity.ts";
 * import { bufferIo } from "./_io.ts";
 * console.assert((await loadIdentity("ephemeral", "/nonexistent", bufferIo())).publicKey.length === 32);
 * ```
 * @module
 */
import type { KeyPair } from "../lib/crypto/backend.ts";
import { PeerkitError } from "../lib/util/errors.ts";
import { type Io, resolvePath } from "./_io.ts";

/**
 * Which key: `"home"` (the identity in the state directory, created when missing), a key
 * file (must exist; relative to the user's directory), or `"ephemeral"` (fresh for this run).
 */
export type IdentityChoice = "home" | "ephemeral" | { file: string };

/**
 * The key pair a DHT node runs under: the identity in the state directory (created when
 * missing), a named key file (which must exist), or a fresh throwaway one.
 *
 * @example
 * ```ts
 * import { loadIdentity } from "./_identity.ts";
 * import { bufferIo } from "./_io.ts";
 * const home = await Deno.makeTempDir();
 * const a = await loadIdentity("home", home, bufferIo());
 * const b = await loadIdentity("home", home, bufferIo());
 * console.assert(a.publicKey.join() === b.publicKey.join());
 * await Deno.remove(home, { recursive: true });
 * ```
 */
export async function loadIdentity(
  identity: IdentityChoice,
  home: string,
  io: Io,
): Promise<KeyPair> {
  const { backend } = await import("../lib/crypto/backend.ts");
  if (identity === "ephemeral") return backend().keyPair();
  const { identityPath, readKeyFile, writeKeyFile } = await import("../lib/identity/mod.ts");
  if (identity !== "home") return await readKeyFile(resolvePath(io.cwd, identity.file));
  const path = identityPath(home);
  try {
    return await readKeyFile(path);
  } catch (e) {
    if (!(e instanceof PeerkitError) || e.code !== "KEY_FILE_MISSING") throw e;
  }
  const { ensureStateDir } = await import("../lib/identity/home.ts");
  await ensureStateDir(home);
  const kp = backend().keyPair();
  await writeKeyFile(path, kp);
  io.err(`peerkit: created identity ${path}`);
  return kp;
}
