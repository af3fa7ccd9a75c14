/**
 * `peerkit friend add <Tox ID> [message]` sends a Tox friend request through the onion (found
 * by the key's announcement, the request carries the ID's nospam and our key);
 * `peerkit friend listen` announces our identity and prints the requests it accepts.
 *
 * @example
 * ```ts
 * import { parseFriendListenOptions } from "./friend.ts";
 * console.assert((await parseFriendListenOptions({ allowAny: true })).allowAny);
 * ```
 * @module
 */
import { emit, EXIT, type GlobalOptions, type Io, type Program, type Runner } from "./_io.ts";
import type { IdentityChoice } from "./_identity.ts";
import { usageError } from "../lib/util/errors.ts";
import type { ToxId } from "../lib/identity/tox_id.ts";
import { TCP_RELAY_HELP } from "./_onion_relay.ts";

/** Help text shown after the options of `friend`. */
export const FRIEND_EXAMPLES = `
Examples:
  $ peerkit friend listen --allow-any              # print every friend request received
  $ peerkit friend listen --allow <64-hex key> --json
  $ peerkit friend add <76-hex Tox ID> "hello"     # send a friend request with a message
  $ peerkit friend add <Tox ID> "hi" --tcp-relay 127.0.0.1:33445:<64-hex key>  # UDP blocked

Both run under your identity (<home>/identity.key, or --key FILE); your Tox ID is printed
by 'peerkit keygen --show'. 'friend add' searches the onion for the key of the Tox ID and
sends the request (with the ID's nospam) once an announce node holds its entry; exit 0
sent, 1 not found within --timeout, 2 malformed ID. 'friend listen' announces you on the
onion and prints one line (--json: one JSON document) per accepted request until Ctrl-C;
requests from keys not allowed are reported on stderr only.`;

/** Options both subcommands share. */
interface FriendCommon {
  /** `HOST:PORT:PUBKEY` specs (default: the saved nodes). */
  specs: string[];
  /** Which identity. */
  identity: IdentityChoice;
  /** `--tcp-relay` specs: every onion path starts at one of these relays. */
  tcpRelays: string[];
}

/** Validated options of `friend add`. */
export interface FriendAddOptions extends FriendCommon {
  /** Whom to ask. */
  toxId: ToxId;
  /** The message (1..1016 bytes of UTF-8). */
  message: Uint8Array;
  /** Give up after this. */
  timeoutMs: number;
}

/** Validated options of `friend listen`. */
export interface FriendListenOptions extends FriendCommon {
  /** Keys whose requests are accepted. */
  allow: Uint8Array[];
  /** Accept every request. */
  allowAny: boolean;
}

async function common(
  cmd: string,
  o: { bootstrap?: string[] | undefined; key?: string | undefined; tcpRelay?: string[] },
): Promise<FriendCommon> {
  const { parseNodeSpec } = await import("./_nodes.ts");
  const specs = o.bootstrap ?? [];
  for (const s of specs) {
    try {
      parseNodeSpec(s);
    } catch (e) {
      throw usageError(`friend ${cmd}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  const { checkTcpRelaySpecs } = await import("./_onion_relay.ts");
  return {
    specs,
    identity: o.key !== undefined ? { file: o.key } : "home",
    tcpRelays: await checkTcpRelaySpecs(`friend ${cmd}`, o.tcpRelay ?? []),
  };
}

/**
 * Validates `friend add` (usage errors exit 2).
 *
 * @example
 * ```ts
 * import { parseFriendAddOptions } from "./friend.ts";
 * await parseFriendAddOptions("00", "hi", {}).catch((e) => console.assert(e.usage));
 * ```
 */
export async function parseFriendAddOptions(
  id: string,
  message: string | undefined,
  raw: { bootstrap?: string[]; key?: string; timeout?: string; tcpRelay?: string[] },
): Promise<FriendAddOptions> {
  const { parseToxId } = await import("../lib/identity/tox_id.ts");
  let toxId: ToxId;
  try {
    toxId = parseToxId(id);
  } catch (e) {
    throw usageError(`friend add: ${e instanceof Error ? e.message : String(e)}`, "BAD_TOX_ID");
  }
  const text = new TextEncoder().encode(message ?? "Hello, let's be friends.");
  if (text.length < 1 || text.length > 1016) {
    throw usageError(`friend add: the message must be 1..1016 bytes, got ${text.length}`);
  }
  const secs = Number(raw.timeout ?? "30");
  if (!Number.isFinite(secs) || secs <= 0 || secs > 3600) {
    throw usageError(`friend add: --timeout must be seconds in (0, 3600], got ${raw.timeout}`);
  }
  return { ...await common("add", raw), toxId, message: text, timeoutMs: secs * 1000 };
}

/**
 * Validates `friend listen`: one of `--allow KEY` (repeatable) or `--allow-any`.
 *
 * @example
 * ```ts
 * import { parseFriendListenOptions } from "./friend.ts";
 * await parseFriendListenOptions({}).catch((e) => console.assert(e.usage));
 * ```
 */
export async function parseFriendListenOptions(
  raw: {
    bootstrap?: string[];
    key?: string;
    allow?: string[];
    allowAny?: boolean;
    tcpRelay?: string[];
  },
): Promise<FriendListenOptions> {
  const { parsePublicKey } = await import("../lib/identity/pubkey.ts");
  const allow = (raw.allow ?? []).map((k) => parsePublicKey(k, "friend listen: --allow"));
  const allowAny = raw.allowAny ?? false;
  if (allowAny === (allow.length > 0)) {
    throw usageError("friend listen: give --allow KEY (repeatable) or --allow-any, not both");
  }
  return { ...await common("listen", raw), allow, allowAny };
}

/** Opens the DHT under the identity, bootstrapped from the nodes; null when there are none. */
async function join(o: FriendCommon, g: GlobalOptions, io: Io, pathNodes: boolean) {
  const files = await import("./_nodes.ts");
  const dht = await import("./_dht.ts");
  const { loadIdentity } = await import("./_identity.ts");
  const start = await files.resolveStartNodes({ specs: o.specs, home: g.home, builtin: false });
  if (start.nodes.length === 0) {
    io.err(
      "peerkit: no nodes to start from: give --bootstrap HOST:PORT:PUBKEY or run 'peerkit bootstrap' first",
    );
    return null;
  }
  const keyPair = await loadIdentity(o.identity, g.home, io);
  const { openOnionRelays } = await import("./_onion_relay.ts");
  const relays = await openOnionRelays(o.tcpRelays, keyPair, g.home, start.nodes);
  if (relays.error) {
    await relays.close();
    io.err(`peerkit: ${relays.error}`);
    return null;
  }
  const driver = await dht.openDriver({ listen: dht.chooseListen(start.nodes), keyPair });
  for (const n of start.nodes) driver.bootstrap(n.addr, n.publicKey);
  // The start nodes are path nodes until the DHT has good ones (c-toxcore path_nodes_bs),
  // for searching; an announcer takes them only with --tcp-relay (see docs/onion.md).
  const extras = pathNodes ? { bootstrapNodes: start.nodes, ...relays.extras } : relays.extras;
  return { driver, keyPair, extras, [Symbol.asyncDispose]: relays.close };
}

/**
 * Runs `friend add`: returns 0 once the request went out, 1 when the key was not found on
 * the onion within the timeout.
 *
 * @example
 * ```ts ignore
 * const code = await runFriendAdd(await parseFriendAddOptions(id, "hi", {}), g, io);
 * ```
 */
export async function runFriendAdd(o: FriendAddOptions, g: GlobalOptions, io: Io): Promise<number> {
  const { formatPublicKey } = await import("../lib/identity/pubkey.ts");
  const { startOnion } = await import("./_onion.ts");
  const { keyEquals } = await import("../lib/dht/distance.ts");
  await using j = await join(o, g, io, true);
  if (!j) return EXIT.FAILED;
  await using driver = j.driver;
  const start = driver.now();
  let found = false, wake = () => {};
  await using onion = startOnion(driver, j.keyPair, j.keyPair, undefined, (e) => {
    if (e.type === "peer_found" && keyEquals(e.publicKey, o.toxId.publicKey)) {
      found = true;
      wake();
    }
  }, j.extras);
  onion.sendFriendRequest(o.toxId.publicKey, o.toxId.nospam, o.message);
  const wait = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        io.signal.removeEventListener("abort", done);
        resolve();
      }
      wake = done;
      if (io.signal.aborted) done();
      else io.signal.addEventListener("abort", done, { once: true });
    });
  if (!found) await wait(o.timeoutMs);
  const to = formatPublicKey(o.toxId.publicKey);
  let copies = 0;
  if (found && !io.signal.aborted) {
    // The queued request went out when the key was found; one more round of copies after a
    // moment covers announce nodes that answered since (the receiver drops repeats).
    await wait(1500);
    copies = onion.sendFriendRequest(o.toxId.publicKey, o.toxId.nospam, o.message);
    await wait(500);
  }
  const elapsedMs = Math.round(driver.now() - start);
  emit(g, io, { sent: found, publicKey: to, copies, elapsedMs }, [
    found
      ? `friend request sent to ${to} (${copies} copies through its announce nodes, ${elapsedMs} ms)`
      : `not sent: ${to} was not found on the onion within ${o.timeoutMs / 1000} s`,
  ]);
  return found ? EXIT.OK : EXIT.FAILED;
}

/**
 * Runs `friend listen` until interrupted: announces the identity and prints accepted requests.
 *
 * @example
 * ```ts ignore
 * await runFriendListen(await parseFriendListenOptions({ allowAny: true }), g, io);
 * ```
 */
export async function runFriendListen(
  o: FriendListenOptions,
  g: GlobalOptions,
  io: Io,
): Promise<number> {
  const { formatPublicKey } = await import("../lib/identity/pubkey.ts");
  const { formatToxId } = await import("../lib/identity/tox_id.ts");
  const { startAnnouncer } = await import("./_onion.ts");
  const { keyEquals } = await import("../lib/dht/distance.ts");
  await using j = await join(o, g, io, false);
  if (!j) return EXIT.FAILED;
  await using driver = j.driver;
  const text = new TextDecoder();
  let ignored = 0;
  await using onion = await startAnnouncer(driver, j.keyPair, o.identity, g, io, (e) => {
    if (e.type !== "friend_request") return;
    const from = formatPublicKey(e.publicKey);
    if (!o.allowAny && !o.allow.some((k) => keyEquals(k, e.publicKey))) {
      ignored++;
      if (!g.quiet) io.err(`peerkit: ignored a friend request from ${from} (not allowed)`);
      return;
    }
    const message = text.decode(e.message);
    emit(g, io, { type: "friend_request", publicKey: from, message }, [
      `friend request from ${from}: ${JSON.stringify(message)}`,
    ]);
  }, j.extras);
  const toxId = formatToxId({ publicKey: j.keyPair.publicKey, nospam: onion.client.nospam });
  emit(g, io, { type: "listening", toxId, publicKey: formatPublicKey(j.keyPair.publicKey) }, [
    `listening for friend requests to ${toxId}`,
  ]);
  await new Promise<void>((resolve) => {
    if (io.signal.aborted) resolve();
    else io.signal.addEventListener("abort", () => resolve(), { once: true });
  });
  if (!g.quiet && !g.json && ignored > 0) io.err(`ignored ${ignored} request(s) not allowed`);
  return EXIT.OK;
}

/**
 * Adds `friend add` and `friend listen` to the program.
 *
 * @example
 * ```ts
 * import { Command } from "@commander-js/extra-typings";
 * import { registerFriend } from "./friend.ts";
 * registerFriend(new Command(), async () => {});
 * ```
 */
export function registerFriend(program: Program, run: Runner): void {
  const friend = program.command("friend")
    .description("send and receive Tox friend requests through the onion")
    .addHelpText("after", FRIEND_EXAMPLES);
  const collect = (v: string, prev: string[] = []) => [...prev, v];
  friend.command("add <toxid> [message]")
    .description("send a friend request with a message to a Tox ID")
    .option("-b, --bootstrap <node>", "start from HOST:PORT:PUBKEY (repeatable)", collect)
    .option("--key <file>", "send as the identity in this key file (default: yours)")
    .option("-t, --timeout <seconds>", "give up when not found after this long", "30")
    .option("--tcp-relay <node>", TCP_RELAY_HELP, collect)
    .addHelpText("after", FRIEND_EXAMPLES)
    .action((id, message, opts) =>
      run(async (g, io) => runFriendAdd(await parseFriendAddOptions(id, message, opts), g, io))
    );
  friend.command("listen")
    .description("announce yourself and print the friend requests you accept")
    .option("-b, --bootstrap <node>", "start from HOST:PORT:PUBKEY (repeatable)", collect)
    .option("--key <file>", "listen as the identity in this key file (default: yours)")
    .option("--allow <key>", "accept requests from this 64-hex key (repeatable)", collect)
    .option("--allow-any", "accept every request")
    .option("--tcp-relay <node>", TCP_RELAY_HELP, collect)
    .addHelpText("after", FRIEND_EXAMPLES)
    .action((opts) =>
      run(async (g, io) => runFriendListen(await parseFriendListenOptions(opts), g, io))
    );
}
