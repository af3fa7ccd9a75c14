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
import { freePort } from "../test/_support/toxcore.ts";

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
  const dir = await Deno.makeTempDir({ prefix: "peerkit-bench-relay-" });
  const udpPort = freePort(), tcpPort = freePort();
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--quiet",
      new URL("../cli.ts", import.meta.url).pathname,
      "--json",
      "--home",
      dir,
      "relay",
      "serve",
      "--host",
      "127.0.0.1",
      "--udp-port",
      String(udpPort),
      "--tcp-port",
      String(tcpPort),
      ...extra,
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.getReader();
  let text = "";
  while (!text.includes("\n")) {
    const r = await reader.read();
    if (r.done) throw new Error("relay serve exited before printing its key");
    text += new TextDecoder().decode(r.value);
  }
  reader.releaseLock();
  const drain = child.stdout.pipeTo(new WritableStream());
  const info = JSON.parse(text.split("\n")[0]!);
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    child.kill("SIGTERM");
    await child.status;
    await drain.catch(() => {});
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  return {
    name: "peerkit relay serve",
    pid: child.pid,
    tcpPort,
    publicKey: fromHex(info.publicKey),
    rssKiB: () => rssKiB(child.pid),
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
