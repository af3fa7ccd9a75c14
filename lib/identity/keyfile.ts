/**
 * Identity key files in tox-bootstrapd's format: 64 raw bytes, public key then secret key.
 * Written atomically with mode 0600 and never overwritten without `force`; files that
 * others can read are refused, as ssh refuses them.
 *
 * @example
 * ```ts
 * import { readKeyFile, writeKeyFile } from "./keyfile.ts";
 * import { x25519KeyPair } from "../crypto/x25519.ts";
 * const dir = await Deno.makeTempDir();
 * const kp = x25519KeyPair();
 * await writeKeyFile(`${dir}/id.key`, kp);
 * console.assert((await readKeyFile(`${dir}/id.key`)).publicKey.length === 32);
 * await Deno.remove(dir, { recursive: true });
 * ```
 * @module
 */
import type { KeyPair } from "../crypto/backend.ts";
import { PUBLIC_KEY_SIZE, SECRET_KEY_SIZE } from "../crypto/constants.ts";
import { x25519PublicKey } from "../crypto/x25519.ts";
import { concat, equals } from "../util/bytes.ts";
import { PeerkitError } from "../util/errors.ts";

/** Size of a key file: public key followed by secret key. */
export const KEY_FILE_SIZE: number = PUBLIC_KEY_SIZE + SECRET_KEY_SIZE;

/**
 * Encodes a key pair as a tox-bootstrapd key file.
 *
 * @example
 * ```ts
 * import { encodeKeyFile } from "./keyfile.ts";
 * import { x25519KeyPair } from "../crypto/x25519.ts";
 * console.assert(encodeKeyFile(x25519KeyPair()).length === 64);
 * ```
 */
export function encodeKeyFile(kp: KeyPair): Uint8Array {
  return concat(kp.publicKey, kp.secretKey);
}

/**
 * Decodes a key file and checks that its public key belongs to its secret key.
 *
 * @example
 * ```ts
 * import { decodeKeyFile, encodeKeyFile } from "./keyfile.ts";
 * import { x25519KeyPair } from "../crypto/x25519.ts";
 * const kp = x25519KeyPair();
 * console.assert(decodeKeyFile(encodeKeyFile(kp)).secretKey.length === 32);
 * ```
 */
export function decodeKeyFile(bytes: Uint8Array, name = "key file"): KeyPair {
  if (bytes.length !== KEY_FILE_SIZE) {
    throw new PeerkitError(
      "KEY_FILE_INVALID",
      `${name} is ${bytes.length} bytes; a key file is exactly ${KEY_FILE_SIZE} bytes (public key, then secret key)`,
    );
  }
  const secretKey = bytes.slice(PUBLIC_KEY_SIZE);
  const kp = { publicKey: x25519PublicKey(secretKey), secretKey };
  if (!equals(kp.publicKey, bytes.subarray(0, PUBLIC_KEY_SIZE))) {
    throw new PeerkitError(
      "KEY_FILE_INVALID",
      `${name}: the public key does not belong to the secret key`,
    );
  }
  return kp;
}

/** Options of {@link readKeyFile}. */
export interface ReadKeyFileOptions {
  /** Refuse a file that group or others can access (default true). */
  checkPermissions?: boolean;
}

/**
 * Reads a key file. Refuses (code `KEY_FILE_PERMISSIONS`) a file with any group/other mode
 * bits, and fails with `KEY_FILE_MISSING` when it does not exist.
 *
 * @example
 * ```ts
 * import { readKeyFile } from "./keyfile.ts";
 * await readKeyFile("/nonexistent").catch((e) => console.assert(e.code === "KEY_FILE_MISSING"));
 * ```
 */
export async function readKeyFile(path: string, opts: ReadKeyFileOptions = {}): Promise<KeyPair> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new PeerkitError("KEY_FILE_MISSING", `no key file at ${path}`, { cause: e });
    }
    throw new PeerkitError("KEY_FILE_UNREADABLE", `cannot read ${path}: ${errMsg(e)}`, {
      cause: e,
    });
  }
  if (!info.isFile) throw new PeerkitError("KEY_FILE_INVALID", `${path} is not a regular file`);
  const mode = info.mode ?? 0o600;
  if ((opts.checkPermissions ?? true) && (mode & 0o077) !== 0) {
    throw new PeerkitError(
      "KEY_FILE_PERMISSIONS",
      `permissions ${
        (mode & 0o777).toString(8).padStart(4, "0")
      } for ${path} are too open: others may read the secret key; run: chmod 600 ${path}`,
    );
  }
  // Checked before reading: a huge file must not be read whole into memory.
  if (info.size !== KEY_FILE_SIZE) {
    throw new PeerkitError(
      "KEY_FILE_INVALID",
      `${path} is ${info.size} bytes; a key file is exactly ${KEY_FILE_SIZE} bytes`,
    );
  }
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (e) {
    throw new PeerkitError("KEY_FILE_UNREADABLE", `cannot read ${path}: ${errMsg(e)}`, {
      cause: e,
    });
  }
  return decodeKeyFile(bytes, path);
}

/** Options of {@link writeKeyFile}. */
export interface WriteKeyFileOptions {
  /** Replace an existing file (default false: fail with `KEY_EXISTS`). */
  force?: boolean;
}

/**
 * Writes a key file atomically with mode 0600: the bytes go to a temporary file in the same
 * directory, which is then hard-linked into place (fails if the target exists) or, with
 * `force`, renamed over it. Creates the directory (mode 0700) if needed.
 *
 * @example
 * ```ts
 * import { writeKeyFile } from "./keyfile.ts";
 * import { x25519KeyPair } from "../crypto/x25519.ts";
 * const dir = await Deno.makeTempDir();
 * await writeKeyFile(`${dir}/a.key`, x25519KeyPair());
 * await writeKeyFile(`${dir}/a.key`, x25519KeyPair()).catch((e) => console.assert(e.code === "KEY_EXISTS"));
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function writeKeyFile(
  path: string,
  kp: KeyPair,
  opts: WriteKeyFileOptions = {},
): Promise<void> {
  const dir = path.includes("/") ? path.slice(0, path.lastIndexOf("/")) || "/" : ".";
  try {
    await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (e) {
    throw new PeerkitError("KEY_FILE_UNWRITABLE", `cannot create ${dir}: ${errMsg(e)}`, {
      cause: e,
    });
  }
  if (!opts.force && await exists(path)) {
    throw new PeerkitError("KEY_EXISTS", `${path} exists; use --force to replace it`);
  }
  const tmp = `${path}.${crypto.randomUUID().slice(0, 8)}.tmp`;
  try {
    const f = await Deno.open(tmp, { write: true, createNew: true, mode: 0o600 });
    try {
      await f.write(encodeKeyFile(kp));
      await f.syncData();
    } finally {
      f.close();
    }
    await Deno.chmod(tmp, 0o600);
    if (opts.force) {
      await Deno.rename(tmp, path);
    } else {
      await Deno.link(tmp, path);
      await Deno.remove(tmp);
    }
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    if (e instanceof Deno.errors.AlreadyExists) {
      throw new PeerkitError("KEY_EXISTS", `${path} exists; use --force to replace it`, {
        cause: e,
      });
    }
    throw new PeerkitError("KEY_FILE_UNWRITABLE", `cannot write ${path}: ${errMsg(e)}`, {
      cause: e,
    });
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}

function errMsg(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
