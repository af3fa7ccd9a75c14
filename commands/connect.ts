/**
 * `peerkit connect <id>`: netcat between two keys. stdin goes to the peer, the peer's bytes
 * come out on stdout, byte-exact, both ways at once, over an end-to-end encrypted session
 * that starts on the relay and moves to a punched direct path when one opens. The other
 * side runs `connect --listen`. Path changes and the closing summary go to stderr (JSON
 * lines with `--json`); stdout carries nothing but the peer's bytes.
 *
 * @example
 * ```ts
 * import { parseConnectOptions } from "./connect.ts";
 * const o = await parseConnectOptions(undefined, { listen: true, allowAny: true, keepOpen: true, relay: ["127.0.0.1:33445:" + "AB".repeat(32)] }, "/");
 * console.assert(o.allow === "any" && o.keepOpen && o.timeoutMs === 20_000);
 * ```
 * @module
 */
import {
  type GlobalOptions,
  type Io,
  type Program,
  resolvePath,
  type Runner,
  type Zod,
} from "./_io.ts";
import {
  addPeerOptions,
  parsePeerOptions,
  peerOptionFields,
  type PeerOptions,
} from "./_peer_options.ts";
import { usageError } from "../lib/util/errors.ts";

/** Help text shown after the options. */
export const CONNECT_EXAMPLES = `
Examples:
  $ peerkit connect --listen --allow <A's key> --relay 203.0.113.10:33445:<relay key>   # on B
  $ peerkit connect <B's key> --relay 203.0.113.10:33445:<relay key>                  # on A: type away
  $ tar c photos | peerkit connect <B's key> --relay ...                              # on A: send a tree
  $ peerkit connect --listen --allow <A's key> --recv-only --relay ... | tar x        # on B: unpack it
  $ peerkit connect --listen --allow-any --keep-open --save-dir ~/inbox --relay ...   # receive 'send's

stdin goes to the peer, the peer's bytes come out on stdout, both ways at once, byte-exact.
The session starts on whichever path opens first (usually the relay), a punch runs in the
background on the same UDP socket, traffic moves to the direct path once it is confirmed
(the relay route is then dropped) and back to the relay if the direct path goes quiet for
8 s. Path changes go to stderr ("path relay", "path direct"); with --json as JSON lines on
stderr ({"event":"path",...}, and a closing {"event":"end",...}); stdout is only data.

End of stdin half-closes (the peer sees the end of its stdout); the session ends when both
streams ended, or when either side closes (Ctrl-C, SIGTERM, or the peer's exit). A
listener accepts peers named with --allow (or any, with --allow-any); others complete the
handshake, are told "not allowed" and see "refused by <KEY>: not allowed". Without
--keep-open it exits after the first peer's session; with it, one peer's stream at a time
(a second concurrent peer is told "busy"). 'peerkit send' transfers are received too:
messages on stdout, files under --save-dir. With --bootstrap instead of --relay both meet
through the DHT and the session runs over the direct path only. With --bootstrap and
--onion both announce on the Tox onion; the listener sends its DHT-PK to the key it allows,
and the dialler (given the key or the 76-hex Tox ID; a Tox ID implies --onion) dials the
DHT key and address found. A Tox client (c-toxcore) may be the peer: its messages print.
Exit codes: 0 clean close by either side, 1 the peer could not be reached or went away
(nothing heard for 32 s, every path lost) or refused us, 2 usage.`;

const optionsSchema = (z: Zod) =>
  z.object({
    ...peerOptionFields(z),
    keepOpen: z.boolean().optional(),
    saveDir: z.string().optional(),
    recvOnly: z.boolean().optional(),
    onion: z.boolean().optional(),
  }).strict();

/** Validated options of `connect`. */
export interface ConnectCommandOptions extends PeerOptions {
  /** Keep listening after a peer leaves. */
  keepOpen: boolean;
  /** Where `send`'s files are saved (an existing directory, absolute). */
  saveDir?: string;
  /** Do not read stdin: our stream ends at once. */
  recvOnly: boolean;
  /** With --bootstrap: find the peer (or be found) through the Tox onion. */
  onion: boolean;
}

/**
 * Validates the id and options (usage errors exit 2); `cwd` resolves `--save-dir`.
 *
 * @example
 * ```ts
 * import { parseConnectOptions } from "./connect.ts";
 * await parseConnectOptions("00", {}, "/").catch((e) => console.assert(e.usage));
 * ```
 */
export async function parseConnectOptions(
  id: string | undefined,
  raw: unknown,
  cwd: string,
): Promise<ConnectCommandOptions> {
  const { z } = await import("zod");
  const r = optionsSchema(z).safeParse(raw);
  if (!r.success) throw usageError(`connect: ${r.error.issues[0]?.message ?? "bad options"}`);
  const o = r.data;
  const { onionImplied, peerIdText } = await import("./_onion_peer.ts");
  const peer = parsePeerOptions("connect", id && peerIdText("connect", id), o);
  if (o.onion && o.bootstrap.length === 0) {
    throw usageError("connect: --onion goes with --bootstrap (the DHT nodes to start from)");
  }
  if (!o.listen && (o.keepOpen || o.saveDir !== undefined)) {
    throw usageError("connect: --keep-open and --save-dir go with --listen");
  }
  const out: ConnectCommandOptions = {
    ...peer,
    keepOpen: !!o.keepOpen,
    recvOnly: !!o.recvOnly,
    onion: !!o.onion || onionImplied(id, peer), // a Tox ID with --bootstrap: the onion
  };
  if (o.saveDir !== undefined) {
    const dir = resolvePath(cwd, o.saveDir);
    const st = await Deno.stat(dir).catch(() => null);
    if (!st?.isDirectory) throw usageError(`connect: --save-dir ${o.saveDir} is not a directory`);
    out.saveDir = dir;
  }
  return out;
}

/**
 * Runs `connect` and returns the exit code.
 *
 * @example
 * ```ts ignore
 * import { runConnect } from "./connect.ts";
 * const code = await runConnect(opts, g, io);
 * ```
 */
export async function runConnect(
  o: ConnectCommandOptions,
  g: GlobalOptions,
  io: Io,
): Promise<number> {
  const { loadIdentity } = await import("./_identity.ts");
  const keyPair = await loadIdentity(o.identity, g.home, io);
  if (o.peer) {
    const { connectDial } = await import("./_connect_dial.ts");
    return await connectDial(o, keyPair, g, io);
  }
  const { connectListen } = await import("./_connect_listen.ts");
  return await connectListen(o, keyPair, g, io);
}

/**
 * Adds `connect` to the program.
 *
 * @example
 * ```ts
 * import { Command } from "@commander-js/extra-typings";
 * import { registerConnect } from "./connect.ts";
 * registerConnect(new Command(), async () => {});
 * ```
 */
export function registerConnect(program: Program, run: Runner): void {
  const c = program.command("connect [id]")
    .description("netcat between two keys: stdin to the peer, the peer's bytes to stdout");
  addPeerOptions(c, "UDP address of the session (default 0.0.0.0:0)");
  c.option("--keep-open", "with --listen: keep listening after a peer leaves")
    .option("--save-dir <dir>", "with --listen: where files from 'peerkit send' are saved")
    .option("--recv-only", "do not read stdin (our stream ends at once)")
    .option("--onion", "with --bootstrap: find the peer by key (or Tox ID) through the Tox onion")
    .addHelpText("after", CONNECT_EXAMPLES)
    .action((id, opts) =>
      run(async (g, io) => {
        // stdout is the data: the JSON-document fallback of cli.ts must never write into it.
        await io.rawStdout?.(new Uint8Array(0));
        return await runConnect(await parseConnectOptions(id, opts, io.cwd), g, io);
      })
    );
}
