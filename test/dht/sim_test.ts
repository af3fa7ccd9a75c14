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
