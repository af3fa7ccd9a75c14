import assert from "node:assert/strict";
import { labGate } from "./gate.ts";
import { NatLab, PERSONALITIES } from "./lab.ts";
import { behaviour, classify, EXPECTED, hairpin } from "./cases.ts";

const gate = await labGate();

for (const p of PERSONALITIES) {
  Deno.test({
    name: `lab: a ${p} router maps and filters as RFC 4787 says (${EXPECTED[p].mapping}, ` +
      `${EXPECTED[p].filtering})`,
    ignore: gate.ignore,
    async fn() {
      await using lab = await NatLab.create({ a: p, b: "full-cone" });
      const b = await behaviour(lab, "host-a");
      assert.deepEqual(classify(b), EXPECTED[p], JSON.stringify(b));
      // The public address is the router's WAN address, never the host's private one.
      assert(b.mapping.viaPrimary?.startsWith("203.0.113.1:"), JSON.stringify(b));
    },
  });
}

Deno.test({
  name: "lab: with hairpin on, a LAN packet to the host's own public address comes back in " +
    "from the router's public address",
  ignore: gate.ignore,
  async fn() {
    for (const p of ["port-restricted", "symmetric"] as const) {
      await using lab = await NatLab.create({ a: p, b: "full-cone", hairpin: true });
      const h = await hairpin(lab, "host-a");
      assert(h.received, `${p}: ${JSON.stringify(h)}`);
      assert(h.from?.startsWith("203.0.113.1:"), `${p}: ${JSON.stringify(h)}`);
      assert.notEqual(h.from, h.mapped);
    }
  },
});

Deno.test({
  name: "lab: with hairpin off (the default), a LAN packet to the host's own public address " +
    "is not looped back",
  ignore: gate.ignore,
  async fn() {
    await using lab = await NatLab.create({ a: "full-cone", b: "full-cone" });
    const h = await hairpin(lab, "host-a");
    assert(h.mapped !== null, JSON.stringify(h));
    assert.deepEqual(h.received, false, JSON.stringify(h));
  },
});
