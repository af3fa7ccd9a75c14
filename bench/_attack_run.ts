/**
 * One attack against one fresh server with the canary watching, for bench/attack.ts and the
 * CI slice in test/attack/: starts the server (peerkit `relay serve` or tox-bootstrapd),
 * runs the canary for a baseline, the attack, and 2.5 s of quiet, sampling the server's
 * memory and descriptors every 100 ms, and stops the server by its PID.
 *
 * @example
 * ```ts ignore
 * import { runOne, startPeerkit } from "./_attack_run.ts";
 * import { ATTACKS, compileFlood } from "./_attack_kinds.ts";
 * const tmp = await Deno.makeTempDir();
 * const row = await runOne(ATTACKS[0]!, "peerkit", startPeerkit, await compileFlood(tmp), tmp, 2);
 * console.log(row.udp[0].pct);
 * ```
 * @module
 */
import { fromHex } from "../lib/util/bytes.ts";
import { startBootstrapd } from "../test/_support/toxcore.ts";
import { spawnLoopbackRelay } from "../test/_support/relay_serve.ts";
import { Canary, type CanaryTarget, type ProbeSummary } from "./_attack_canary.ts";
import type { Attack } from "./_attack_kinds.ts";
import { type ProcSample, sampleProc } from "./_attack_proc.ts";

/** Canary time before the attack starts. */
const BASELINE_MS = 700;
/** The "after" window: this long from the attack's end. */
export const AFTER_MS = 2000;
/** Quiet time after the attack before the server is stopped. */
const QUIET_MS = 2500;

/** A server under test, in its own process. */
export interface Server extends CanaryTarget {
  pid: number;
  alive(): boolean;
  stop(): Promise<void>;
}

/** Starts `peerkit relay serve` on 127.0.0.1 (free ports, LAN discovery off, as the daemon's config). */
export async function startPeerkit(): Promise<Server> {
  const r = await spawnLoopbackRelay(["--no-lan-discovery"]);
  const s = r.process;
  let exited = false;
  return {
    pid: s.pid,
    udpPort: r.udpPort,
    tcpPort: r.tcpPort,
    publicKey: fromHex(r.publicKeyHex),
    alive: () => {
      try {
        Deno.kill(s.pid, "SIGCONT");
        return !exited;
      } catch {
        return false;
      }
    },
    stop: async () => {
      const st = await s.stop();
      exited = true;
      if (st.code !== 0 && st.signal === null) {
        console.error(`peerkit exited ${st.code}: ${s.err().slice(-400)}`);
      }
    },
  };
}

/** Starts tox-bootstrapd on 127.0.0.1 (free ports, LAN discovery off). */
export async function startDaemon(): Promise<Server> {
  const d = await startBootstrapd();
  return {
    pid: d.pid,
    udpPort: d.udpPort,
    tcpPort: d.tcpPort,
    publicKey: d.publicKey,
    alive: () => {
      try {
        Deno.kill(d.pid, "SIGCONT");
        return true;
      } catch {
        return false;
      }
    },
    stop: () => d.stop(),
  };
}

/** The result of one attack on one server. */
export interface Row {
  attack: string;
  server: string;
  udp: [ProbeSummary, ProbeSummary];
  tcp: [ProbeSummary, ProbeSummary];
  idle: ProcSample;
  peak: ProcSample;
  end: ProcSample;
  alive: boolean;
  note: string;
}

/** Runs `attack` for `seconds` against a fresh server from `start`, named `name`. */
export async function runOne(
  attack: Attack,
  name: string,
  start: () => Promise<Server>,
  bin: string,
  tmp: string,
  seconds: number,
): Promise<Row> {
  const server = await start();
  const canary = new Canary(server);
  let peak: ProcSample = { rssMiB: 0, fds: 0 };
  const sampler = setInterval(() => {
    const s = sampleProc(server.pid);
    peak = { rssMiB: Math.max(peak.rssMiB, s.rssMiB), fds: Math.max(peak.fds, s.fds) };
  }, 100);
  try {
    canary.start();
    await new Promise((r) => setTimeout(r, BASELINE_MS));
    const idle = sampleProc(server.pid);
    const t0 = performance.now();
    const note = await attack.run({ bin, tmp, port: server, seconds });
    const t1 = performance.now();
    await new Promise((r) => setTimeout(r, QUIET_MS));
    const end = sampleProc(server.pid);
    await canary.stop();
    const s = (kind: "udp" | "tcp"): [ProbeSummary, ProbeSummary] => [
      Canary.summarise(canary.probes, kind, t0, t1),
      Canary.summarise(canary.probes, kind, t1, t1 + AFTER_MS),
    ];
    return {
      attack: attack.name,
      server: name,
      udp: s("udp"),
      tcp: s("tcp"),
      idle,
      peak,
      end,
      alive: server.alive(),
      note,
    };
  } finally {
    clearInterval(sampler);
    await server.stop();
  }
}
