import assert from "node:assert/strict";
import { labGate } from "./gate.ts";
import { ADDR, NatLab, PERSONALITIES } from "./lab.ts";
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
  name:
    "lab: with hairpin on, for every personality, a LAN packet to the host's own public address comes back in " +
    "from the router's public address",
  ignore: gate.ignore,
  async fn() {
    for (const p of PERSONALITIES) {
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

Deno.test({
  name: "regression: a packet from the far side that reaches a router before its host sends " +
    "leaves no conntrack entry, so the host keeps its public port and the path opens",
  ignore: gate.ignore,
  async fn() {
    await using lab = await NatLab.create({ a: "port-restricted", b: "port-restricted" });
    // host-b knocks on nat-a's public port 40005 first (unsolicited there: dropped before
    // conntrack confirms it), then host-a sends from 40005 to host-b's public 40010.
    const knock = lab.probe<{ heard: string | null }>("host-b", [
      ...["knock", "--port", "40010", "--to", `${ADDR.natAWan}:40005`, "--wait", "3000"],
    ]);
    await new Promise((r) => setTimeout(r, 700));
    await lab.probe("host-a", [
      ...["send", "--port", "40005", "--to", `${ADDR.natBWan}:40010`, "--count", "10"],
    ]);
    assert.equal((await knock).heard, `${ADDR.natAWan}:40005`);
  },
});

Deno.test({
  name: "lab: the lab server counts hostile datagrams as drops and keeps answering",
  ignore: gate.ignore,
  async fn() {
    await using lab = await NatLab.create({ a: "full-cone", b: "full-cone" });
    const r = await lab.probe<{ sent: number; dropped: number | null; answers: boolean }>(
      "host-a",
      ["garbage", "--count", "400"],
    );
    assert.equal(r.dropped, r.sent, JSON.stringify(r));
    assert.ok(r.answers, JSON.stringify(r));
  },
});
