/**
 * The nospam of an identity: 4 random bytes kept beside it (`<home>/nospam` for the identity
 * in the state directory, `<key file>.nospam` for a named key file), made once, written
 * atomically with mode 0600 (a temporary file linked into place, so two runs racing agree
 * on one value). It is the middle of the identity's Tox ID.
 *
 * @example
 * ```ts
 * import { loadNospam } from "./_nospam.ts";
 * const dir = await Deno.makeTempDir();
 * const a = await loadNospam(`${dir}/nospam`);
 * console.assert(a.length === 4 && (await loadNospam(`${dir}/nospam`)).join() === a.join());
 * await Deno.remove(dir, { recursive: true });
 * ```
 * @module
 */
import { NOSPAM_SIZE } from "../lib/identity/tox_id.ts";
import { fromHex, toHex } from "../lib/util/bytes.ts";
import { PeerkitError } from "../lib/util/errors.ts";

/** Name of the nospam file in the state directory. */
export const NOSPAM_FILE = "nospam";

/**
 * Where the nospam of an identity lives: `<home>/nospam` for the home identity, else
 * beside the key file.
 *
 * @example
 * ```ts
 * import { nospamPath } from "./_nospam.ts";
 * console.assert(nospamPath("/h", undefined) === "/h/nospam");
 * console.assert(nospamPath("/h", "/k/node.key") === "/k/node.key.nospam");
 * ```
 */
export function nospamPath(home: string, keyFile: string | undefined): string {
  return keyFile === undefined ? `${home}/${NOSPAM_FILE}` : `${keyFile}.nospam`;
}

/**
 * Reads the nospam at `path` (8 hex characters and a newline), creating it once when missing.
 * A malformed file is a `NOSPAM_FILE_BAD` error naming the file.
 *
 * @example
 * ```ts
 * import { loadNospam } from "./_nospam.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/nospam`, "zz\n");
 * await loadNospam(`${dir}/nospam`).catch((e) => console.assert(e.code === "NOSPAM_FILE_BAD"));
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function loadNospam(path: string): Promise<Uint8Array> {
  const have = await readNospam(path);
  if (have) return have;
  const fresh = crypto.getRandomValues(new Uint8Array(NOSPAM_SIZE));
  const tmp = `${path}.${toHex(crypto.getRandomValues(new Uint8Array(6)))}.tmp`;
  try {
    await Deno.writeTextFile(tmp, `${toHex(fresh).toUpperCase()}\n`, {
      createNew: true,
      mode: 0o600,
    });
    await Deno.chmod(tmp, 0o600);
    try {
      await Deno.link(tmp, path);
    } catch (e) {
      if (!(e instanceof Deno.errors.AlreadyExists)) throw e;
      // Another run created it first: use its value.
    }
  } catch (e) {
    throw new PeerkitError(
      "NOSPAM_FILE_UNWRITABLE",
      `cannot write ${path}: ${e instanceof Error ? e.message : String(e)}`,
      { cause: e },
    );
  } finally {
    await Deno.remove(tmp).catch(() => {});
  }
  const made = await readNospam(path);
  if (!made) throw new PeerkitError("NOSPAM_FILE_BAD", `${path} vanished while being created`);
  return made;
}

async function readNospam(path: string): Promise<Uint8Array | undefined> {
  let text;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw new PeerkitError(
      "NOSPAM_FILE_BAD",
      `cannot read ${path}: ${e instanceof Error ? e.message : String(e)}`,
      { cause: e },
    );
  }
  const t = text.trim();
  if (!/^[0-9a-fA-F]{8}$/.test(t)) {
    throw new PeerkitError("NOSPAM_FILE_BAD", `${path} must hold 8 hex characters (the nospam)`);
  }
  return fromHex(t);
}
