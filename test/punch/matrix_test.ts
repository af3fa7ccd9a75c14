/**
 * The punch matrix in virtual time on the in-memory network: every pair of the four NAT
 * presets plus port-preserving and sequential-port symmetric variants, many seeds, with and
 * without latency and loss. Symmetric to symmetric (and its variants) must go to the relay
 * within 2 s; every other pair must open a direct path.
 */
import assert from "node:assert/strict";
import { type SimNat, simulatePunch } from "../../lib/punch/sim.ts";

const PRESETS: Record<string, SimNat> = {
  "full-cone": { preset: "full-cone" },
  "restricted-cone": { preset: "restricted-cone" },
  "port-restricted": { preset: "port-restricted" },
  "symmetric": { preset: "symmetric" },
};
const VARIANTS: Record<string, SimNat> = {
  "symmetric/preserving": { preset: "symmetric", ports: "preserving" },
  "symmetric/sequential": { preset: "symmetric", ports: "sequential" },
  "port-restricted/sequential": { preset: "port-restricted", ports: "sequential" },
};
const hard = (n: SimNat) => n.preset === "symmetric";

function run(names: Record<string, SimNat>, seeds: number[], latencyMs: number, loss = 0) {
  const rows: string[] = [];
  let direct = 0, pairs = 0;
  for (const [an, a] of Object.entries(names)) {
    for (const [bn, b] of Object.entries(names)) {
      for (const seed of seeds) {
        const r = simulatePunch({ a, b, seed, latencyMs, loss });
        pairs++;
        if (hard(a) && hard(b)) {
          assert.equal(r.direct, false, `${an} x ${bn} seed ${seed}`);
          assert.deepEqual(r.states, ["relay", "relay"], `${an} x ${bn} seed ${seed}`);
          assert.ok(r.relayAfterMs! <= 2000);
          rows.push(`${an} x ${bn}: relay`);
        } else {
          assert.ok(r.direct, `${an} x ${bn} seed ${seed}: ${JSON.stringify(r)}`);
          direct++;
          rows.push(`${an} x ${bn}: direct in ${r.timeToOpenMs} ms, probes ${r.probes}`);
        }
      }
    }
  }
  return { direct, pairs, rows };
}

Deno.test("punch matrix: 15 of 16 preset pairs direct over 5 seeds, symmetric x symmetric to the relay", () => {
  const seeds = [1, 2, 3, 4, 5];
  const { direct, pairs } = run(PRESETS, seeds, 0);
  assert.equal(pairs, 16 * seeds.length);
  assert.equal(direct, 15 * seeds.length);
});

Deno.test("punch matrix: with 20 ms one-way latency, cone pairs open within 1 s and birthday pairs within 3 s", () => {
  for (const seed of [11, 12, 13]) {
    for (const [an, a] of Object.entries(PRESETS)) {
      for (const [bn, b] of Object.entries(PRESETS)) {
        if (hard(a) && hard(b)) continue;
        const r = simulatePunch({ a, b, seed, latencyMs: 20 });
        assert.ok(r.direct, `${an} x ${bn}`);
        const limit = hard(a) || hard(b) ? 3000 : 1000;
        assert.ok(r.timeToOpenMs! <= limit, `${an} x ${bn}: ${r.timeToOpenMs} ms`);
      }
    }
  }
});

Deno.test("punch matrix: port-preserving and sequential-port variants with every preset", () => {
  const all = { ...PRESETS, ...VARIANTS };
  const { direct, pairs } = run(all, [21, 22], 5);
  const hardCount = Object.values(all).filter(hard).length;
  assert.equal(direct, (pairs / 2 - hardCount * hardCount) * 2);
});

Deno.test("punch matrix: with 5 % loss every non-symmetric pair still opens (10 seeds)", () => {
  const { direct, pairs } = run(PRESETS, [31, 32, 33, 34, 35, 36, 37, 38, 39, 40], 10, 0.05);
  assert.equal(direct, pairs * 15 / 16);
});

Deno.test("punch matrix: the birthday method stays bounded (probes per pair, across 20 seeds)", () => {
  const probes: number[] = [];
  for (let seed = 100; seed < 120; seed++) {
    const r = simulatePunch({ a: PRESETS["port-restricted"]!, b: PRESETS["symmetric"]!, seed });
    assert.ok(r.direct);
    probes.push(r.probes[0]);
    assert.ok(r.probes[0] <= 2500 + 200);
  }
  probes.sort((x, y) => x - y);
  // 256 of 64,512 ports: median about 174 sprayed probes.
  const median = probes[probes.length >> 1]!;
  assert.ok(median < 1000, `median ${median}`);
});

Deno.test("punch matrix: a 300 ms delay between the two introductions still opens every non-symmetric pair", () => {
  for (const [an, a] of Object.entries(PRESETS)) {
    for (const [bn, b] of Object.entries(PRESETS)) {
      if (hard(a) && hard(b)) continue;
      const r = simulatePunch({ a, b, seed: 51, latencyMs: 10, introDelayMs: 300 });
      assert.ok(r.direct, `${an} x ${bn}: ${JSON.stringify(r)}`);
    }
  }
});
