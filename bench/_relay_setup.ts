/**
 * Shared set-up of the relay benchmarks: starts `peerkit relay serve` (as its own process,
 * like tox-bootstrapd) and tox-bootstrapd on loopback, and stops both by PID.
 *
 * @example
 * ```ts ignore
 * import { startPeerkitRelay } from "./_relay_setup.ts";
 * await using r = await startPeerkitRelay({ rate: "0" });
 * console.log(r.tcpPort, r.publicKeyHex);
 * ```
 * @module
 */
import { fromHex } from "../lib/util/bytes.ts";
import { spawnLoopbackRelay } from "../test/_support/relay_serve.ts";

/** A relay under test. */
export interface BenchRelay extends AsyncDisposable {
  /** Label for output. */
  name: string;
  /** Process id. */
  pid: number;
  /** TCP relay port on 127.0.0.1. */
  tcpPort: number;
  /** Relay public key. */
  publicKey: Uint8Array;
  /** Resident memory of the relay process in KiB (from /proc). */
  rssKiB(): Promise<number>;
  /** Stops it. */
  stop(): Promise<void>;
}

/** RSS of a process in KiB. */
export async function rssKiB(pid: number): Promise<number> {
  const s = await Deno.readTextFile(`/proc/${pid}/status`);
  return Number(/VmRSS:\s+(\d+)/.exec(s)?.[1] ?? NaN);
}

/** Starts `peerkit relay serve` with extra flags on loopback. */
export async function startPeerkitRelay(extra: string[] = []): Promise<BenchRelay> {
  const r = await spawnLoopbackRelay(extra, { stderr: "piped" });
  const s = r.process;
  const stop = async () => void await s.stop();
  return {
    name: "peerkit relay serve",
    pid: s.pid,
    tcpPort: r.tcpPort,
    publicKey: fromHex(r.publicKeyHex),
    rssKiB: () => rssKiB(s.pid),
    stop,
    [Symbol.asyncDispose]: stop,
  };
}

/** Starts tox-bootstrapd (the c-toxcore anchor). */
export async function startToxRelay(): Promise<BenchRelay> {
  const { startBootstrapd } = await import("../test/_support/toxcore.ts");
  const d = await startBootstrapd();
  return {
    name: "tox-bootstrapd 0.2.18",
    pid: d.pid,
    tcpPort: d.tcpPort,
    publicKey: d.publicKey,
    rssKiB: () => rssKiB(d.pid),
    stop: d.stop,
    [Symbol.asyncDispose]: d.stop,
  };
}
