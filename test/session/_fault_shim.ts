/**
 * The UDP impairment shim of the session fault tests: `_fault_shim.c` (beside this file),
 * compiled with `gcc` once per process, runs as its own process between two peers' UDP
 * sockets on loopback, dropping a set percentage of datagrams and holding the rest for a
 * random 0..N ms (so they arrive reordered). Commands go to its stdin; it is stopped by
 * its PID.
 *
 * @example
 * ```ts ignore
 * import { startFaultShim } from "./_fault_shim.ts";
 * await using shim = await startFaultShim(aPort, bPort, 1);
 * await shim.set({ drop: 5, delay: 10 }); // a talks to shim.portA, b to shim.portB
 * ```
 * @module
 */

import { buildC } from "../_support/build_c.ts";

const SOURCE = new URL("./_fault_shim.c", import.meta.url).pathname;

/** The shim's counters, per direction [a → b, b → a]. */
export interface ShimStats {
  passed: [number, number];
  dropped: [number, number];
  full: [number, number];
  sendErrors: [number, number];
}

/** A running shim. */
export interface FaultShim extends AsyncDisposable {
  /** The port `a` sends to (it reaches `b`). */
  portA: number;
  /** The port `b` sends to (it reaches `a`). */
  portB: number;
  /** Sets the drop percentage and/or the maximal extra delay (ms). */
  set(o: { drop?: number; delay?: number }): Promise<void>;
  /** The counters so far. */
  stats(): Promise<ShimStats>;
  /** Stops the process (by its PID) and returns its last counters. */
  stop(): Promise<ShimStats | null>;
}

/**
 * Starts a shim between 127.0.0.1:`aPort` and 127.0.0.1:`bPort` (no impairment until
 * {@link FaultShim.set}); it exits on its own after `maxSeconds`.
 */
export async function startFaultShim(
  aPort: number,
  bPort: number,
  seed: number,
  maxSeconds = 300,
): Promise<FaultShim> {
  const bin = await buildC(SOURCE, "fault_shim");
  const child = new Deno.Command(bin, {
    args: [String(aPort), String(bPort), String(maxSeconds), String(seed)],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const writer = child.stdin.getWriter();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let buf = "";
  const nextLine = async (ms: number): Promise<string> => {
    const end = Date.now() + ms;
    while (!buf.includes("\n")) {
      let t: ReturnType<typeof setTimeout> | undefined;
      const r = await Promise.race([
        lines.read(),
        new Promise<null>((res) => t = setTimeout(() => res(null), Math.max(0, end - Date.now()))),
      ]);
      clearTimeout(t);
      if (r === null || r.done) throw new Error("the fault shim went silent");
      buf += r.value;
    }
    const i = buf.indexOf("\n");
    const line = buf.slice(0, i);
    buf = buf.slice(i + 1);
    return line;
  };
  const say = (s: string) => writer.write(new TextEncoder().encode(s + "\n"));
  let stopped: Promise<ShimStats | null> | null = null;
  const stop = () =>
    stopped ??= (async () => {
      try {
        child.kill("SIGTERM");
      } catch { /* already gone */ }
      const last = await nextLine(5000).then((l) => JSON.parse(l) as ShimStats, () => null);
      await child.status;
      await writer.close().catch(() => {});
      await lines.cancel().catch(() => {});
      return last;
    })();
  const ready = await nextLine(10_000).catch(() => "");
  const m = /^ready (\d+) (\d+)$/.exec(ready);
  if (!m) {
    await stop();
    throw new Error(`the fault shim did not start: ${ready}`);
  }
  return {
    portA: Number(m[1]),
    portB: Number(m[2]),
    async set(o) {
      if (o.drop !== undefined) await say(`drop ${o.drop}`);
      if (o.delay !== undefined) await say(`delay ${o.delay}`);
    },
    async stats() {
      await say("stats");
      return JSON.parse(await nextLine(5000)) as ShimStats;
    },
    stop,
    [Symbol.asyncDispose]: async () => void await stop(),
  };
}
