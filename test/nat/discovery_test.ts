import assert from "node:assert/strict";
import { NatDiscovery } from "../../lib/nat/discovery.ts";
import { NETCHECK_TIMING } from "../../lib/nat/constants.ts";
import { type NatBehaviour, natVerdict } from "../../lib/nat/report.ts";
import { StunResponder } from "../../lib/nat/responder.ts";
import {
  LOCAL,
  modelServer,
  type NatModel,
  PUBLIC_IP,
  runWorld,
  type ServerModel,
} from "./_world.ts";

const P = { hostname: "192.0.2.10", port: 3478 };
const A = { hostname: "192.0.2.11", port: 3479 };
const Q = { hostname: "198.51.100.7", port: 3478 };

function servers(model: ServerModel): Map<string, ServerModel> {
  return new Map([[P.hostname, model], [A.hostname, model]]);
}
const fast = { rto: 100, attempts: 4, rm: 4 };

Deno.test("NatDiscovery without a NAT: endpoint-independent, hairpins, keeps the port", () => {
  const d = new NatDiscovery({ servers: [P], local: LOCAL, ...fast }, 0);
  const { report, now } = runWorld(d, servers(modelServer(P, A)));
  assert.deepEqual(report.mapped, LOCAL);
  assert.equal(report.udp, true);
  assert.equal(report.mapping, "endpoint-independent");
  assert.equal(report.filtering, "endpoint-independent");
  assert.equal(report.hairpinning, "yes");
  assert.equal(report.preservesPort, "yes");
  assert.equal(report.servers[0]?.rttMs, 20);
  assert.deepEqual(report.servers[0]?.other, A);
  // Three rounds of 20 ms each, nothing waits for a timeout.
  assert.equal(now, 60);
});

const WORDS: Record<NatModel["mapping"], NatBehaviour> = {
  ei: "endpoint-independent",
  ad: "address-dependent",
  apd: "address-and-port-dependent",
};

const CASES: NatModel[] = [
  { mapping: "ei", filtering: "ei", hairpin: true, preservePort: true }, // full cone
  { mapping: "ei", filtering: "ad", hairpin: false, preservePort: true }, // address-restricted
  { mapping: "ei", filtering: "apd", hairpin: false, preservePort: false }, // port-restricted
  { mapping: "apd", filtering: "apd", hairpin: false, preservePort: false }, // symmetric
  { mapping: "ad", filtering: "ad", hairpin: true, preservePort: false },
];

for (const nat of CASES) {
  const name = `mapping ${nat.mapping}, filtering ${nat.filtering}`;
  Deno.test(`NatDiscovery tells a NAT with ${name} apart (hairpin ${nat.hairpin})`, () => {
    const d = new NatDiscovery({ servers: [P], local: LOCAL, ...fast }, 0);
    const { report } = runWorld(d, servers(modelServer(P, A)), { nat });
    assert.equal(report.mapped?.hostname, PUBLIC_IP);
    assert.equal(report.mapping, WORDS[nat.mapping]);
    assert.equal(report.filtering, WORDS[nat.filtering]);
    assert.equal(report.hairpinning, nat.hairpin ? "yes" : "no");
    assert.equal(report.preservesPort, nat.preservePort ? "yes" : "no");
  });

  Deno.test(`NatDiscovery gives the same verdict with 30 % loss (${name})`, () => {
    // Deterministic loss: drop 3 of every 10 datagrams, both directions counted together.
    const drop = (n: number) => n % 10 === 2 || n % 10 === 5 || n % 10 === 8;
    const d = new NatDiscovery({ servers: [P], local: LOCAL, rto: 100, attempts: 7, rm: 4 }, 0);
    const { report } = runWorld(d, servers(modelServer(P, A)), { nat, drop });
    assert.equal(report.mapping, WORDS[nat.mapping]);
    assert.equal(report.filtering, WORDS[nat.filtering]);
    assert.ok(d.stats.retransmits > 0);
  });
}

Deno.test("NatDiscovery against a server that never answers: UDP blocked, bounded time", () => {
  const d = new NatDiscovery({ servers: [P], local: LOCAL }, 0);
  const { report, now } = runWorld(d, servers(() => null));
  assert.equal(report.udp, false);
  assert.equal(report.mapped, null);
  assert.equal(report.mapping, "unknown");
  assert.equal(report.filtering, "unknown");
  assert.equal(report.hairpinning, "unknown");
  assert.equal(report.preservesPort, "unknown");
  assert.equal(report.servers[0]?.rttMs, null);
  assert.equal(now, 39500); // RFC 8489 defaults: 7 requests, then 16 x RTO
  assert.equal(d.done, true);
});

Deno.test("NatDiscovery without OTHER-ADDRESS reports the endpoint but unknown behaviour", () => {
  const d = new NatDiscovery({ servers: [P], local: LOCAL, ...fast }, 0);
  const { report } = runWorld(d, servers(modelServer(P, null)));
  assert.deepEqual(report.mapped, LOCAL);
  assert.equal(report.mapping, "unknown");
  assert.equal(report.filtering, "unknown");
  assert.equal(report.hairpinning, "yes");
});

Deno.test("NatDiscovery uses the first server offering OTHER-ADDRESS and times the silent one", () => {
  const world = new Map<string, ServerModel>([
    [Q.hostname, () => null],
    [P.hostname, modelServer(P, A)],
    [A.hostname, modelServer(P, A)],
  ]);
  const d = new NatDiscovery({ servers: [Q, P], local: LOCAL, ...fast }, 0);
  const { report } = runWorld(d, world, {
    nat: { mapping: "ei", filtering: "apd", hairpin: false, preservePort: true },
  });
  assert.deepEqual(report.primary, P);
  assert.equal(report.servers[0]?.rttMs, null);
  assert.equal(report.servers[1]?.rttMs, 20);
  assert.equal(report.filtering, "address-and-port-dependent");
});

Deno.test("NatDiscovery against StunResponder gives the same verdicts as the model", () => {
  for (const nat of CASES) {
    const responder = new StunResponder({ primary: P, alternate: A, rate: { burst: 100 } });
    const model: ServerModel = (from, to, data, now) => {
      const r = responder.handleDatagram(from, data, now, to);
      return r && { from: r.from, data: r.data };
    };
    const d = new NatDiscovery({ servers: [P], local: LOCAL, ...fast }, 0);
    const { report } = runWorld(d, servers(model), { nat });
    assert.equal(report.mapping, WORDS[nat.mapping], JSON.stringify(nat));
    assert.equal(report.filtering, WORDS[nat.filtering], JSON.stringify(nat));
    assert.equal(report.hairpinning, nat.hairpin ? "yes" : "no");
  }
});

Deno.test("NETCHECK_TIMING: a symmetric NAT's verdict in under 1 s at 20 ms one-way latency", () => {
  const nat: NatModel = { mapping: "apd", filtering: "apd", hairpin: false, preservePort: false };
  const d = new NatDiscovery({ servers: [P], local: LOCAL, ...NETCHECK_TIMING }, 0);
  const { report, now } = runWorld(d, servers(modelServer(P, A)), { nat, latency: 20 });
  assert.equal(report.mapping, "address-and-port-dependent");
  assert.equal(report.filtering, "address-and-port-dependent");
  assert.ok(now < 1000, `${now} ms`);
  assert.equal(now, 40 + 700 + 40);
});

Deno.test("natVerdict() gives a verdict a user can act on for each kind of NAT", () => {
  const run = (nat?: NatModel, model: ServerModel = modelServer(P, A)) => {
    const d = new NatDiscovery({ servers: [P], local: LOCAL, ...fast }, 0);
    return natVerdict(runWorld(d, servers(model), nat ? { nat } : {}).report).level;
  };
  assert.equal(run(), "open");
  assert.equal(run(CASES[0]), "easy");
  assert.equal(run(CASES[2]), "easy");
  assert.equal(run(CASES[3]), "hard");
  assert.equal(run(CASES[4]), "hard");
  assert.equal(run(undefined, () => null), "blocked");
  assert.equal(run(CASES[0], modelServer(P, null)), "unknown");
});

Deno.test("mappingVaries: two plain servers expose a symmetric NAT without OTHER-ADDRESS", () => {
  const world = new Map<string, ServerModel>([
    [Q.hostname, modelServer(Q, null)],
    [P.hostname, modelServer(P, null)],
  ]);
  const symmetric: NatModel = {
    mapping: "apd",
    filtering: "apd",
    hairpin: false,
    preservePort: false,
  };
  const cone: NatModel = { ...symmetric, mapping: "ei" };
  const report = (nat: NatModel) =>
    runWorld(new NatDiscovery({ servers: [Q, P], local: LOCAL, ...fast }, 0), world, { nat })
      .report;
  const s = report(symmetric), c = report(cone);
  assert.deepEqual([s.mapping, s.mappingVaries, natVerdict(s).level], ["unknown", "yes", "hard"]);
  assert.deepEqual([c.mapping, c.mappingVaries, natVerdict(c).level], ["unknown", "no", "unknown"]);
});
