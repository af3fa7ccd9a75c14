/**
 * Time to a full NAT verdict on loopback, peerkit beside Debian's `stun` client (0.97, the
 * anchor) against the same two servers: `peerkit relay serve --stun-alternate` (our
 * responder) and coturn's `turnserver` (STUN only, two loopback IPs, an alternate port).
 *
 * For each server it times, run by run:
 * - `discoverNat` in process (the library: mapping tests I-III, filtering tests II-III,
 *   hairpinning, with the `peerkit nat` timing);
 * - `peerkit nat --json` as a process (start-up included), plus `peerkit --version` alone
 *   so the start-up share is visible;
 * - `stun HOST:PORT` as a process (its tests I, II, III, I(2) and hairpin).
 * A run is clean when it reached a full verdict (peerkit: mapping and filtering known;
 * stun: a "Primary:" line other than "Blocked"). The summary gives the best and median clean
 * time per side and the ratio to the anchor. Loopback has no NAT, so no test times out here;
 * the lab adds NATs, latency and loss.
 *
 * Runs are `--pause-ms` apart (default 600): `relay serve` rate-limits STUN per source IP
 * (10 per second, burst 20) and one check sends it 5 requests, so back-to-back checks from
 * 127.0.0.1 would measure the limiter (retransmissions after the 4th run), not a check.
 *
 *     deno run -A bench/nat_verdict.ts [--runs 10] [--pause-ms 600]
 *
 * @module
 */
import { discoverNat } from "../lib/nat/driver.ts";
import { natVerdict } from "../lib/nat/report.ts";
import { formatAddr } from "../lib/net/addr.ts";
import { NAT_TIMING, withLocalIp } from "../commands/nat.ts";
import { IP1, spawnRelayWithAlternate, startCoturn } from "../test/nat/_loopback.ts";
import { which } from "../test/_support/env.ts";
import { median } from "./_measure.ts";

const CLI = new URL("../cli.ts", import.meta.url).pathname;
const runsArg = Deno.args.indexOf("--runs");
const RUNS = runsArg >= 0 ? Math.max(1, Math.min(100, Number(Deno.args[runsArg + 1]) || 10)) : 10;
const pauseArg = Deno.args.indexOf("--pause-ms");
const PAUSE_MS = pauseArg >= 0
  ? Math.max(0, Math.min(10_000, Number(Deno.args[pauseArg + 1]) || 0))
  : 600;
const PROCESS_TIMEOUT_MS = 30_000;

interface Run {
  ms: number;
  clean: boolean;
  verdict: string;
}

/** Runs a process to its exit (killed after 30 s) and times it. */
async function timed(cmd: string, args: string[]): Promise<{ ms: number; out: string }> {
  const t0 = performance.now();
  const child = new Deno.Command(cmd, {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  const killer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch { /* gone */ }
  }, PROCESS_TIMEOUT_MS);
  const o = await child.output();
  clearTimeout(killer);
  const d = new TextDecoder();
  return { ms: performance.now() - t0, out: d.decode(o.stdout) + d.decode(o.stderr) };
}

async function inProcess(server: { hostname: string; port: number }): Promise<Run> {
  const t0 = performance.now();
  const r = await discoverNat({
    servers: [server],
    bind: { hostname: "0.0.0.0", port: 0 },
    ...NAT_TIMING,
  });
  const ms = performance.now() - t0;
  const ips = Deno.networkInterfaces().map((i) => i.address);
  const v = natVerdict(withLocalIp(r, ips)).level;
  return { ms, clean: r.mapping !== "unknown" && r.filtering !== "unknown", verdict: v };
}

async function cli(home: string, server: string): Promise<Run> {
  const { ms, out } = await timed(Deno.execPath(), [
    "run",
    "-A",
    "--quiet",
    CLI,
    "--home",
    home,
    "--json",
    "nat",
    "--stun",
    server,
  ]);
  try {
    const d = JSON.parse(out.split("\n")[0] ?? "");
    const clean = d.ipv4?.mapping !== "unknown" && d.ipv4?.filtering !== "unknown";
    return { ms, clean: clean && d.verdict !== "blocked", verdict: String(d.verdict) };
  } catch {
    return { ms, clean: false, verdict: "no output" };
  }
}

async function startup(): Promise<Run> {
  const { ms, out } = await timed(Deno.execPath(), ["run", "-A", "--quiet", CLI, "--version"]);
  return { ms, clean: /\d+\.\d+\.\d+/.test(out), verdict: "-" };
}

async function stunClient(server: string): Promise<Run> {
  const { ms, out } = await timed("stun", [server]);
  const m = /Primary: ([^\n\t]+)/.exec(out);
  const verdict = m ? m[1]!.trim() : "no answer";
  return { ms, clean: !!m && !/Blocked/i.test(verdict), verdict };
}

async function series(name: string, one: () => Promise<Run>): Promise<[string, Run[]]> {
  const runs: Run[] = [];
  for (let i = 0; i < RUNS; i++) {
    if (i > 0 && PAUSE_MS > 0) await new Promise((r) => setTimeout(r, PAUSE_MS));
    runs.push(await one());
  }
  return [name, runs];
}

function row(name: string, runs: Run[]): string {
  const clean = runs.filter((r) => r.clean).map((r) => r.ms);
  const best = clean.length ? Math.min(...clean) : NaN;
  const verdicts = [...new Set(runs.map((r) => r.verdict))].join("/");
  return `| ${name.padEnd(62)} | ${`${clean.length}/${runs.length}`.padStart(5)} | ${
    best.toFixed(1).padStart(8)
  } | ${(clean.length ? median(clean) : NaN).toFixed(1).padStart(8)} | ${verdicts} |`;
}

const best = (runs: Run[]) => Math.min(...runs.filter((r) => r.clean).map((r) => r.ms));

console.log(
  `# NAT verdict time on loopback, ${RUNS} runs per row, ${PAUSE_MS} ms apart (${
    new Date().toISOString()
  })`,
);
console.log(`# deno ${Deno.version.deno}, ${Deno.build.os}/${Deno.build.arch}`);
const haveStun = which("stun") !== null, haveCoturn = which("turnserver") !== null;
if (!haveStun) {
  console.log("# note: Debian's `stun` (package stun-client) is missing: no anchor rows");
}
if (!haveCoturn) console.log("# note: `turnserver` (package coturn) is missing: no coturn rows");

const home = await Deno.makeTempDir({ prefix: "peerkit-bench-nat-" });
const { s: relay, udp } = await spawnRelayWithAlternate(["--rate", "0"]);
const coturn = haveCoturn ? await startCoturn() : null;
const results: { server: string; rows: [string, Run[]][] }[] = [];
try {
  const servers: [string, { hostname: string; port: number }][] = [
    ["relay serve", { hostname: IP1, port: udp }],
    ...(coturn ? [["coturn", coturn.primary] as [string, { hostname: string; port: number }]] : []),
  ];
  const start = await series("peerkit --version (start-up only)", startup);
  for (const [label, addr] of servers) {
    const s = formatAddr(addr);
    const rows: [string, Run[]][] = [];
    rows.push(await series("peerkit discoverNat (in process)", () => inProcess(addr)));
    rows.push(await series("peerkit nat --json (process)", () => cli(home, s)));
    if (haveStun) rows.push(await series("stun 0.97 (process, anchor)", () => stunClient(s)));
    results.push({ server: `${label} ${s}`, rows });
  }
  console.log("\n## Every run (ms; * = not clean)\n");
  for (const { server, rows } of [{ server: "-", rows: [start] }, ...results]) {
    for (const [name, runs] of rows) {
      const list = runs.map((r) => `${r.ms.toFixed(1)}${r.clean ? "" : "*"}`).join(" ");
      console.log(`${server.padEnd(28)} ${name.padEnd(36)} ${list}`);
    }
  }
  console.log("\n## Summary (clean runs; ms)\n");
  console.log(
    `| ${"server: side".padEnd(62)} | clean | best, ms | median ms | verdicts |`,
  );
  console.log(`| ${"-".repeat(62)} | ----: | -------: | --------: | -------- |`);
  console.log(row("peerkit --version (start-up only)", start[1]));
  for (const { server, rows } of results) {
    for (const [name, runs] of rows) console.log(row(`${server}: ${name}`, runs));
  }
  console.log("\n## Ratio: anchor's best time / peerkit's best time (> 1: peerkit is faster)");
  console.log(
    "## (process against process is the like-for-like row; in process leaves out start-up)\n",
  );
  for (const { server, rows } of results) {
    const anchor = rows.find(([n]) => n.startsWith("stun"));
    if (!anchor) continue;
    for (const [name, runs] of rows.filter(([n]) => !n.startsWith("stun"))) {
      const r = best(anchor[1]) / best(runs);
      console.log(`${server.padEnd(28)} ${name.padEnd(36)} ${r.toFixed(2)}x`);
    }
  }
  const [ours, theirs] = results;
  if (ours && theirs) {
    console.log(
      "\n## Servers: coturn's best / relay serve's best, same client (> 1: relay serve is faster)\n",
    );
    for (const [name, runs] of ours.rows) {
      const other = theirs.rows.find(([n]) => n === name);
      if (other) console.log(`${name.padEnd(36)} ${(best(other[1]) / best(runs)).toFixed(2)}x`);
    }
  }
} finally {
  await coturn?.[Symbol.asyncDispose]();
  await relay.stop();
  await Deno.remove(home, { recursive: true }).catch(() => {});
}
