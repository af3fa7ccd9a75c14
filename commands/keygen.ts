/**
 * `peerkit keygen`: create, import or show a Curve25519 identity.
 *
 * @example
 * ```ts
 * import { parseKeygenOptions } from "./keygen.ts";
 * console.assert((await parseKeygenOptions({ force: true })).force);
 * ```
 * @module
 */
import { emit, EXIT, type GlobalOptions, type Io, type Program, type Runner } from "./_io.ts";
import { usageError } from "../lib/util/errors.ts";

/** Help text shown after the options. */
export const KEYGEN_EXAMPLES = `
Examples:
  $ peerkit keygen                       # new identity in ~/.peerkit/identity.key
  $ peerkit keygen --out node.key        # new identity in ./node.key (mode 0600)
  $ peerkit keygen --json                # {"publicKey":"…","path":"…"}
  $ peerkit keygen --show                # public key and Tox ID of the existing identity
  $ peerkit keygen --import /var/lib/tox-bootstrapd/keys --force
                                         # adopt a tox-bootstrapd key file

Key files are tox-bootstrapd's format: 64 raw bytes, public key then secret key. Relative
paths are taken from the directory you run peerkit in (also through 'deno task'), and the
absolute path written is printed.`;

/** Validated options of `keygen`. */
export interface KeygenOptions {
  /** Where to write the identity (default: the state directory). */
  out?: string | undefined;
  /** Replace an existing file. */
  force: boolean;
  /** A tox-bootstrapd key file to adopt. */
  import?: string | undefined;
  /** Show the public key of an existing identity (`true`: the default one). */
  show?: boolean | string | undefined;
}

/**
 * Validates raw options with zod (loaded on demand, so `--help` does not pay for it);
 * conflicting ones are usage errors.
 *
 * @example
 * ```ts
 * import { parseKeygenOptions } from "./keygen.ts";
 * await parseKeygenOptions({ show: true, force: true }).catch((e) => console.assert(e.usage));
 * ```
 */
export async function parseKeygenOptions(raw: unknown): Promise<KeygenOptions> {
  const { z } = await import("zod");
  const schema = z.object({
    out: z.string().min(1).optional(),
    force: z.boolean().default(false),
    import: z.string().min(1).optional(),
    show: z.union([z.boolean(), z.string().min(1)]).optional(),
  }).strict();
  const r = schema.safeParse(raw);
  if (!r.success) throw usageError(`keygen: ${r.error.issues[0]?.message ?? "bad options"}`);
  const o = r.data;
  if (o.show !== undefined && (o.force || o.import !== undefined)) {
    throw usageError("keygen: --show cannot be combined with --force or --import");
  }
  if (typeof o.show === "string" && o.out !== undefined) {
    throw usageError("keygen: give the file either to --show or to --out, not both");
  }
  return o;
}

/**
 * Runs `keygen` and returns the exit code.
 *
 * @example
 * ```ts
 * import { runKeygen } from "./keygen.ts";
 * import { bufferIo } from "./_io.ts";
 * const home = await Deno.makeTempDir();
 * const io = bufferIo();
 * await runKeygen({ force: false }, { json: true, quiet: false, verbose: false, home }, io);
 * console.assert(JSON.parse(io.stdout()).publicKey.length === 64);
 * await Deno.remove(home, { recursive: true });
 * ```
 */
export async function runKeygen(o: KeygenOptions, g: GlobalOptions, io: Io): Promise<number> {
  const { x25519KeyPair } = await import("../lib/crypto/x25519.ts");
  const { identityPath } = await import("../lib/identity/home.ts");
  const { formatPublicKey } = await import("../lib/identity/pubkey.ts");
  const { readKeyFile, writeKeyFile } = await import("../lib/identity/keyfile.ts");
  const { resolvePath } = await import("./_io.ts");
  const named = typeof o.show === "string" ? o.show : o.out;
  const path = named !== undefined ? resolvePath(io.cwd, named) : identityPath(g.home);
  if (o.show !== undefined) {
    const kp = await readKeyFile(path);
    const publicKey = formatPublicKey(kp.publicKey);
    const { loadNospam, nospamPath } = await import("./_nospam.ts");
    const { formatToxId } = await import("../lib/identity/tox_id.ts");
    const nospamFile = nospamPath(g.home, named === undefined ? undefined : path);
    const nospam = await loadNospam(nospamFile);
    const toxId = formatToxId({ publicKey: kp.publicKey, nospam });
    emit(g, io, { publicKey, path, toxId, nospam: toxId.slice(64, 72) }, [publicKey, toxId]);
    if (!g.quiet && !g.json) {
      io.err(
        `Tox ID = key ${toxId.slice(0, 8)}… + nospam ${toxId.slice(64, 72)} + checksum ${
          toxId.slice(72)
        } (nospam kept in ${nospamFile})`,
      );
    }
    return EXIT.OK;
  }
  const kp = o.import !== undefined
    ? await readKeyFile(resolvePath(io.cwd, o.import))
    : x25519KeyPair();
  if (named === undefined) {
    const { ensureStateDir } = await import("../lib/identity/home.ts");
    await ensureStateDir(g.home);
  }
  await writeKeyFile(path, kp, { force: o.force });
  const publicKey = formatPublicKey(kp.publicKey);
  emit(g, io, { publicKey, path }, [publicKey]);
  if (!g.quiet && !g.json) {
    io.err(`${o.import !== undefined ? "imported" : "wrote"} identity to ${path}`);
  }
  return EXIT.OK;
}

/**
 * Adds `keygen` to the program.
 *
 * @example
 * ```ts
 * import { Command } from "@commander-js/extra-typings";
 * import { registerKeygen } from "./keygen.ts";
 * registerKeygen(new Command(), async () => {});
 * ```
 */
export function registerKeygen(program: Program, run: Runner): void {
  program.command("keygen")
    .description("create a Curve25519 identity (your peer id is its public key)")
    .option("-o, --out <file>", "write the identity to FILE instead of the state directory")
    .option("-f, --force", "replace an existing identity file")
    .option("--import <file>", "adopt the identity in a tox-bootstrapd key file")
    .option("--show [file]", "print the public key and Tox ID of an existing identity")
    .addHelpText("after", KEYGEN_EXAMPLES)
    .action((opts) => run(async (g, io) => runKeygen(await parseKeygenOptions(opts), g, io)));
}
