/**
 * `peerkit send <id> (MESSAGE | --file PATH | -)`: one-shot delivery to a peer over the
 * best path, proven by the receiver (`connect --listen` on the other side): its SHA-256 of
 * what it stored must equal ours. A file broken off mid-way resumes when sent again.
 *
 * @example
 * ```ts
 * import { parseSendPayload } from "./send.ts";
 * const p = parseSendPayload("hello", {});
 * console.assert(p.kind === "message" && p.text === "hello");
 * ```
 * @module
 */
import type { Program, Runner, Zod } from "./_io.ts";
import { addPeerOptions, parsePeerOptions, peerOptionFields } from "./_peer_options.ts";
import { parsePublicKey } from "../lib/identity/pubkey.ts";
import type { SendCommandOptions } from "./_send_run.ts";
import { usageError } from "../lib/util/errors.ts";
import { badName } from "../lib/transfer/names.ts";

/** Help text shown after the options. */
export const SEND_EXAMPLES = `
Examples:
  $ peerkit connect --listen --allow <A's key> --save-dir ~/inbox --relay <relay>  # on B
  $ peerkit send <B's key> "the build is green" --relay <relay>                # a message
  $ peerkit send <B's key> --file report.pdf --relay <relay>                   # a file
  $ tar c dir | peerkit send <B's key> - --name dir.tar --relay <relay>        # stdin
  $ peerkit send <B's key> --file big.iso --relay <relay> --json               # one JSON doc

A message prints on the receiver's stdout; a file is saved in its --save-dir under its
base name (never overwritten: "name (1).ext" when taken); stdin is saved as --name
(default "stdin"). Delivered means the receiver's SHA-256 of what it stored equals ours.
Sending a file again after an interruption sends only the bytes the receiver lacks.
A progress bar is drawn on stderr when it is a terminal (not with --quiet or --json).
Exit 0 when delivered, 1 when not (refused, unreachable, hash mismatch, interrupted),
2 on a usage error.`;

/** What to send, as the command line named it. */
export type Payload =
  | { kind: "message"; text: string }
  | { kind: "file"; path: string; name?: string }
  | { kind: "stdin"; name: string };

/**
 * The payload from the positional argument and `--file`/`--name` (usage errors exit 2).
 *
 * @example
 * ```ts
 * import { parseSendPayload } from "./send.ts";
 * console.assert(parseSendPayload(undefined, { file: "a.bin" }).kind === "file");
 * console.assert(parseSendPayload("-", {}).kind === "stdin");
 * try { parseSendPayload(undefined, {}); } catch (e) { console.assert((e as { usage: boolean }).usage); }
 * ```
 */
export function parseSendPayload(
  arg: string | undefined,
  o: { file?: string; name?: string },
): Payload {
  if (arg !== undefined && o.file !== undefined) {
    throw usageError("send: give either MESSAGE, --file PATH or -, not several");
  }
  if (o.name !== undefined) {
    const bad = badName(o.name);
    if (bad !== null) throw usageError(`send: --name: ${bad}`);
  }
  if (o.file !== undefined) {
    if (o.file === "") throw usageError("send: --file needs a path");
    return { kind: "file", path: o.file, ...(o.name !== undefined ? { name: o.name } : {}) };
  }
  if (arg === "-") return { kind: "stdin", name: o.name ?? "stdin" };
  if (arg === undefined) throw usageError("send: give a MESSAGE, --file PATH, or - for stdin");
  if (o.name !== undefined) throw usageError("send: --name goes with --file or -");
  if (arg === "") throw usageError("send: the message is empty");
  return { kind: "message", text: arg };
}

/** Shared peer options that only a listener takes (hidden from send's help). */
const LISTEN_ONLY = ["--listen", "--allow", "--allow-any"];

const optionsSchema = (z: Zod) =>
  z.object({
    ...peerOptionFields(z),
    file: z.string().optional(),
    name: z.string().optional(),
    punch: z.boolean().default(true),
    onion: z.boolean().optional(),
  }).strict();

/**
 * Validates everything `send` was given (usage errors exit 2).
 *
 * @example
 * ```ts
 * import { parseSendOptions } from "./send.ts";
 * const o = await parseSendOptions("AB".repeat(32), "hi", { relay: ["127.0.0.1:33445:" + "CD".repeat(32)] });
 * console.assert(o.payload.kind === "message" && o.link.punch && o.link.timeoutMs === 20_000);
 * ```
 */
export async function parseSendOptions(
  id: string,
  message: string | undefined,
  raw: unknown,
): Promise<{ link: SendCommandOptions; payload: Payload }> {
  const { peerIdText } = await import("./_onion_peer.ts");
  const idText = peerIdText("send", id); // a Tox ID (76 hex) names its key
  parsePublicKey(idText, "send: id"); // the id is judged first, as by every command taking one
  const { z } = await import("zod");
  const r = optionsSchema(z).safeParse(raw);
  if (!r.success) throw usageError(`send: ${r.error.issues[0]?.message ?? "bad options"}`);
  const { file, name, punch, onion, ...peerRaw } = r.data;
  if (onion && peerRaw.bootstrap.length === 0) {
    throw usageError("send: --onion goes with --bootstrap (the DHT nodes to start from)");
  }
  if (peerRaw.listen || peerRaw.allowAny || peerRaw.allow.length > 0) {
    throw usageError("send: --listen, --allow and --allow-any belong to 'connect --listen'");
  }
  const payload = parseSendPayload(message, {
    ...(file !== undefined ? { file } : {}),
    ...(name !== undefined ? { name } : {}),
  });
  const peer = parsePeerOptions("send", idText, peerRaw);
  const { onionImplied } = await import("./_onion_peer.ts");
  const viaOnion = !!onion || onionImplied(id, peer); // a Tox ID with --bootstrap: the onion
  return { link: { ...peer, peer: peer.peer!, punch, onion: viaOnion }, payload };
}

/**
 * Adds `send` to the program.
 *
 * @example
 * ```ts
 * import { Command } from "@commander-js/extra-typings";
 * import { registerSend } from "./send.ts";
 * registerSend(new Command(), async () => {});
 * ```
 */
export function registerSend(program: Program, run: Runner): void {
  const c = program.command("send <id> [message]")
    .description("deliver a message, a file or stdin to a peer, proven by its hash")
    .option("-f, --file <path>", "send this file")
    .option("--name <name>", "the name the receiver stores it under (default: the base name)")
    .option("--no-punch", "stay on the relay (no background punch for a direct path)")
    .option("--onion", "with --bootstrap: find the peer by key (or Tox ID) through the Tox onion");
  addPeerOptions(c, "UDP address of the session (default 0.0.0.0:0)");
  for (const opt of c.options) if (LISTEN_ONLY.includes(opt.long ?? "")) opt.hideHelp();
  c.addHelpText("after", SEND_EXAMPLES)
    .action((id, message, opts) =>
      run(async (g, io) => {
        const o = await parseSendOptions(id, message, opts);
        const { runSend } = await import("./_send_run.ts");
        return await runSend(o.link, o.payload, g, io);
      })
    );
}
