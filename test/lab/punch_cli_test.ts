/**
 * `peerkit punch` through the real NAT lab: `peerkit relay serve` and a STUN responder in
 * the inet namespace, `peerkit punch` in host-a and host-b, for every pair of the four
 * router personalities. 15 of 16 pairs must go direct and all 16 must meet (symmetric to
 * symmetric reported as relay). Skips without root, except under CI=true.
 */
import assert from "node:assert/strict";
import { labGate } from "./gate.ts";
import { NatLab, PERSONALITIES, type Personality } from "./lab.ts";
import { keyOf, type PairResult, punchInLab } from "../punch/_lab.ts";

const gate = await labGate();
/** How many labs run at once (each is five namespaces and four processes). */
const PARALLEL = 4;

Deno.test({
  name: "lab: peerkit punch through the CLI: 15 of 16 personality pairs direct, 16 of 16 met",
  ignore: gate.ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const root = await Deno.makeTempDir({ prefix: "peerkit-lab-punch-" });
    try {
      const pairs: [Personality, Personality][] = [];
      for (const a of PERSONALITIES) for (const b of PERSONALITIES) pairs.push([a, b]);
      const results: PairResult[] = [];
      for (let i = 0; i < pairs.length; i += PARALLEL) {
        const batch = pairs.slice(i, i + PARALLEL);
        results.push(
          ...await Promise.all(batch.map(async ([a, b], j) => {
            const homes = {
              a: `${root}/${i + j}-a`,
              b: `${root}/${i + j}-b`,
              relay: `${root}/${i + j}-relay`,
            };
            const keys = { a: await keyOf(homes.a), b: await keyOf(homes.b) };
            await using lab = await NatLab.create({ a, b });
            return await punchInLab(lab, a, b, homes, keys);
          })),
        );
      }
      const rows = results.map((r) =>
        `${r.a} x ${r.b}: ${r.docs[0].path}/${r.docs[1].path} exit ${r.codes.join("/")} ` +
        `${
          JSON.stringify(
            (r.docs[0].attempt as Record<string, unknown> | null)?.mode ?? r.docs[0].error ??
              r.docs[0].why,
          )
        } ` +
        `rtt ${r.docs[0].timeToFirstRoundTripMs} ms`
      );
      console.log(rows.join("\n"));
      let direct = 0, met = 0;
      for (const r of results) {
        const both = r.a === "symmetric" && r.b === "symmetric";
        assert.equal(r.docs[0].meeting, "relay-coordinated", rows.join("\n"));
        if (r.docs[0].path === "direct" && r.docs[1].path === "direct") direct++;
        if (r.docs[0].path !== "none" && r.docs[1].path !== "none") met++;
        if (both) {
          assert.equal(r.docs[0].path, "relay", rows.join("\n"));
          assert.deepEqual(r.codes, [1, 1]);
        } else assert.deepEqual(r.codes, [0, 0], rows.join("\n"));
      }
      assert.equal(direct, 15, rows.join("\n"));
      assert.equal(met, 16, rows.join("\n"));
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  },
});
