/**
 * The punch matrix, side by side with the anchor. Two parts:
 *
 * 1. Virtual time (always): every pair of the four NAT presets on the in-memory network,
 *    `--seeds` seeds each, with 0 and 20 ms one-way latency and 0 and 5 % loss: share of
 *    pairs direct, median virtual time to the first round trip, median probes.
 * 2. The real NAT lab (root only; skipped with a note otherwise): for each of `--runs`
 *    runs and each of `--conditions` (one-way WAN delay through the lab's delay hop : loss
 *    on the inet bridge), every pair of the four router personalities: `peerkit punch`
 *    through the CLI (relay serve and STUN in inet), then, in the same lab, the lab's naive
 *    simultaneous prober (both sides told each other's public endpoint at the same instant,
 *    one packet each per 50 ms for 3 s; nat-lab.md's 13-of-16 bar). The anchor: c-toxcore
 *    itself, two libtoxcore friends behind the same pair of routers (5 tox-bootstrapd
 *    daemons and a TCP relay in inet): does its friend connection go over UDP (its own NAT
 *    punching) and how long after adding each other. `--toxcore representative` (default:
 *    port-restricted x port-restricted, full-cone x symmetric, port-restricted x symmetric,
 *    symmetric x symmetric, to stay under 5 minutes), `all` (16 pairs) or `none`.
 *
 * Every pair of every run is printed; the summary gives for each side the pairs direct and
 * the median times, and the ratios.
 *
 *   deno run -A bench/punch_matrix.ts [--runs 1] [--conditions 0:0,20:5] [--seeds 10]
 *     [--toxcore representative|all|none] [--toxcore-wait 20] [--no-lab]
 *
 * @module
 */
import { type SimNat, simulatePunch } from "../lib/punch/sim.ts";
import { labAvailable } from "../test/lab/lab.ts";
import { labCondition, type LabRow, type ToxcorePairs } from "./_punch_lab.ts";

function flag(name: string, def: string): string {
  const i = Deno.args.indexOf(`--${name}`);
  return i >= 0 && Deno.args[i + 1] !== undefined ? Deno.args[i + 1]! : def;
}
const runs = Number(flag("runs", "1"));
const conditions = flag("conditions", "0:0,20:5").split(",").map((c) => {
  const [delayMs = NaN, lossPct = NaN] = c.split(":").map(Number);
  return { delayMs, lossPct };
});
const toxcore = flag("toxcore", "representative") as ToxcorePairs;
const toxcoreWaitMs = Number(flag("toxcore-wait", "20")) * 1000;
const bad = conditions.some((c) =>
  !Number.isInteger(c.delayMs) || c.delayMs < 0 || !(c.lossPct >= 0 && c.lossPct <= 100)
);
if (!(runs >= 1) || bad || !["representative", "all", "none"].includes(toxcore)) {
  console.error(
    "punch_matrix: --runs N>=1, --conditions DELAYMS:LOSSPCT,..., --toxcore representative|all|none",
  );
  Deno.exit(2);
}
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
const condName = (c: { delayMs: number; lossPct: number }) => `${c.delayMs}ms/${c.lossPct}%`;
console.log(
  `\n# NAT lab: ${runs} run(s) x conditions ${conditions.map(condName).join(", ")} ` +
    `(one-way delay/loss) x 16 pairs; c-toxcore anchor: ${toxcore} pairs ` +
    `(the machine may be shared)`,
);
console.log(
  "run cond pair | peerkit: paths meet_ms rtt_ms(probing to first round trip) probes | " +
    "naive: result ms(first packet) packets | c-toxcore: first_kind connected_ms, udp? udp_ms",
);
const root = await Deno.makeTempDir({ prefix: "peerkit-bench-punch-" });
const rows: LabRow[] = [];
try {
  for (let run = 1; run <= runs; run++) {
    for (const cond of conditions) {
      const out = await labCondition(cond, { run, root, toxcore, udpWaitMs: toxcoreWaitMs });
      rows.push(...out);
      for (const r of out) {
        const t = r.tox;
        const tox = !t
          ? "-"
          : t.error
          ? `error: ${t.error}`
          : `${t.firstKind ?? "none"} ${f(t.connectedMs ?? NaN)}, ${
            t.udpMs !== null ? `udp ${f(t.udpMs)}` : `no udp (${t.finalKind})`
          }`;
        console.log(
          `${run} ${condName(cond)} ${r.a}x${r.b} | ${r.pkPaths} ${f(r.pkMeetMs)} ` +
            `${f(r.pkRttMs)} ${r.pkProbes} | ${r.naive ? "direct" : "fail"} ${f(r.naiveMs)} ` +
            `${r.naivePackets} | ${tox}`,
        );
        if (!r.pk && !(r.a === "symmetric" && r.b === "symmetric")) console.log(`    ${r.pkWhy}`);
      }
    }
  }
} finally {
  await Deno.remove(root, { recursive: true });
}
console.log("\n# summary (lab); times in ms, medians over every run");
const isBirthday = (r: LabRow) => (r.a === "symmetric") !== (r.b === "symmetric");
const isBothHard = (r: LabRow) => r.a === "symmetric" && r.b === "symmetric";
for (const cond of conditions) {
  const r = rows.filter((x) => x.cond === cond);
  const pk = r.filter((x) => x.pk), nv = r.filter((x) => x.naive);
  const total = (x: LabRow) => x.pkMeetMs + x.pkRttMs;
  const cone = pk.filter((x) => !isBirthday(x) && !isBothHard(x));
  const bday = pk.filter(isBirthday);
  const hard = r.filter(isBothHard);
  console.log(
    `${condName(cond)}: peerkit direct ${pk.length}/${r.length}, naive ${nv.length}/${r.length} ` +
      `(ratio ${(pk.length / Math.max(1, nv.length)).toFixed(2)}); peerkit probing to first ` +
      `round trip: cone pairs ${f(median(cone.map((x) => x.pkRttMs)))}, birthday pairs ` +
      `${f(median(bday.map((x) => x.pkRttMs)))}; start to direct (meeting included): cone ` +
      `${f(median(cone.map(total)))}, birthday ${f(median(bday.map(total)))}; symmetric x ` +
      `symmetric handed to the relay ${hard.filter((x) => x.pkPaths === "relay/relay").length}/` +
      `${hard.length} after meet ${f(median(hard.map((x) => x.pkMeetMs)))} (no probe)`,
  );
  const tx = r.filter((x) => x.tox && !x.tox.error);
  if (tx.length === 0) continue;
  const udp = tx.filter((x) => x.tox!.udpMs !== null);
  const both = udp.filter((x) => x.pk);
  console.log(
    `  anchor c-toxcore on ${tx.length} pairs: UDP ${udp.length}/${tx.length} (peerkit direct on ` +
      `the same pairs ${tx.filter((x) => x.pk).length}/${tx.length}); median ms from adding ` +
      `each other to UDP ${f(median(udp.map((x) => x.tox!.udpMs!)))}; on the pairs both went ` +
      `direct: c-toxcore ${f(median(both.map((x) => x.tox!.udpMs!)))} vs peerkit start to ` +
      `direct ${f(median(both.map(total)))}, ratio c-toxcore/peerkit ${
        (median(both.map((x) => x.tox!.udpMs!)) / median(both.map(total))).toFixed(1)
      }`,
  );
}
