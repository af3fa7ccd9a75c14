/**
 * `peerkit lookup <id>`: find a peer's address on the Tox DHT from its 64-hex public key (or
 * 76-hex Tox ID) with an iterative lookup (a few requests in parallel, closest nodes first),
 * and at the same time search the onion for whether the key is announced (online).
 *
 * @example
 * ```ts
 * import { parseLookupOptions } from "./lookup.ts";
 * console.assert((await parseLookupOptions("AB".repeat(32), {})).timeoutMs === 20000);
 * ```
 * @module
 */
import {
  emit,
  EXIT,
  type GlobalOptions,
  type Io,
  type Program,
  type Runner,
  type Zod,
} from "./_io.ts";
import { usageError } from "../lib/util/errors.ts";
import { formatAddr } from "../lib/net/addr.ts";
import type { Addr } from "../lib/net/addr.ts";
import { parsePublicKey } from "../lib/identity/pubkey.ts";
import { TCP_RELAY_HELP } from "./_onion_relay.ts";

/** Help text shown after the options. */
export const LOOKUP_EXAMPLES = `
Examples:
  $ peerkit lookup 7B4E909BBE7FFE44C465A220037D608EE35897D31EF972F07F74892CB0F73F13
  $ peerkit lookup <64-hex key> --bootstrap 127.0.0.1:33445:<64-hex key> --json
  $ peerkit lookup <64-hex key> --parallel 4 --timeout 30
  $ peerkit lookup <76-hex Tox ID>      # as printed by 'peerkit keygen --show'
  $ peerkit lookup <64-hex key> --tcp-relay 127.0.0.1:33445:<64-hex key>   # onion via TCP

Starts from --bootstrap nodes, else from the nodes saved by 'peerkit bootstrap'. Prints the
target's IP:port when it answers, the closest nodes seen, hops, requests and time taken.
Meanwhile an onion search says whether the key is announced (online): up to --timeout;
once the DHT has found the key, until the search has converged (its announce nodes all
answered since, none new for 3 s) or 10 s more at most. With --tcp-relay every onion
path starts at one of the given TCP relays (for networks that block UDP).
A lookup runs under a throwaway DHT key: it only asks. To be found yourself, keep
'peerkit bootstrap --stay' running (it serves the DHT under your identity).
Exit 0 found (on the DHT or announced on the onion), 1 not found, 2 malformed id (a Tox
ID with a bad checksum included) or address.`;

const optionsSchema = (z: Zod) =>
  z.object({
    bootstrap: z.array(z.string()).default([]),
    timeout: z.string().default("20"),
    parallel: z.string().default("3"),
    listen: z.string().optional(),
    tcpRelay: z.array(z.string()).default([]),
  }).strict();

/** Validated options of `lookup`. */
export interface LookupCommandOptions {
  /** Key to find. */
  target: Uint8Array;
  /** The Tox ID, when one was given (76 hex, upper case). */
  toxId?: string;
  /** `HOST:PORT:PUBKEY` specs. */
  specs: string[];
  /** Give up after this. */
  timeoutMs: number;
  /** Requests in flight. */
  parallel: number;
  /** Bind address. */
  listen?: Addr;
  /** `--tcp-relay` specs: the onion's first hops. */
  tcpRelays: string[];
}

/**
 * Validates the id and options (usage errors exit 2).
 *
 * @example
 * ```ts
 * import { parseLookupOptions } from "./lookup.ts";
 * await parseLookupOptions("xyz", {}).catch((e) => console.assert(e.usage));
 * ```
 */
export async function parseLookupOptions(
  id: string,
  raw: unknown,
): Promise<LookupCommandOptions> {
  const { parseToxId, formatToxId, TOX_ID_HEX_LENGTH } = await import(
    "../lib/identity/tox_id.ts"
  );
  let target: Uint8Array, toxId: string | undefined;
  if (id.trim().length === TOX_ID_HEX_LENGTH) {
    let t;
    try {
      t = parseToxId(id);
    } catch (e) {
      throw usageError(`lookup: id: ${e instanceof Error ? e.message : String(e)}`, "BAD_TOX_ID");
    }
    target = t.publicKey;
    toxId = formatToxId(t);
  } else target = parsePublicKey(id, "lookup: id");
  const { z } = await import("zod");
  const r = optionsSchema(z).safeParse(raw);
  if (!r.success) throw usageError(`lookup: ${r.error.issues[0]?.message ?? "bad options"}`);
  const o = r.data;
  const secs = Number(o.timeout), parallel = Number(o.parallel);
  if (!Number.isFinite(secs) || secs <= 0 || secs > 3600) {
    throw usageError(`lookup: --timeout must be seconds in (0, 3600], got ${o.timeout}`);
  }
  if (!Number.isInteger(parallel) || parallel < 1 || parallel > 16) {
    throw usageError(`lookup: --parallel must be 1..16, got ${o.parallel}`);
  }
  const out: LookupCommandOptions = {
    target,
    specs: o.bootstrap,
    timeoutMs: secs * 1000,
    parallel,
    tcpRelays: await (await import("./_onion_relay.ts")).checkTcpRelaySpecs("lookup", o.tcpRelay),
  };
  if (toxId !== undefined) out.toxId = toxId;
  if (o.listen !== undefined) {
    const { parseListen } = await import("./_nodes.ts");
    out.listen = parseListen(o.listen, "lookup");
  }
  return out;
}

/**
 * Runs `lookup` and returns the exit code.
 *
 * @example
 * ```ts ignore
 * import { runLookup } from "./lookup.ts";
 * const code = await runLookup(opts, g, io);
 * ```
 */
export async function runLookup(
  o: LookupCommandOptions,
  g: GlobalOptions,
  io: Io,
): Promise<number> {
  const join = await import("./_dht.ts");
  const files = await import("./_nodes.ts");
  for (const s of o.specs) files.parseNodeSpec(s);
  const start = await files.resolveStartNodes({ specs: o.specs, home: g.home, builtin: false });
  const unresolved = start.unresolved.map((u) => u.host);
  for (const u of unresolved) {
    if (!g.quiet && !g.json) io.err(`peerkit: cannot resolve ${u}, skipped`);
  }
  if (start.nodes.length === 0) {
    const message = unresolved.length > 0
      ? `no nodes to start from: cannot resolve ${unresolved.join(", ")}`
      : "no nodes to start from: give --bootstrap HOST:PORT:PUBKEY or run 'peerkit bootstrap' first";
    if (g.json) io.out(JSON.stringify({ found: false, error: "NO_NODES", message, unresolved }));
    io.err(`peerkit: ${message}`);
    return EXIT.FAILED;
  }
  const { backend } = await import("../lib/crypto/backend.ts");
  const keyPair = backend().keyPair();
  await using driver = await join.openDriver({
    listen: o.listen ?? join.chooseListen(start.nodes),
    keyPair,
  });
  for (const n of start.nodes) driver.bootstrap(n.addr, n.publicKey);
  const relays = await (await import("./_onion_relay.ts")).openOnionRelays(
    o.tcpRelays,
    keyPair,
    g.home,
    start.nodes,
  );
  try {
    if (relays.error) {
      if (g.json) {
        io.out(JSON.stringify({ found: false, error: "NO_TCP_RELAY", message: relays.error }));
      }
      io.err(`peerkit: ${relays.error}`);
      return EXIT.FAILED;
    }
    return await lookupBoth(o, g, io, driver, keyPair, start, unresolved, relays.extras);
  } finally {
    await relays.close();
  }
}

/** The DHT lookup and the onion search side by side, and the report. */
async function lookupBoth(
  o: LookupCommandOptions,
  g: GlobalOptions,
  io: Io,
  driver: import("../lib/dht/driver.ts").DhtDriver,
  keyPair: import("../lib/crypto/backend.ts").KeyPair,
  start: Awaited<ReturnType<typeof import("./_nodes.ts").resolveStartNodes>>,
  unresolved: string[],
  extras: import("./_onion.ts").OnionExtras,
): Promise<number> {
  const { formatPublicKey } = await import("../lib/identity/mod.ts");
  const { searchOnion, onionSearchSummary } = await import("./_onion.ts");
  const progress = io.stderrIsTTY && !g.quiet && !g.json;
  // The onion search runs beside the DHT lookup; once the DHT has found the key it stops
  // when it has converged or after a grace (ONION_GRACE_MS), not at the end of --timeout.
  let dhtFoundAt: number | undefined;
  const onionSearch = searchOnion(driver, keyPair, o.target, {
    // The start nodes are path nodes until the DHT has good ones (c-toxcore path_nodes_bs):
    // the first search round goes out at once instead of after the DHT's first answers.
    bootstrapNodes: start.nodes,
    ...extras,
    timeoutMs: o.timeoutMs,
    signal: io.signal,
    dhtFoundAt: () => dhtFoundAt,
  });
  const r = await driver.lookup(o.target, {
    seeds: start.nodes,
    parallel: o.parallel,
    timeoutMs: o.timeoutMs,
    signal: io.signal,
    onProgress: progress
      ? (p) => io.err(`  asked ${p.requests}, answered ${p.responses}, seen ${p.seen}`)
      : undefined,
  });
  if (r.found) dhtFoundAt = driver.now();
  const onion = await onionSearch;
  const closest = r.closest.map((n) => ({
    address: formatAddr(n.addr),
    publicKey: formatPublicKey(n.publicKey),
  }));
  const human: string[] = [];
  if (r.found && r.addr) human.push(`found ${formatPublicKey(o.target)} at ${formatAddr(r.addr)}`);
  else human.push(`not found: ${formatPublicKey(o.target)} (${r.reason})`);
  human.push(onionSearchSummary(onion));
  for (const [to, why] of Object.entries(r.sendErrors ?? {})) {
    human.push(`send to ${to} failed: ${why}`);
  }
  if (!g.quiet) {
    human.push(
      `${r.hops} hops, ${r.requests} requests, ${r.responses} responses, ${
        Math.round(r.elapsedMs)
      } ms`,
    );
    if (closest.length > 0) human.push("closest nodes seen:");
    for (const c of closest) human.push(`  ${c.address.padEnd(22)} ${c.publicKey}`);
  }
  emit(g, io, {
    id: formatPublicKey(o.target),
    ...(o.toxId !== undefined ? { toxId: o.toxId } : {}),
    found: r.found,
    address: r.addr ? formatAddr(r.addr) : null,
    reported: [...new Set(r.reported.map(formatAddr))],
    closest,
    hops: r.hops,
    requests: r.requests,
    responses: r.responses,
    elapsedMs: Math.round(r.elapsedMs),
    reason: r.reason,
    ...(r.sendErrors ? { sendErrors: r.sendErrors } : {}),
    source: start.source,
    unresolved,
    onion,
  }, human);
  return r.found || onion.announced ? EXIT.OK : EXIT.FAILED;
}

/**
 * Adds `lookup` to the program.
 *
 * @example
 * ```ts
 * import { Command } from "@commander-js/extra-typings";
 * import { registerLookup } from "./lookup.ts";
 * registerLookup(new Command(), async () => {});
 * ```
 */
export function registerLookup(program: Program, run: Runner): void {
  program.command("lookup <id>")
    .description("find a peer on the DHT and the onion from its public key or Tox ID")
    .option(
      "-b, --bootstrap <node>",
      "start from HOST:PORT:PUBKEY (repeatable); default: the saved nodes",
      (v: string, prev: string[] = []) => [...prev, v],
    )
    .option("-t, --timeout <seconds>", "give up after this long", "20")
    .option("-p, --parallel <n>", "requests in flight at once", "3")
    .option("--listen <addr>", "UDP address to bind (HOST:PORT)")
    .option(
      "--tcp-relay <node>",
      TCP_RELAY_HELP,
      (v: string, prev: string[] = []) => [...prev, v],
    )
    .addHelpText("after", LOOKUP_EXAMPLES)
    .action((id, opts) =>
      run(async (g, io) => runLookup(await parseLookupOptions(id, opts), g, io))
    );
}
