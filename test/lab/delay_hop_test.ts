import assert from "node:assert/strict";
import { labGate } from "./gate.ts";
import { NatLab } from "./lab.ts";
import { ping } from "./cases.ts";
import { buildDelayHop } from "./delay_hop.ts";
import { delayHops, labNames, setupPlan } from "./plan.ts";
import { needs } from "../_support/env.ts";

// The lab cases also need gcc to build the hop (not skipped under CI=true).
const gate = { ignore: (await labGate()).ignore || needs(["gcc"]).ignore };

Deno.test("setupPlan() with delayMs puts a hop pair between each router and the bridge, no tc", () => {
  const names = labNames("pk-1-0-");
  const plan = setupPlan({ a: "full-cone", b: "symmetric", delayMs: 20 }, names).map((s) =>
    s.argv.join(" ")
  );
  assert(
    plan.includes("ip -n pk-1-0-nat-a link add name wan type veth peer name wa netns pk-1-0-inet"),
  );
  assert(plan.includes("ip -n pk-1-0-inet link add name xb type veth peer name pb"));
  assert(plan.includes("ip -n pk-1-0-inet link set pa master br0"));
  assert(!plan.some((l) => l.startsWith("tc ")));
  assert.deepEqual(delayHops({ a: "full-cone", b: "symmetric", delayMs: 20 }), [["wa", "xa"], [
    "wb",
    "xb",
  ]]);
  const plain = setupPlan({ a: "full-cone", b: "symmetric" }, names).map((s) => s.argv.join(" "));
  assert(
    plain.includes("ip -n pk-1-0-nat-a link add name wan type veth peer name pa netns pk-1-0-inet"),
  );
  assert(!plain.some((l) => l.includes(" xa ")));
});

Deno.test("setupPlan() rejects a delayMs that is negative, fractional or above 5 s", () => {
  for (const d of [-1, 2.5, 5001, NaN]) {
    assert.throws(
      () => setupPlan({ a: "full-cone", b: "full-cone", delayMs: d }, labNames("pk-1-0-")),
      RangeError,
    );
  }
});

Deno.test({
  name: "delay_hop rejects bad arguments with one line and exit 2",
  ...needs(["gcc"]),
  async fn() {
    const bin = await buildDelayHop();
    for (
      const args of [[], ["a", "b", "-5", "10"], ["a", "b", "20", "0"], ["a", "b", "9999", "5"]]
    ) {
      const r = await new Deno.Command(bin, { args, stdout: "piped", stderr: "piped" }).output();
      const err = new TextDecoder().decode(r.stderr).trim();
      assert.equal(r.code, 2, `${args}: ${err}`);
      assert.equal(err.split("\n").length, 1, err);
    }
  },
});

Deno.test({
  name:
    "lab: the delay hop (delayMs 20) puts the median round trip at 40-80 ms and loses nothing, " +
    "while a lab without it answers in under 10 ms",
  ignore: gate.ignore,
  async fn() {
    {
      await using clean = await NatLab.create({ a: "full-cone", b: "full-cone" });
      const p = await ping(clean, "host-a", 20, 10);
      assert.equal(p.received, p.sent, JSON.stringify(p));
      assert(p.medianRttMs !== null && p.medianRttMs < 10, JSON.stringify(p));
    }
    await using lab = await NatLab.create({ a: "port-restricted", b: "full-cone", delayMs: 20 });
    const p = await ping(lab, "host-a", 20, 20);
    assert.equal(p.received, p.sent, JSON.stringify(p));
    // One hop per WAN link: 20 ms out, 20 ms back; the upper bound allows a busy machine.
    assert(p.medianRttMs !== null && p.medianRttMs >= 40 && p.medianRttMs < 80, JSON.stringify(p));
  },
});

Deno.test({
  name: "lab: delay and loss combine (20 ms each way and 30 % per direction: about half the " +
    "round trips lost, the rest 40 ms or more)",
  ignore: gate.ignore,
  async fn() {
    await using lab = await NatLab.create({
      a: "full-cone",
      b: "full-cone",
      delayMs: 20,
      netem: { lossPct: 30 },
    });
    const p = await ping(lab, "host-a", 50, 10);
    assert.ok(p.received >= 8 && p.received <= 42, JSON.stringify(p));
    assert(p.medianRttMs !== null && p.medianRttMs >= 40, JSON.stringify(p));
  },
});
