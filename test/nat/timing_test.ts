/**
 * The timing `peerkit nat` uses (NAT_TIMING), checked in virtual time against the issue's
 * targets: a full verdict within 1 s on a lossless lab link, within 3 s at 20 ms one-way
 * latency and 5 % loss, for the four NAT personalities.
 */
import assert from "node:assert/strict";
import { NAT_TIMING } from "../../commands/nat.ts";
import { NatDiscovery } from "../../lib/nat/discovery.ts";
import { natVerdict } from "../../lib/nat/report.ts";
import { LOCAL, modelServer, type NatModel, runWorld, type ServerModel } from "./_world.ts";

const P = { hostname: "192.0.2.10", port: 3478 };
const A = { hostname: "192.0.2.11", port: 3479 };
const world = (): Map<string, ServerModel> =>
  new Map([[P.hostname, modelServer(P, A)], [A.hostname, modelServer(P, A)]]);

const PERSONALITIES: [string, NatModel, "easy" | "hard"][] = [
  ["full cone", { mapping: "ei", filtering: "ei", hairpin: true, preservePort: true }, "easy"],
  [
    "address-restricted",
    { mapping: "ei", filtering: "ad", hairpin: false, preservePort: true },
    "easy",
  ],
  [
    "port-restricted",
    { mapping: "ei", filtering: "apd", hairpin: false, preservePort: false },
    "easy",
  ],
  ["symmetric", { mapping: "apd", filtering: "apd", hairpin: false, preservePort: false }, "hard"],
];

/** A seeded generator (mulberry32), so every run drops the same packets. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

Deno.test("NAT_TIMING: without loss, every personality's verdict in at most 1 s (1 ms one-way)", () => {
  for (const [name, nat, level] of PERSONALITIES) {
    const d = new NatDiscovery({ servers: [P], local: LOCAL, ...NAT_TIMING }, 0);
    const { report, now } = runWorld(d, world(), { nat, latency: 1 });
    assert.equal(natVerdict(report).level, level, name);
    assert.ok(now <= 1000, `${name}: ${now} ms`);
  }
});

Deno.test("NAT_TIMING: the give-up time of a filtered test is 880 ms (0, 80, 240, 560, +320)", () => {
  const nat = PERSONALITIES[3]![1];
  const d = new NatDiscovery({ servers: [P], local: LOCAL, ...NAT_TIMING }, 0);
  const { now } = runWorld(d, world(), { nat, latency: 20 });
  // Mapping test I (one round trip), the filtering tests time out, mapping II and III
  // (sent together: one more round trip).
  assert.equal(now, 40 + 880 + 40);
});

Deno.test("NAT_TIMING: at 20 ms one-way and 5 % loss, verdicts within 3 s and right in 200 seeded runs", () => {
  let wrong = 0, worst = 0;
  for (let seed = 1; seed <= 50; seed++) {
    for (const [name, nat, level] of PERSONALITIES) {
      const rnd = seeded(seed * 7919 + name.length);
      const d = new NatDiscovery({ servers: [P], local: LOCAL, ...NAT_TIMING }, 0);
      const { report, now } = runWorld(d, world(), {
        nat,
        latency: 20,
        drop: () => rnd() < 0.05,
      });
      worst = Math.max(worst, now);
      if (natVerdict(report).level !== level) wrong++;
      assert.ok(now <= 3000, `${name}, seed ${seed}: ${now} ms`);
    }
  }
  assert.equal(wrong, 0);
  assert.ok(worst > 1000, `loss made some runs retransmit (worst ${worst} ms)`);
});

Deno.test("NAT_TIMING: the worst case (every test answered only at its last request) stays under 3 s", () => {
  // Drop every request but the fourth of each transaction: each answered test takes
  // 560 ms + one round trip; the filtering tests still give up at 880 ms.
  const nat = PERSONALITIES[3]![1];
  const seen = new Map<string, number>();
  const d = new NatDiscovery({ servers: [P], local: LOCAL, ...NAT_TIMING }, 0);
  const { report, now } = runWorld(d, world(), {
    nat,
    latency: 20,
    drop: (_n, f) => {
      if (f.to.hostname !== P.hostname && f.to.hostname !== A.hostname) return false;
      const id = Array.from(f.data.subarray(8, 20)).join(",");
      const k = (seen.get(id) ?? 0) + 1;
      seen.set(id, k);
      return k < 4;
    },
  });
  assert.equal(natVerdict(report).level, "hard");
  assert.ok(now < 3000, `${now} ms`);
  assert.ok(now > 2 * 560 + 880, `${now} ms`);
});
