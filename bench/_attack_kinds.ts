/**
 * The attacks of bench/attack.ts: each starts its attacker process(es) against one server,
 * waits for them (killed if they overrun) and returns a short note of what was offered.
 *
 * @example
 * ```ts
 * import { ATTACKS } from "./_attack_kinds.ts";
 * console.assert(new Set(ATTACKS.map((a) => a.name)).size === ATTACKS.length);
 * ```
 * @module
 */
import type { CanaryTarget } from "./_attack_canary.ts";
import {
  kindDatagrams,
  onionDatagrams,
  pingDatagrams,
  randomDatagrams,
  records,
  sizeDatagrams,
} from "./_attack_packets.ts";
import { toHex } from "../lib/util/bytes.ts";
import { compileBenchC } from "./_load_gen.ts";

/** What an attack gets. */
export interface AttackContext {
  /** The compiled bench/attack_flood.c. */
  bin: string;
  /** A scratch directory. */
  tmp: string;
  /** The server. */
  port: CanaryTarget;
  /** How long to attack. */
  seconds: number;
}

/** One attack. */
export interface Attack {
  /** Short name (the `--only` key). */
  name: string;
  /** Runs it; resolves with a note of what was offered. */
  run(ctx: AttackContext): Promise<string>;
}

/** Source addresses the floods use (127.0.1.1 ..). */
const SOURCES = 200;

/**
 * Compiles bench/attack_flood.c into `dir`; returns the binary's path.
 *
 * @example
 * ```ts ignore
 * import { compileFlood } from "./_attack_kinds.ts";
 * console.log(await compileFlood(await Deno.makeTempDir()));
 * ```
 */
export function compileFlood(dir: string): Promise<string> {
  return compileBenchC("attack_flood", dir);
}

/** Runs a command, SIGKILLed `seconds + 10` s after start; returns its stdout line. */
async function run(cmd: string, args: string[], seconds: number): Promise<string> {
  const child = new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).spawn();
  const timer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch { /* gone */ }
  }, (seconds + 10) * 1000);
  const out = await child.output().finally(() => clearTimeout(timer));
  const text = new TextDecoder().decode(out.stdout).trim();
  if (!out.success) {
    return `attacker failed: ${new TextDecoder().decode(out.stderr).trim().slice(0, 200)}`;
  }
  return text;
}

/** A note from an attacker's "sent N ... seconds S" line: per-second figures. */
function rates(line: string, what: string): string {
  const m = /sent (\d+)(?: opened (\d+) failed (\d+))?.* seconds ([\d.]+)/.exec(line);
  if (!m) return line;
  const s = Number(m[4]) || 1;
  const per = (x: string | undefined) => Math.round(Number(x ?? 0) / s);
  return m[2] === undefined || m[2] === "0"
    ? `${per(m[1])} ${what}/s`
    : `${what}: ${m[2]} opened, ${m[3]} failed, ${m[1]} written`;
}

function udpFlood(name: string, rate: number, build: (pk: Uint8Array) => Uint8Array[]): Attack {
  return {
    name,
    async run({ bin, tmp, port, seconds }) {
      const file = `${tmp}/${name}.bin`;
      await Deno.writeFile(file, records(build(port.publicKey)));
      const line = await run(bin, [
        "udp",
        String(port.udpPort),
        String(rate),
        String(seconds),
        String(SOURCES),
        file,
      ], seconds);
      return rates(line, "datagrams");
    },
  };
}

function tcp(name: string, mode: "hold" | "churn", n: number, arg: string): Attack {
  return {
    name,
    async run({ bin, port, seconds }) {
      const line = await run(bin, [
        mode,
        String(port.tcpPort),
        String(n),
        String(seconds),
        String(SOURCES),
        arg,
      ], seconds);
      const m = /opened (\d+) failed (\d+).* seconds ([\d.]+)/.exec(line);
      if (!m) return line;
      return mode === "hold"
        ? `${m[1]} held (${m[2]} failed)`
        : `${Math.round(Number(m[1]) / Number(m[3]))} conn/s (${m[2]} failed)`;
    },
  };
}

function relayAbuse(
  name: string,
  clients: number,
  mode: "routes" | "oob" | "onion" | "ffff",
): Attack {
  const script = new URL("./_attack_relay.ts", import.meta.url).pathname;
  return {
    name,
    async run({ port, seconds }) {
      const line = await run(
        Deno.execPath(),
        [
          "run",
          "-A",
          "--quiet",
          script,
          String(port.tcpPort),
          toHex(port.publicKey),
          String(clients),
          String(seconds),
          mode,
        ],
        seconds,
      );
      return rates(line, `${mode} frames`);
    },
  };
}

/** Every attack, in the order they run. */
export const ATTACKS: readonly Attack[] = [
  udpFlood("udp-random", 20_000, () => randomDatagrams(4096)),
  udpFlood("udp-kinds", 20_000, () => kindDatagrams(4096)),
  udpFlood("udp-sizes", 5_000, (pk) => sizeDatagrams(pk, 4096)),
  udpFlood("udp-pings-8192", 20_000, (pk) => pingDatagrams(pk, 8192)),
  udpFlood("udp-onion", 10_000, (pk) => onionDatagrams(pk, 4096)),
  tcp("tcp-idle", "hold", 4000, "none"),
  tcp("tcp-half-hs", "hold", 4000, "partial"),
  tcp("tcp-ffff-stall", "hold", 2000, "ffff"),
  tcp("tcp-random", "churn", 300, "random"),
  tcp("tcp-churn-fin", "churn", 500, "fin"),
  tcp("tcp-churn-rst", "churn", 200, "rst"),
  relayAbuse("relay-ffff-stall", 200, "ffff"),
  relayAbuse("relay-routes", 50, "routes"),
  relayAbuse("relay-oob", 50, "oob"),
  relayAbuse("relay-onion", 50, "onion"),
];
