/**
 * `peerkit nat`: what stands between this host and the internet, in the spirit of
 * `tailscale netcheck` and `stunclient`. It runs RFC 5780 behaviour discovery against STUN
 * servers (coturn, any `peerkit relay serve`, which answers STUN on its UDP port) and reports
 * the public endpoint, mapping and filtering in RFC 4787 words, hairpinning, port
 * preservation, the round trip to each server, and a verdict a user can act on.
 *
 * @example
 * ```ts
 * import { parseNatOptions } from "./nat.ts";
 * const o = await parseNatOptions({ stun: ["127.0.0.1:3478"], timeout: "2" });
 * console.assert(o.servers.length === 1 && o.timeoutMs === 2000);
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
import { type Addr, formatAddr, parseAddr } from "../lib/net/addr.ts";
import { parseIp } from "../lib/net/ip.ts";
import { familyJson, type FamilyResult, formatNatReport, withLocalIp } from "./_nat_report.ts";

export { type FamilyResult, formatNatReport, withLocalIp } from "./_nat_report.ts";

/** Help text shown after the options. */
export const NAT_EXAMPLES = `
Examples:
  $ peerkit nat --relay 192.0.2.10:33445          # a peerkit relay answers STUN on its UDP port
  $ peerkit nat --stun 127.0.0.1:3478 --stun 127.0.0.1:3479 --json
  $ peerkit nat --relay tox.example.org:33445:<64 HEX> --timeout 3
  $ peerkit nat                                   # the nodes saved by 'peerkit bootstrap'

Prints the public IPv4 (and IPv6) endpoint, mapping and filtering (RFC 4787: endpoint-
independent, address-dependent, address-and-port-dependent), hairpinning, whether the NAT
keeps the local port, the round trip to each server, and a verdict:
  open      no NAT seen: peers can reach this host directly
  easy      endpoint-independent mapping: direct paths to most peers
  hard      symmetric NAT: direct only to easy peers (birthday method), relay otherwise
  blocked   no server answered over UDP: relay only
  unknown   UDP works, but no server offers a second address (OTHER-ADDRESS) to test with
Mapping and filtering need a server with a second IP and port: coturn with two
--listening-ip and --alt-listening-port, or 'peerkit relay serve --stun-alternate'.
Saved nodes answer only when they run peerkit; tox-bootstrapd does not speak STUN.
Exit 0 verdict reached, 1 no server answered, 2 usage error.`;

/**
 * The command's retransmission timing: requests at 0, 80, 240 and 560 ms, given up at
 * 880 ms. A filtered test costs 0.88 s, so a full verdict takes about 0.9 s plus three
 * round trips without loss, and stays under 3 s at 20 ms one-way latency and 5 % loss even
 * when each test needs its last request (0.6 + 0.88 + 0.6 s); four requests make a
 * wrong answer from loss alone (about 0.1^4 per test) rare.
 */
export const NAT_TIMING: Readonly<{ rto: number; attempts: number; rm: number }> = {
  rto: 80,
  attempts: 4,
  rm: 4,
};

const optionsSchema = (z: Zod) =>
  z.object({
    stun: z.array(z.string()).default([]),
    relay: z.array(z.string()).default([]),
    timeout: z.string().default("5"),
    listen: z.string().optional(),
  }).strict();

/** A server as given: host (IP or DNS name) and UDP port. */
export interface NatServerSpec {
  /** IP literal or DNS name. */
  host: string;
  /** UDP port. */
  port: number;
  /** Where it came from. */
  kind: "stun" | "relay" | "saved";
}

/** Validated options of `nat`. */
export interface NatCommandOptions {
  /** Servers from `--stun` and `--relay`, in order; empty: the saved nodes. */
  servers: NatServerSpec[];
  /** Give up on the whole check after this. */
  timeoutMs: number;
  /** Local address to bind for servers of its family (default 0.0.0.0:0 and [::]:0). */
  listen?: Addr;
}

function parseServer(text: string, kind: "stun" | "relay", check: (h: string) => string) {
  // --relay takes HOST:PORT or HOST:PORT:PUBKEY (the key is not needed for STUN).
  const m = kind === "relay" ? /^(.*):([0-9a-fA-F]{64})$/.exec(text) : null;
  const hostPort = m ? m[1]! : text;
  let a: Addr;
  try {
    a = parseAddr(hostPort);
  } catch {
    throw usageError(
      `nat: --${kind} must be HOST:PORT${kind === "relay" ? "[:PUBKEY]" : ""}, got ${text}`,
    );
  }
  if (a.port === 0) throw usageError(`nat: --${kind} port must be 1..65535, got ${text}`);
  return { host: check(a.hostname), port: a.port, kind };
}

/**
 * Validates the options (usage errors exit 2).
 *
 * @example
 * ```ts
 * import { parseNatOptions } from "./nat.ts";
 * await parseNatOptions({ stun: ["nope"] }).catch((e) => console.assert(e.usage));
 * const o = await parseNatOptions({ relay: ["[::1]:33445:" + "AB".repeat(32)] });
 * console.assert(o.servers[0]!.host === "::1" && o.servers[0]!.kind === "relay");
 * ```
 */
export async function parseNatOptions(raw: unknown): Promise<NatCommandOptions> {
  const { z } = await import("zod");
  const { checkHost, parseListen } = await import("./_nodes.ts");
  const r = optionsSchema(z).safeParse(raw);
  if (!r.success) throw usageError(`nat: ${r.error.issues[0]?.message ?? "bad options"}`);
  const o = r.data;
  const secs = Number(o.timeout);
  if (!/^\d+(\.\d+)?$/.test(o.timeout) || secs <= 0 || secs > 600) {
    throw usageError(`nat: --timeout must be seconds in (0, 600], got ${o.timeout}`);
  }
  const check = (h: string) => checkHost(h, "nat: server");
  const servers = [
    ...o.stun.map((t) => parseServer(t, "stun", check)),
    ...o.relay.map((t) => parseServer(t, "relay", check)),
  ];
  const out: NatCommandOptions = { servers, timeoutMs: secs * 1000 };
  if (o.listen !== undefined) out.listen = parseListen(o.listen, "nat");
  return out;
}

/**
 * Parses `relay serve --stun-alternate HOST:PORT`: an IP literal whose family matches the
 * `--host` it needs (a specific address, not a wildcard), on a port other than the UDP port.
 *
 * @example
 * ```ts
 * import { parseStunAlternate } from "./nat.ts";
 * console.assert(parseStunAlternate("127.0.0.2:3479", "127.0.0.1", 33445).port === 3479);
 * try {
 *   parseStunAlternate("127.0.0.2:3479", undefined, 33445);
 * } catch (e) {
 *   console.assert((e as { usage: boolean }).usage);
 * }
 * ```
 */
export function parseStunAlternate(text: string, host: string | undefined, udpPort: number): Addr {
  const what = "relay serve: --stun-alternate";
  let a: Addr;
  try {
    a = parseAddr(text);
  } catch {
    throw usageError(`${what} must be IP:PORT, got ${text}`);
  }
  const ip = parseIp(a.hostname), hostIp = host === undefined ? null : parseIp(host);
  if (!ip) throw usageError(`${what} needs an IP address, got ${a.hostname}`);
  if (!hostIp || hostIp.every((b) => b === 0)) {
    throw usageError(`${what} needs --host set to this host's first IP (not a wildcard)`);
  }
  if (hostIp.length !== ip.length) throw usageError(`${what} must be the same family as --host`);
  if (hostIp.every((b, i) => b === ip[i])) {
    throw usageError(`${what} needs an IP other than --host`);
  }
  if (a.port === 0 || a.port === udpPort) {
    throw usageError(`${what} needs a fixed port other than --udp-port, got ${a.port}`);
  }
  return a;
}

/** Resolves specs to addresses, IPv4 first; names that do not resolve are returned apart. */
async function resolveServers(specs: NatServerSpec[]) {
  const v4: Addr[] = [], v6: Addr[] = [], unresolved: string[] = [];
  for (const s of specs) {
    const ip = parseIp(s.host);
    if (ip) {
      (ip.length === 4 ? v4 : v6).push({ hostname: s.host, port: s.port });
      continue;
    }
    let any = false;
    for (const [type, list] of [["A", v4], ["AAAA", v6]] as const) {
      const ips = await Deno.resolveDns(s.host, type).catch(() => [] as string[]);
      if (ips[0]) list.push({ hostname: ips[0], port: s.port });
      any ||= ips.length > 0;
    }
    if (!any) unresolved.push(s.host);
  }
  const dedup = (l: Addr[]) => [...new Map(l.map((a) => [formatAddr(a), a])).values()];
  return { v4: dedup(v4), v6: dedup(v6), unresolved };
}

function localIps(): string[] {
  try {
    return Deno.networkInterfaces().map((i) => i.address);
  } catch {
    return [];
  }
}

/**
 * Runs `nat` and returns the exit code.
 *
 * @example
 * ```ts ignore
 * import { parseNatOptions, runNat } from "./nat.ts";
 * const code = await runNat(await parseNatOptions({ stun: ["127.0.0.1:3478"] }), g, io);
 * ```
 */
export async function runNat(o: NatCommandOptions, g: GlobalOptions, io: Io): Promise<number> {
  const { discoverNat } = await import("../lib/nat/driver.ts");
  const { natVerdict } = await import("../lib/nat/report.ts");
  let specs = o.servers, source = "arguments";
  if (specs.length === 0) {
    const { loadSavedNodes } = await import("./_nodes.ts");
    specs = (await loadSavedNodes(g.home)).map((n) => ({
      host: n.host,
      port: n.port,
      kind: "saved",
    }));
    source = "saved";
  }
  const { v4, v6, unresolved } = await resolveServers(specs);
  for (const u of unresolved) {
    if (!g.quiet && !g.json) io.err(`peerkit: cannot resolve ${u}, skipped`);
  }
  if (v4.length + v6.length === 0) {
    const message = specs.length > 0
      ? `no servers to ask: cannot resolve ${unresolved.join(", ")}`
      : "no servers to ask: give --stun HOST:PORT or --relay HOST:PORT, or run 'peerkit bootstrap' first";
    if (g.json) io.out(JSON.stringify({ verdict: null, error: "NO_SERVERS", message, unresolved }));
    io.err(`peerkit: ${message}`);
    return EXIT.FAILED;
  }
  const signal = AbortSignal.any([io.signal, AbortSignal.timeout(o.timeoutMs)]);
  const t0 = performance.now();
  const ips = localIps();
  const run = async (servers: Addr[], bind: Addr): Promise<FamilyResult | null> => {
    if (servers.length === 0) return null;
    const raw = await discoverNat({ servers, bind, signal, ...NAT_TIMING });
    const report = withLocalIp(raw, ips);
    return { report, verdict: natVerdict(report) };
  };
  const listenV6 = o.listen !== undefined && o.listen.hostname.includes(":");
  const [ipv4, ipv6] = await Promise.all([
    run(v4, !listenV6 && o.listen ? o.listen : { hostname: "0.0.0.0", port: 0 }),
    // Without an IPv6 route the sends fail at once and the family reports no answer.
    run(v6, listenV6 && o.listen ? o.listen : { hostname: "::", port: 0 }),
  ]);
  const elapsedMs = performance.now() - t0;
  const main = ipv4?.report.udp ? ipv4 : ipv6?.report.udp ? ipv6 : ipv4 ?? ipv6;
  const verdict = main!.verdict;
  const udp = verdict.level !== "blocked";
  const human = formatNatReport({ ipv4, ipv6, verdict, elapsedMs });
  if (!udp && source === "saved") {
    human.push("note: the saved nodes answer STUN only if they run peerkit relay serve");
  }
  emit(g, io, {
    verdict: verdict.level,
    summary: verdict.summary,
    ipv4: familyJson(ipv4),
    ipv6: familyJson(ipv6),
    elapsedMs: Math.round(elapsedMs),
    source,
    unresolved,
  }, g.quiet ? [`verdict: ${verdict.summary}`] : human);
  return udp ? EXIT.OK : EXIT.FAILED;
}

/**
 * Adds `nat` to the program.
 *
 * @example
 * ```ts
 * import { Command } from "@commander-js/extra-typings";
 * import { registerNat } from "./nat.ts";
 * registerNat(new Command(), async () => {});
 * ```
 */
export function registerNat(program: Program, run: Runner): void {
  const collect = (v: string, prev: string[] = []) => [...prev, v];
  program.command("nat")
    .description("check the NAT in front of this host: mapping, filtering, verdict (STUN)")
    .option("-s, --stun <host:port>", "STUN server to ask (repeatable)", collect)
    .option("-r, --relay <host:port[:pubkey]>", "peerkit relay's UDP port (repeatable)", collect)
    .option("-t, --timeout <seconds>", "give up on the whole check after this long", "5")
    .option("--listen <addr>", "local address to bind for servers of its family (HOST:PORT)")
    .addHelpText("after", NAT_EXAMPLES)
    .action((opts) => run(async (g, io) => runNat(await parseNatOptions(opts), g, io)));
}
