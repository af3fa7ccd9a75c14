import assert from "node:assert/strict";
import { DhtSimulation } from "../../lib/dht/sim.ts";

Deno.test("simulation: every lookup of an online key succeeds among 800 nodes", () => {
  const sim = new DhtSimulation({ nodes: 800, seed: 3, joinRate: 200 });
  sim.joinAll();
  sim.run(40_000);
  const r = sim.lookupMany(100);
  sim.close();
  assert.equal(r.results.length, 100);
  assert.equal(r.successRate, 1, JSON.stringify(r.results.filter((x) => !x.found)[0]?.reason));
  assert.ok(r.meanHops >= 1 && r.maxHops <= 6, `hops ${r.meanHops}/${r.maxHops}`);
  assert.ok(r.meanRequests < 40, `requests ${r.meanRequests}`);
});

Deno.test("simulation: lookups still succeed with 5 % loss and 10 % churn per minute", () => {
  const sim = new DhtSimulation({ nodes: 500, seed: 5, loss: 0.05, churnPerMinute: 0.1 });
  sim.joinAll();
  sim.run(130_000); // two churn rounds
  assert.ok(sim.nodes.length > 500, "churn replaced nodes");
  const r = sim.lookupMany(60);
  sim.close();
  assert.ok(sim.net.stats.lost > 0);
  assert.ok(r.successRate >= 0.95, `success ${r.successRate}`);
});

Deno.test("simulation: the same seed gives the same run", () => {
  const run = () => {
    const sim = new DhtSimulation({ nodes: 120, seed: 11 });
    sim.joinAll();
    sim.run(20_000);
    const r = sim.lookupMany(10);
    sim.close();
    return [sim.net.stats.sent, r.results.map((x) => x.requests).join()];
  };
  assert.deepEqual(run(), run());
});

Deno.test("simulation: another seed gives another run; the same seed the same cache counters", () => {
  const run = (seed: number) => {
    const sim = new DhtSimulation({ nodes: 120, seed });
    sim.joinAll();
    sim.run(20_000);
    const r = sim.lookupMany(10);
    sim.close();
    const caches = sim.nodes.map((n) => n.keyCache!);
    return {
      sent: sim.net.stats.sent,
      requests: r.results.map((x) => x.requests).join(),
      hits: caches.reduce((s, c) => s + c.hits, 0),
      misses: caches.reduce((s, c) => s + c.misses, 0),
    };
  };
  const a = run(21);
  assert.deepEqual(run(21), a);
  assert.notDeepEqual(run(22), a);
});

Deno.test("simulation: every node holds a real shared-key cache that grows with its peers", () => {
  const sim = new DhtSimulation({ nodes: 200, seed: 4, sharedKeyCacheSize: 1024 });
  sim.joinAll();
  sim.run(30_000);
  sim.close();
  for (const n of sim.nodes) {
    const c = n.keyCache!;
    assert.ok(c.size > 0 && c.size <= c.capacity);
    assert.equal(c.misses, c.size, "no evictions below the capacity: one miss per distinct peer");
    assert.ok(c.hits > c.misses, `hits ${c.hits}, misses ${c.misses}`);
    assert.ok(c.allocatedBytes < 90 * c.size + 2048, `${c.allocatedBytes} bytes for ${c.size}`);
  }
});

Deno.test("simulation: a small shared-key cache evicts and keeps to its capacity", () => {
  const sim = new DhtSimulation({ nodes: 200, seed: 4, sharedKeyCacheSize: 8 });
  sim.joinAll();
  sim.run(30_000);
  sim.close();
  const c = sim.nodes[0]!.keyCache!;
  assert.equal(c.size, 8);
  assert.ok(c.misses > 8, "evicted peers were computed again");
});
