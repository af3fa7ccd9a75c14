import assert from "node:assert/strict";
import { labGate } from "./gate.ts";
import { NatLab, PERSONALITIES } from "./lab.ts";
import { birthday, naiveDirect, punchPair } from "./cases.ts";

const gate = await labGate();

Deno.test({
  name: "lab: naive simultaneous punching goes direct for 13 of 16 personality pairs, " +
    "failing only symmetric against a port-filtering NAT",
  ignore: gate.ignore,
  async fn() {
    const rows: string[] = [];
    let direct = 0;
    for (const a of PERSONALITIES) {
      for (const b of PERSONALITIES) {
        await using lab = await NatLab.create({ a, b });
        const r = await punchPair(lab);
        rows.push(`${a} x ${b}: ${r.direct ? "direct" : "fail"}`);
        assert.deepEqual(r.direct, naiveDirect(a, b), `${a} x ${b}: ${JSON.stringify(r)}`);
        if (r.direct) direct++;
      }
    }
    assert.deepEqual(direct, 13, rows.join("\n"));
  },
});

Deno.test({
  name: "lab: the birthday method (256 sockets, random probes at 500/s) opens symmetric " +
    "to port-restricted within 5 s and 3000 probes",
  ignore: gate.ignore,
  async fn() {
    await using lab = await NatLab.create({ a: "symmetric", b: "port-restricted" });
    const r = await birthday(lab, { maxProbes: 3000, timeoutMs: 5000 });
    assert(r.direct, JSON.stringify(r));
    assert(r.easy.probes <= 3000 && r.easy.ms <= 5000, JSON.stringify(r));
    assert(r.hard.socket !== null && r.hard.socket < 256, JSON.stringify(r));
  },
});
