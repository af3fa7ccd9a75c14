/**
 * `peerkit bootstrap`: join the Tox DHT through known nodes, report which answered and how
 * fast, count the nodes discovered, and save the good ones for the next run.
 *
 * @example
 * ```ts
 * import { parseBootstrapOptions } from "./bootstrap.ts";
 * console.assert((await parseBootstrapOptions({ timeout: "2" }, [])).timeoutMs === 2000);
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
import { resolvePath } from "./_io.ts";
import type { IdentityChoice } from "./_identity.ts";

/** Help text shown after the options. */
export const BOOTSTRAP_EXAMPLES = `
Examples:
  $ peerkit bootstrap                                   # saved nodes, else the public list
  $ peerkit bootstrap --bootstrap 127.0.0.1:33445:<64-hex key>
  $ peerkit bootstrap 10.0.0.5:33445:<key> 10.0.0.6:33445:<key> --timeout 10
  $ peerkit bootstrap --nodes nodes.json --json         # Tox nodes.json format
  $ peerkit bootstrap --stay                            # serve the DHT as you until Ctrl-C
  $ peerkit bootstrap --stay --key node.key             # ... as the identity in node.key
  $ peerkit bootstrap --stay --ephemeral                # ... under a throwaway key

With --stay the DHT node runs under your identity (<home>/identity.key, created when
missing, or --key FILE, which must exist), so 'peerkit lookup <your id>' finds your address;
--ephemeral uses a throwaway key instead. A one-shot bootstrap uses a throwaway key unless
--key is given. Each node is pinged and asked for nodes close to our key; the report lists who answered
and the round trip, and how many distinct nodes were discovered within --timeout. Nodes
that answered are saved to <home>/dht-nodes.json for the next run. Exit 1 when no
bootstrap node answered.`;

const SOURCE_TEXT = {
  arguments: "given",
  file: "listed",
  saved: "saved",
  builtin: "built-in public",
} as const;

const optionsSchema = (z: Zod) =>
  z.object({
    bootstrap: z.array(z.string()).default([]),
    nodes: z.string().min(1).optional(),
    timeout: z.string().default("5"),
    listen: z.string().optional(),
    save: z.boolean().default(true),
    stay: z.boolean().default(false),
    key: z.string().min(1).optional(),
    ephemeral: z.boolean().default(false),
  }).strict();

/** Validated options of `bootstrap`. */
export interface BootstrapOptions {
  /** `HOST:PORT:PUBKEY` specs. */
  specs: string[];
  /** nodes.json file. */
  nodesFile?: string;
  /** Discovery time. */
  timeoutMs: number;
  /** Bind address. */
  listen?: Addr;
  /** Save good nodes. */
  save: boolean;
  /** Keep running until interrupted. */
  stay: boolean;
  /**
   * The DHT key: `"home"` (the identity in the state directory, created when missing), a
   * key file path (must exist), or `"ephemeral"` (a fresh key for this run).
   */
  identity: IdentityChoice;
}

/**
 * Validates raw options and positional node specs.
 *
 * @example
 * ```ts
 * import { parseBootstrapOptions } from "./bootstrap.ts";
 * await parseBootstrapOptions({ timeout: "x" }, []).catch((e) => console.assert(e.usage));
 * ```
 */
export async function parseBootstrapOptions(
  raw: unknown,
  positional: string[],
): Promise<BootstrapOptions> {
  const { z } = await import("zod");
  const r = optionsSchema(z).safeParse(raw);
  if (!r.success) throw usageError(`bootstrap: ${r.error.issues[0]?.message ?? "bad options"}`);
  const o = r.data;
  const secs = Number(o.timeout);
  if (!Number.isFinite(secs) || secs <= 0 || secs > 3600) {
    throw usageError(`bootstrap: --timeout must be seconds in (0, 3600], got ${o.timeout}`);
  }
  const specs = [...positional, ...o.bootstrap];
  if (specs.length > 0 && o.nodes !== undefined) {
    throw usageError("bootstrap: give nodes either as arguments/--bootstrap or with --nodes");
  }
  if (o.key !== undefined && o.ephemeral) {
    throw usageError("bootstrap: give either --key or --ephemeral, not both");
  }
  const identity = o.key !== undefined
    ? { file: o.key }
    : o.stay && !o.ephemeral
    ? "home" as const
    : "ephemeral" as const;
  const out: BootstrapOptions = {
    specs,
    timeoutMs: secs * 1000,
    save: o.save,
    stay: o.stay,
    identity,
  };
  if (o.nodes !== undefined) out.nodesFile = o.nodes;
  if (o.listen !== undefined) {
    const { parseListen } = await import("./_nodes.ts");
    out.listen = parseListen(o.listen, "bootstrap");
  }
  return out;
}

/**
 * Runs `bootstrap` and returns the exit code.
 *
 * @example
 * ```ts ignore
 * import { runBootstrap } from "./bootstrap.ts";
 * import { bufferIo } from "./_io.ts";
 * await runBootstrap(opts, { json: true, quiet: false, verbose: false, home }, bufferIo());
 * ```
 */
export async function runBootstrap(o: BootstrapOptions, g: GlobalOptions, io: Io): Promise<number> {
  const join = await import("./_dht.ts");
  const files = await import("./_nodes.ts");
  const { formatPublicKey } = await import("../lib/identity/mod.ts");
  for (const s of o.specs) files.parseNodeSpec(s);
  const start = await files.resolveStartNodes({
    specs: o.specs,
    ...(o.nodesFile !== undefined ? { nodesFile: resolvePath(io.cwd, o.nodesFile) } : {}),
    home: g.home,
    builtin: true,
  });
  const unresolved = start.unresolved.map((u) => u.host);
  for (const u of unresolved) {
    if (!g.quiet && !g.json) io.err(`peerkit: cannot resolve ${u}, skipped`);
  }
  if (start.nodes.length === 0) {
    const message = unresolved.length > 0
      ? `no bootstrap node to contact: cannot resolve ${unresolved.join(", ")}`
      : `no bootstrap node to contact: none ${SOURCE_TEXT[start.source]}`;
    if (g.json) io.out(JSON.stringify({ ok: false, error: "NO_NODES", message, unresolved }));
    io.err(`peerkit: ${message}`);
    return EXIT.FAILED;
  }
  const { loadIdentity } = await import("./_identity.ts");
  const keyPair = await loadIdentity(o.identity, g.home, io);
  const bridge = join.eventBridge();
  await using driver = await join.openDriver({
    listen: o.listen ?? join.chooseListen(start.nodes),
    keyPair,
    onEvent: bridge.emit,
  });
  const progress = io.stderrIsTTY && !g.quiet && !g.json;
  if (!g.quiet && !g.json) {
    io.err(
      `contacting ${start.nodes.length} ${SOURCE_TEXT[start.source]} node(s) from ${
        formatAddr(driver.localAddr)
      } for ${o.timeoutMs / 1000} s…`,
    );
  }
  const r = await join.runBootstrap(driver, start.nodes, bridge.target, {
    timeoutMs: o.timeoutMs,
    signal: io.signal,
    onProgress: progress
      ? (p) => io.err(`  answered ${p.answered}, discovered ${p.discovered}`)
      : undefined,
  });
  const ok = r.nodes.some((n) => n.answered);
  let savedTo: string | undefined;
  if (o.save && r.good.length > 0) {
    savedTo = await files.saveNodes(g.home, r.good.map(files.toBootstrapNode));
  }
  const rows = r.nodes.map((n) => ({
    address: formatAddr(n.node.addr),
    publicKey: formatPublicKey(n.node.publicKey),
    answered: n.answered,
    rttMs: n.rttMs ?? null,
    ...(n.sendError ? { sendError: n.sendError } : {}),
  }));
  const human = rows.map((x) =>
    `${x.answered ? "ok  " : "--  "} ${x.address.padEnd(22)} ${x.publicKey.slice(0, 16)}…  ${
      x.answered ? `${x.rttMs} ms` : x.sendError ? `send failed: ${x.sendError}` : "no answer"
    }`
  );
  human.push(
    `${rows.filter((x) => x.answered).length}/${rows.length} bootstrap nodes answered; ` +
      `${r.discovered} distinct nodes discovered (${r.answered} answered us) in ${
        Math.round(r.elapsedMs)
      } ms`,
  );
  if (savedTo) human.push(`saved ${Math.min(r.good.length, 64)} good nodes to ${savedTo}`);
  emit(g, io, {
    ok,
    source: start.source,
    localAddress: formatAddr(driver.localAddr),
    publicKey: formatPublicKey(driver.node.publicKey),
    identity: typeof o.identity === "string" ? o.identity : "file",
    nodes: rows,
    discovered: r.discovered,
    answeredUs: r.answered,
    good: r.good.length,
    elapsedMs: Math.round(r.elapsedMs),
    savedTo: savedTo ?? null,
    unresolved,
  }, human);
  if (o.stay && ok && !io.signal.aborted) {
    if (!g.quiet && !g.json) {
      io.err(`serving the DHT as ${formatPublicKey(driver.node.publicKey)}; Ctrl-C to stop`);
    }
    await using _onion = await (await import("./_onion.ts")).startAnnouncer(
      driver,
      keyPair,
      o.identity,
      g,
      io,
    );
    await new Promise<void>((resolve) => io.signal.addEventListener("abort", () => resolve()));
    if (o.save) {
      const good = driver.node.goodNodes();
      if (good.length > 0) await files.saveNodes(g.home, good.map(files.toBootstrapNode));
    }
  }
  return ok ? EXIT.OK : EXIT.FAILED;
}

/**
 * Adds `bootstrap` to the program.
 *
 * @example
 * ```ts
 * import { Command } from "@commander-js/extra-typings";
 * import { registerBootstrap } from "./bootstrap.ts";
 * registerBootstrap(new Command(), async () => {});
 * ```
 */
export function registerBootstrap(program: Program, run: Runner): void {
  program.command("bootstrap")
    .description("join the DHT through known nodes and report who answered")
    .argument("[nodes...]", "bootstrap nodes as HOST:PORT:PUBKEY")
    .option(
      "-b, --bootstrap <node>",
      "bootstrap node HOST:PORT:PUBKEY (repeatable)",
      (v: string, prev: string[] = []) => [...prev, v],
    )
    .option("--nodes <file>", "bootstrap nodes from a Tox nodes.json file")
    .option("-t, --timeout <seconds>", "how long to discover nodes", "5")
    .option("--listen <addr>", "UDP address to bind (HOST:PORT)")
    .option("--no-save", "do not save the good nodes to the state directory")
    .option("--stay", "keep serving the DHT after the report, until interrupted")
    .option("--key <file>", "run the DHT node under this identity (default with --stay: yours)")
    .option("--ephemeral", "run the DHT node under a throwaway key")
    .addHelpText("after", BOOTSTRAP_EXAMPLES)
    .action((nodes, opts) =>
      run(async (g, io) => runBootstrap(await parseBootstrapOptions(opts, nodes), g, io))
    );
}
