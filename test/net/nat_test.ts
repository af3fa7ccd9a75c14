import assert from "node:assert/strict";
import { type Dependence, Nat, parseAddr, resolveNatOptions } from "../../lib/net/mod.ts";
import { host, ONE, S1, S2, S3, world } from "./_nat_world.ts";

const KINDS: Dependence[] = [
  "endpoint-independent",
  "address-dependent",
  "address-and-port-dependent",
];
const A = { hostname: "10.0.1.2", port: 5000 };

for (const mapping of KINDS) {
  Deno.test(`Nat with ${mapping} mapping reuses the public port as RFC 4787 says`, () => {
    const w = world();
    const nat = w.nat({ mapping, filtering: "endpoint-independent", ports: "sequential" });
    const h = host(nat, A);
    for (const s of [S1, S2, S3, S1]) h.ep.send(ONE, s);
    w.clock.advance(1);
    const [p1, p2, p3] = w.servers.map((s) => s.from);
    assert.equal(p1!.length, 2);
    assert.equal(p1![0], p1![1], "the same destination always gets the same mapping");
    assert.ok(p1![0]!.startsWith("203.0.113.1:"), "packets leave from the public address");
    const same12 = p1![0] === p2![0], same13 = p1![0] === p3![0];
    if (mapping === "endpoint-independent") assert.ok(same12 && same13);
    if (mapping === "address-dependent") assert.ok(same12 && !same13);
    if (mapping === "address-and-port-dependent") assert.ok(!same12 && !same13 && p2 !== p3);
    assert.equal(nat.stats.mappings, KINDS.indexOf(mapping) + 1);
  });
}

for (const filtering of KINDS) {
  Deno.test(`Nat with ${filtering} filtering admits only what RFC 4787 says`, () => {
    const w = world();
    const nat = w.nat({ mapping: "endpoint-independent", filtering });
    const h = host(nat, A);
    h.ep.send(ONE, S1);
    w.clock.advance(1);
    const mapped = parseAddr(w.servers[0].from[0]!);
    for (const s of w.servers) s.ep.send(ONE, mapped); // S1 (contacted), S2 (same IP), S3
    w.clock.advance(1);
    const want = {
      "endpoint-independent": [S1, S2, S3],
      "address-dependent": [S1, S2],
      "address-and-port-dependent": [S1],
    }[filtering].map((a) => `${a.hostname}:${a.port}`);
    assert.deepEqual(h.got, want);
    assert.equal(nat.stats.filtered, 3 - want.length);
  });
}

Deno.test("Nat: an inbound packet never creates a mapping", () => {
  const w = world();
  const nat = w.nat({ preset: "full-cone" });
  const h = host(nat, A);
  w.servers[0].ep.send(ONE, { hostname: "203.0.113.1", port: 5000 });
  w.clock.advance(1);
  assert.deepEqual(h.got, []);
  assert.equal(nat.mappingCount, 0);
  assert.equal(w.net.stats.unreachable, 1);
});

Deno.test("Nat port allocation: preserving keeps the port when free, else takes the next free", () => {
  const w = world();
  const nat = w.nat({ preset: "port-restricted", portRange: [5000, 5010] });
  host(nat, A).ep.send(ONE, S1);
  host(nat, { hostname: "10.0.1.3", port: 5000 }).ep.send(ONE, S1);
  w.clock.advance(1);
  assert.deepEqual(w.servers[0].from, ["203.0.113.1:5000", "203.0.113.1:5001"]);
});

Deno.test("Nat port allocation: sequential hands out consecutive ports from the range", () => {
  const w = world();
  const nat = w.nat({ preset: "symmetric", ports: "sequential", portRange: [20000, 20009] });
  const h = host(nat, A);
  for (const s of [S1, S2, S3]) h.ep.send(ONE, s);
  w.clock.advance(1);
  assert.deepEqual(w.servers.map((s) => s.from[0]), [
    "203.0.113.1:20000",
    "203.0.113.1:20001",
    "203.0.113.1:20002",
  ]);
});

Deno.test("Nat port allocation: random draws seeded ports inside the range, replayable", () => {
  const ports = (seed: number) => {
    const w = world();
    const nat = w.nat({ preset: "symmetric", seed, portRange: [1024, 65535] });
    const h = host(nat, A);
    for (let i = 0; i < 20; i++) h.ep.send(ONE, { ...S1, port: 10000 + i });
    const got: number[] = [];
    for (let i = 0; i < 20; i++) {
      w.net.attach({ ...S1, port: 10000 + i }, (_d, from) => got.push(from.port));
    }
    w.clock.advance(1);
    return got;
  };
  const a = ports(7);
  assert.equal(a.length, 20);
  assert.equal(new Set(a).size, 20, "one port per destination");
  assert.ok(a.every((p) => p >= 1024 && p <= 65535));
  const steps = a.slice(1).map((p, i) => p - a[i]!);
  assert.ok(steps.some((d) => d !== 1), `not sequential: ${a}`);
  assert.deepEqual(ports(7), a, "same seed, same ports");
  assert.notDeepEqual(ports(8), a, "another seed, other ports");
});

Deno.test("Nat: when every public port is taken, the datagram is dropped and counted", () => {
  const w = world();
  const nat = w.nat({ preset: "symmetric", portRange: [20000, 20001] });
  const h = host(nat, A);
  for (const s of [S1, S2, S3]) h.ep.send(ONE, s);
  w.clock.advance(1);
  assert.equal(nat.stats.portsExhausted, 1);
  assert.equal(w.servers[2].from.length, 0);
});

Deno.test("Nat: a mapping expires after the idle timeout (30 s default) unless refreshed", () => {
  const w = world();
  const nat = w.nat({ preset: "port-restricted", ports: "sequential" });
  const h = host(nat, A);
  h.ep.send(ONE, S1); // t = 0
  w.clock.advance(20_000);
  h.ep.send(ONE, S1); // refresh at 20 s
  w.clock.advance(29_000);
  const mapped = parseAddr(w.servers[0].from[0]!);
  w.servers[0].ep.send(ONE, mapped); // 49 s: 29 s idle, alive
  w.clock.advance(1);
  assert.equal(h.got.length, 1);
  // The admitted reply made the flow established: it now lives 120 s idle, not 30 s.
  w.clock.advance(119_000);
  w.servers[0].ep.send(ONE, mapped);
  w.clock.advance(1);
  assert.equal(h.got.length, 2, "established mapping alive after 119 s idle");
  w.clock.advance(121_000);
  w.servers[0].ep.send(ONE, mapped);
  w.clock.advance(1);
  assert.equal(h.got.length, 2, "gone after 121 s idle");
  h.ep.send(ONE, S1);
  w.clock.advance(1);
  assert.notEqual(w.servers[0].from.at(-1), w.servers[0].from[0], "a new mapping, a new port");
});

Deno.test("Nat: an unanswered mapping is gone 30 s after the last outbound packet", () => {
  const w = world();
  const nat = w.nat({ preset: "full-cone" });
  const h = host(nat, A);
  h.ep.send(ONE, S1);
  w.clock.advance(30_001);
  w.servers[0].ep.send(ONE, { hostname: "203.0.113.1", port: 5000 });
  w.clock.advance(1);
  assert.deepEqual(h.got, []);
  assert.equal(nat.stats.expired, 1);
});

for (const refresh of ["outbound", "both"] as const) {
  Deno.test(`Nat refresh "${refresh}": inbound traffic ${refresh === "both" ? "keeps" : "does not keep"} a mapping alive`, () => {
    const w = world();
    const nat = w.nat({ preset: "full-cone", refresh, establishedTimeoutMs: 30_000 });
    const h = host(nat, A);
    h.ep.send(ONE, S1);
    for (let t = 0; t < 6; t++) {
      w.clock.advance(10_000);
      w.servers[0].ep.send(ONE, { hostname: "203.0.113.1", port: 5000 });
    }
    w.clock.advance(1);
    // "outbound": admitted at 10, 20 and 30 s (30 s idle is still alive), gone at 40 s.
    assert.equal(h.got.length, refresh === "both" ? 6 : 3);
    if (refresh === "outbound") assert.ok(nat.stats.expired >= 1);
  });
}

for (const hairpinning of [true, false]) {
  Deno.test(`Nat hairpinning ${hairpinning ? "on" : "off"}`, () => {
    const w = world();
    const nat = w.nat({ preset: "full-cone", hairpinning });
    const a = host(nat, A);
    const b = host(nat, { hostname: "10.0.1.3", port: 6000 });
    a.ep.send(ONE, S1);
    b.ep.send(ONE, S1);
    w.clock.advance(1);
    const [aPublic, bPublic] = w.servers[0].from;
    b.ep.send(ONE, parseAddr(aPublic!));
    w.clock.advance(1);
    if (hairpinning) {
      assert.deepEqual(a.got, [bPublic], "seen from B's public address, translated");
      assert.equal(nat.stats.hairpinned, 1);
    } else {
      assert.deepEqual(a.got, []);
      assert.equal(nat.stats.hairpinDropped, 1);
    }
  });
}

Deno.test("Nat: with hairpinning off, a packet to the own public address opens no mapping", () => {
  const w = world();
  const nat = w.nat({ preset: "symmetric" });
  host(nat, A).ep.send(ONE, { hostname: "203.0.113.1", port: 40000 });
  w.clock.advance(1);
  assert.equal(nat.stats.hairpinDropped, 1);
  assert.equal(nat.mappingCount, 0);
});

Deno.test("Nat: hosts on the same LAN reach each other at their private addresses", () => {
  const w = world();
  const nat = w.nat({ preset: "symmetric" });
  const a = host(nat, A);
  const b = host(nat, { hostname: "10.0.1.3", port: 6000 });
  b.ep.send(ONE, A);
  w.clock.advance(1);
  assert.deepEqual(a.got, ["10.0.1.3:6000"]);
  assert.equal(nat.mappingCount, 0);
});

Deno.test("Nat behind a NAT (carrier-grade): the server sees the outer address, replies come back", () => {
  const w = world();
  const outer = w.nat({ publicIp: "203.0.113.5", preset: "port-restricted" });
  const inner = new Nat(outer, { publicIp: "100.64.0.2", preset: "port-restricted" });
  const h = host(inner, { hostname: "192.168.1.2", port: 7000 });
  h.ep.send(ONE, S1);
  w.clock.advance(1);
  assert.deepEqual(w.servers[0].from, ["203.0.113.5:7000"]);
  w.servers[0].ep.send(ONE, parseAddr(w.servers[0].from[0]!));
  w.clock.advance(1);
  assert.deepEqual(h.got, ["203.0.113.10:3478"]);
});

Deno.test("resolveNatOptions: presets, lab defaults and range checks", () => {
  const o = resolveNatOptions({ publicIp: "203.0.113.1", preset: "restricted-cone" });
  assert.equal(o.mapping, "endpoint-independent");
  assert.equal(o.filtering, "address-dependent");
  assert.deepEqual(o.portRange, [1024, 65535]);
  const lab = resolveNatOptions({ publicIp: "203.0.113.1", preset: "address-restricted" });
  assert.equal(lab.filtering, "address-dependent", "the nat-lab's name for restricted cone");
  assert.equal(o.establishedTimeoutMs, 120_000);
  const s = resolveNatOptions({ publicIp: "x", preset: "symmetric", ports: "sequential" });
  assert.equal(s.ports, "sequential", "explicit fields win over the preset");
  assert.throws(() => resolveNatOptions({ publicIp: "x", portRange: [0, 10] }), RangeError);
  assert.throws(() => resolveNatOptions({ publicIp: "x", portRange: [10, 5] }), RangeError);
  assert.throws(() => resolveNatOptions({ publicIp: "x", timeoutMs: 0 }), RangeError);
  // deno-lint-ignore no-explicit-any
  assert.throws(() => resolveNatOptions({ publicIp: "x", preset: "cone" as any }), RangeError);
});
