/**
 * The punch matrix, side by side with the anchor. Two parts:
 *
 * 1. Virtual time (always): every pair of the four NAT presets on the in-memory network,
 *    `--seeds` seeds each, with 0 and 20 ms one-way latency and 0 and 5 % loss: share of
 *    pairs direct, median virtual time to the first round trip, median probes.
 * 2. The real NAT lab (root only; skipped with a note otherwise): for each of `--runs`
 *    runs and each `--loss` share, every pair of the four router personalities: `peerkit
 *    punch` through the CLI (relay serve and STUN in inet), then, in the same lab, the
 *    lab's naive simultaneous prober (both sides told each other's public endpoint at the
 *    same instant, one packet each per 50 ms for 3 s; nat-lab.md's 13-of-16 bar) as the
 *    anchor. c-toxcore's own NAT punching (two libtoxcore peers) is not part of this
 *    benchmark (see docs/benchmarks.md).
 *
 * Every pair of every run is printed; the summary gives for each side the pairs direct and
 * the median time to the first packet / round trip, and the ratios.
 *
 *   deno run -A bench/punch_matrix.ts [--runs 1] [--loss 0,5] [--seeds 10] [--no-lab]
 *
 * Lab delay (20 ms) is not offered: this kernel has no tc netem.
 *
 * @module
 */
import { type SimNat, simulatePunch } from "../lib/punch/sim.ts";
import { labAvailable, NatLab, PERSONALITIES, type Personality } from "../test/lab/lab.ts";
import { punchPair } from "../test/lab/cases.ts";
import { keyOf, punchInLab } from "../test/punch/_lab.ts";

function flag(name: string, def: string): string {
  const i = Deno.args.indexOf(`--${name}`);
  return i >= 0 && Deno.args[i + 1] !== undefined ? Deno.args[i + 1]! : def;
}
const runs = Number(flag("runs", "1"));
const losses = flag("loss", "0,5").split(",").map(Number);
const seeds = Number(flag("seeds", "10"));
const median = (xs: number[]) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
};
const f = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : "-");

// 1. Virtual time.
const SIM: Record<string, SimNat> = {
  "full-cone": { preset: "full-cone" },
  "address-restricted": { preset: "restricted-cone" },
  "port-restricted": { preset: "port-restricted" },
  "symmetric": { preset: "symmetric" },
};
console.log(`# virtual time: 16 preset pairs x ${seeds} seeds per row`);
console.log(
  "latency_ms loss_pct | direct/pairs | cone pairs: median_ms median_probes | " +
    "symmetric x cone (full/address): median_ms median_probes | symmetric x port-restricted: " +
    "median_ms median_probes | sym-sym relay_after_ms",
);
for (const latencyMs of [0, 20]) {
  for (const loss of [0, 5]) {
    let direct = 0, pairs = 0;
    const cone: number[] = [], coneP: number[] = [], bday: number[] = [], bdayP: number[] = [];
    const pr: number[] = [], prP: number[] = [];
    const relay: number[] = [];
    for (const [an, a] of Object.entries(SIM)) {
      for (const [bn, b] of Object.entries(SIM)) {
        for (let seed = 1; seed <= seeds; seed++) {
          const r = simulatePunch({ a, b, seed, latencyMs, loss: loss / 100 });
          pairs++;
          if (r.relayAfterMs !== undefined) relay.push(r.relayAfterMs);
          if (!r.direct) continue;
          direct++;
          const hard = an === "symmetric" || bn === "symmetric";
          const portFiltering = hard && (an === "port-restricted" || bn === "port-restricted");
          const [t, p] = portFiltering ? [pr, prP] : hard ? [bday, bdayP] : [cone, coneP];
          t.push(r.timeToOpenMs!);
          p.push(r.probes[0] + r.probes[1]);
        }
      }
    }
    console.log(
      `${latencyMs} ${loss} | ${direct}/${pairs} | ${f(median(cone))} ${median(coneP)} | ` +
        `${f(median(bday))} ${median(bdayP)} | ${f(median(pr))} ${median(prP)} | ` +
        f(median(relay)),
    );
  }
}

// 2. The lab.
const lab = await labAvailable();
if (Deno.args.includes("--no-lab") || !lab.ok) {
  console.log(`\n# lab part skipped: ${Deno.args.includes("--no-lab") ? "--no-lab" : lab.reason}`);
  Deno.exit(0);
}
console.log(
  `\n# NAT lab: ${runs} run(s) x loss ${losses.join(",")} % x 16 pairs (the machine may be shared)`,
);
console.log(
  "run loss_pct pair | peerkit: path ms(first round trip) probes | naive: direct ms(first packet) packets",
);
const root = await Deno.makeTempDir({ prefix: "peerkit-bench-punch-" });
type Row = { loss: number; pk: boolean; pkMs: number; naive: boolean; naiveMs: number };
const rows: Row[] = [];
try {
  let n = 0;
  for (let run = 1; run <= runs; run++) {
    for (const loss of losses) {
      const pairs: [Personality, Personality][] = [];
      for (const a of PERSONALITIES) for (const b of PERSONALITIES) pairs.push([a, b]);
      for (let i = 0; i < pairs.length; i += 4) {
        const out = await Promise.all(
          pairs.slice(i, i + 4).map(async ([a, b]) => {
            const k = n++;
            const homes = { a: `${root}/${k}a`, b: `${root}/${k}b`, relay: `${root}/${k}r` };
            const keys = { a: await keyOf(homes.a), b: await keyOf(homes.b) };
            await using l = await NatLab.create(
              loss > 0 ? { a, b, netem: { lossPct: loss } } : { a, b },
            );
            const pk = await punchInLab(l, a, b, homes, keys);
            const nv = await punchPair(l);
            return { a, b, pk, nv };
          }),
        );
        for (const { a, b, pk, nv } of out) {
          const d = pk.docs[0];
          const ok = d.path === "direct" && pk.docs[1].path === "direct";
          const ms = typeof d.timeToFirstRoundTripMs === "number" ? d.timeToFirstRoundTripMs : NaN;
          const probes = (d.attempt as { probes?: number } | null)?.probes ?? 0;
          const nms = Math.max(nv.a.firstMs ?? NaN, nv.b.firstMs ?? NaN);
          rows.push({ loss, pk: ok, pkMs: ms, naive: nv.direct, naiveMs: nms });
          console.log(
            `${run} ${loss} ${a}x${b} | ${d.path}/${pk.docs[1].path} ${f(ms)} ${probes} | ${
              nv.direct ? "direct" : "fail"
            } ${f(nms)} ${nv.a.sent + nv.b.sent}`,
          );
          if (!ok && !(a === "symmetric" && b === "symmetric")) {
            console.log(`    A: ${d.why ?? d.error}\n    B: ${pk.docs[1].why ?? pk.docs[1].error}`);
          }
        }
      }
    }
  }
} finally {
  await Deno.remove(root, { recursive: true });
}
console.log("\n# summary (lab)");
for (const loss of losses) {
  const r = rows.filter((x) => x.loss === loss);
  const pk = r.filter((x) => x.pk).length, nv = r.filter((x) => x.naive).length;
  const pkMs = median(r.filter((x) => x.pk).map((x) => x.pkMs));
  const nvMs = median(r.filter((x) => x.naive).map((x) => x.naiveMs));
  console.log(
    `loss ${loss} %: peerkit direct ${pk}/${r.length}, naive (anchor) direct ${nv}/${r.length}, ` +
      `ratio ${(pk / Math.max(1, nv)).toFixed(2)}; median ms peerkit ${f(pkMs)} (round trip, ` +
      `birthday pairs included), naive ${f(nvMs)} (first packet)`,
  );
}
