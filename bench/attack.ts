/**
 * `relay serve` under attack, side by side with tox-bootstrapd (c-toxcore 0.2.18): for each
 * attack, a fresh server of each kind (peerkit as its own `relay serve` process), an
 * independent canary (bench/_attack_canary.ts: a DHT ping over UDP every 100 ms, a new relay
 * handshake plus ping over TCP every 250 ms, from 127.0.0.1), then the attack from other
 * loopback addresses (127.0.1.x) for `--seconds`, then 2.5 s of quiet. Reported per attack
 * and server: the canary's answered % and median latency during the attack and in the 2 s
 * after it, peak resident memory and descriptors (from /proc), and whether the server
 * survived. Every run is printed; nothing is dropped or picked.
 *
 * Floods are cheap: UDP and raw TCP attacks come from a small C program (bench/attack_flood.c,
 * compiled with gcc at start; SO_LINGER 0 makes its resets), relay-client abuse from
 * bench/_attack_relay.ts in its own process. Traffic stays on 127.0.0.0/8.
 *
 *   deno run -A bench/attack.ts [--seconds 3] [--only udp-random,tcp-rst] [--rounds 1]
 *
 * @module
 */
import { loadSodium, setBackend } from "../lib/crypto/mod.ts";
import type { ProbeSummary } from "./_attack_canary.ts";
import { ATTACKS, compileFlood } from "./_attack_kinds.ts";
import { AFTER_MS, type Row, runOne, startDaemon, startPeerkit } from "./_attack_run.ts";

function flag(name: string, def: string): string {
  const i = Deno.args.indexOf(`--${name}`);
  return i >= 0 && Deno.args[i + 1] !== undefined ? Deno.args[i + 1]! : def;
}
const seconds = Number(flag("seconds", "3"));
const rounds = Number(flag("rounds", "1"));
const only = flag("only", "").split(",").filter(Boolean);

function cell(s: ProbeSummary): string {
  return `${s.pct.toFixed(0).padStart(3)}% ${
    s.p50 === null ? "   -" : s.p50.toFixed(1).padStart(5)
  }ms`;
}

setBackend(await loadSodium());
const tmp = await Deno.makeTempDir({ prefix: "peerkit-attack-" });
const rows: Row[] = [];
try {
  const bin = await compileFlood(tmp);
  const attacks = ATTACKS.filter((a) => only.length === 0 || only.includes(a.name));
  console.log(
    `relay serve under attack, ${seconds} s per attack, ${rounds} round(s); canary: UDP ping every 100 ms, ` +
      `TCP handshake + ping every 250 ms; "after" = the ${AFTER_MS / 1000} s after the attack ends`,
  );
  console.log(
    `\n${"attack".padEnd(18)}${"server".padEnd(18)}${"UDP during".padStart(14)}${
      "UDP after".padStart(14)
    }` +
      `${"TCP during".padStart(14)}${"TCP after".padStart(14)}${
        "RSS idle/peak/end MiB".padStart(24)
      }${"fds peak".padStart(10)}  alive  attacker`,
  );
  for (let round = 1; round <= rounds; round++) {
    for (const a of attacks) {
      for (
        const [name, start] of [["tox-bootstrapd", startDaemon], ["peerkit", startPeerkit]] as const
      ) {
        const r = await runOne(a, name, start, bin, tmp, seconds);
        rows.push(r);
        console.log(
          `${r.attack.padEnd(18)}${r.server.padEnd(18)}${cell(r.udp[0]).padStart(14)}${
            cell(r.udp[1]).padStart(14)
          }` +
            `${cell(r.tcp[0]).padStart(14)}${cell(r.tcp[1]).padStart(14)}` +
            `${
              `${r.idle.rssMiB.toFixed(0)}/${r.peak.rssMiB.toFixed(0)}/${r.end.rssMiB.toFixed(0)}`
                .padStart(24)
            }` +
            `${String(r.peak.fds).padStart(10)}  ${r.alive ? "yes  " : "NO   "}  ${r.note}`,
        );
      }
    }
  }
  // Verdict per attack: the worst over rounds of each side, against the targets.
  console.log(
    `\nTargets: canary >= 90% during, >= 95% after (UDP and TCP), peerkit never below tox-bootstrapd, peak RSS < 256 MiB`,
  );
  console.log(
    `${"attack".padEnd(18)}${"worst peerkit U/T during, after".padStart(34)}${
      "worst bootstrapd".padStart(26)
    }  verdict`,
  );
  for (const a of attacks) {
    const worst = (server: string) => {
      const rs = rows.filter((r) => r.attack === a.name && r.server === server);
      const m = (f: (r: Row) => number) => Math.min(...rs.map(f));
      return {
        ud: m((r) => r.udp[0].pct),
        ua: m((r) => r.udp[1].pct),
        td: m((r) => r.tcp[0].pct),
        ta: m((r) => r.tcp[1].pct),
        rss: Math.max(...rs.map((r) => r.peak.rssMiB)),
        alive: rs.every((r) => r.alive),
      };
    };
    const p = worst("peerkit"), d = worst("tox-bootstrapd");
    const fmt = (w: typeof p) =>
      `${w.ud.toFixed(0)}/${w.td.toFixed(0)}, ${w.ua.toFixed(0)}/${w.ta.toFixed(0)}`;
    const misses: string[] = [];
    if (Math.min(p.ud, p.td) < 90) misses.push("during < 90%");
    if (Math.min(p.ua, p.ta) < 95) misses.push("after < 95%");
    if (p.ud < d.ud || p.td < d.td || p.ua < d.ua || p.ta < d.ta) misses.push("below bootstrapd");
    if (p.rss >= 256) misses.push("RSS >= 256 MiB");
    if (!p.alive) misses.push("DIED");
    console.log(
      `${a.name.padEnd(18)}${fmt(p).padStart(34)}${fmt(d).padStart(26)}  ${
        misses.length ? misses.join(", ") : "met"
      }`,
    );
  }
  console.log(
    "(U/T = UDP/TCP canary answered %; the machine may have been shared: see docs/benchmarks.md)",
  );
} finally {
  await Deno.remove(tmp, { recursive: true }).catch(() => {});
}
