import assert from "node:assert/strict";
import { labGate } from "./gate.ts";
import { labPrefix, NatLab, netemAvailable } from "./lab.ts";
import { ping } from "./cases.ts";

const gate = await labGate();

async function labNamespaces(): Promise<string[]> {
  const r = await new Deno.Command("ip", { args: ["netns", "list"], stdout: "piped" }).output();
  return new TextDecoder().decode(r.stdout).split("\n").map((l) => l.split(" ")[0]!)
    .filter((n) => n.startsWith(labPrefix()));
}

Deno.test({
  name: "lab: WAN loss drops packets in each direction (30 % per direction, about half of " +
    "the round trips lost) while a lab without loss loses none",
  ignore: gate.ignore,
  async fn() {
    {
      await using clean = await NatLab.create({ a: "full-cone", b: "full-cone" });
      const p = await ping(clean, "host-a", 50, 10);
      assert.equal(p.received, p.sent, JSON.stringify(p));
    }
    await using lossy = await NatLab.create({
      a: "full-cone",
      b: "full-cone",
      netem: { lossPct: 30 },
    });
    const p = await ping(lossy, "host-a", 50, 10);
    // 0.7 * 0.7 = 49 % of round trips survive: 24.5 of 50 on average, sd 3.5.
    assert.ok(p.received >= 8 && p.received <= 42, JSON.stringify(p));
  },
});

const netem = gate.ignore ? false : await netemAvailable();

Deno.test({
  name: netem
    ? "lab: WAN delay (tc netem, 20 ms each direction) adds at least 40 ms to a round trip"
    : "lab: asking for WAN delay on a kernel without netem fails in one line and leaves no " +
      "namespace behind",
  ignore: gate.ignore,
  async fn() {
    const before = await labNamespaces();
    if (netem) {
      await using lab = await NatLab.create({
        a: "port-restricted",
        b: "full-cone",
        netem: { delayMs: 20 },
      });
      const p = await ping(lab, "host-a", 10, 100);
      assert.ok(p.medianRttMs !== null && p.medianRttMs >= 40, JSON.stringify(p));
    } else {
      const err = await NatLab.create({
        a: "port-restricted",
        b: "full-cone",
        netem: { delayMs: 20 },
      }).then(() => null, (e: Error) => e);
      assert.ok(err instanceof Error);
      assert.match(err.message, /^tc netem is not available in this kernel/);
      assert.ok(!err.message.includes("\n"), err.message);
    }
    assert.deepEqual(await labNamespaces(), before);
  },
});
