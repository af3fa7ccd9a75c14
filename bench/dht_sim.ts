/**
 * Simulation benchmark: N DHT nodes (the real `DhtNode` code) on the in-memory network in
 * virtual time; prints lookup success, hops, messages per lookup and memory per node.
 *
 *   deno run -A --v8-flags=--expose-gc bench/dht_sim.ts --nodes 10000 --lookups 500
 *
 * The defaults (5,000 nodes) keep a run under 5 minutes (2.4 minutes of CPU); the
 * 10,000-node target run takes 6.5-7.5 minutes of CPU.
 *   deno run -A --v8-flags=--expose-gc bench/dht_sim.ts --nodes 2000 --loss 0.05 --churn 0.05
 *
 * Flags: --nodes N (5000) --lookups K (500) --settle SECONDS (60) --join-rate N/s (200)
 * --latency MIN,MAX ms (10,80) --loss P (0) --churn FRACTION_PER_MINUTE (0) --seed S (1)
 * --cache N (shared keys cached per node, 1024) --real-crypto (NaCl instead of the simulation
 * cipher; slow) --json
 *
 * Every node holds the real SharedKeyCache (32-byte keys; only the X25519 is replaced), so
 * "memory / node" is what a real node holds. The seeded generator drives keys, addresses,
 * latency, loss, churn and lookups: the same --seed gives the same figures (wall times and
 * memory aside).
 *
 * @module
 */
import { DhtSimulation } from "../lib/dht/sim.ts";

function flag(name: string, def: string): string {
  const i = Deno.args.indexOf(`--${name}`);
  return i >= 0 && Deno.args[i + 1] !== undefined ? Deno.args[i + 1]! : def;
}
const nodes = Number(flag("nodes", "5000"));
const lookups = Number(flag("lookups", "500"));
const settle = Number(flag("settle", "60")) * 1000;
const joinRate = Number(flag("join-rate", "200"));
const [lo, hi] = flag("latency", "10,80").split(",").map(Number) as [number, number];
const loss = Number(flag("loss", "0"));
const churn = Number(flag("churn", "0"));
const seed = Number(flag("seed", "1"));
const cacheSize = Number(flag("cache", "1024"));
const realCrypto = Deno.args.includes("--real-crypto");
const json = Deno.args.includes("--json");

const gc = (globalThis as { gc?: () => void }).gc;
const heap = () => {
  gc?.();
  gc?.();
  const m = Deno.memoryUsage();
  return m.heapUsed + m.external; // typed-array backing stores over 64 bytes live off-heap
};

const t0 = performance.now();
const before = heap();
const sim = new DhtSimulation({
  nodes,
  seed,
  joinRate,
  latencyMs: [lo, hi],
  loss,
  churnPerMinute: churn,
  realCrypto,
  sharedKeyCacheSize: cacheSize,
});
sim.joinAll();
const joinedAt = performance.now();
sim.run(settle);
const settledAt = performance.now();
const online = sim.online();
const after = heap();
const perNode = (after - before) / sim.nodes.length;
const sizes = online.map((n) => n.node.closeListSize().good);
const keyStats = (nodes: typeof online) => {
  let hits = 0, misses = 0, size = 0;
  for (const n of nodes) {
    const s = n.node.keyCacheStats();
    hits += s?.hits ?? 0;
    misses += s?.misses ?? 0;
    size += s?.size ?? 0;
  }
  return { hits, misses, size };
};
const keys0 = keyStats(online);
const cacheBytes = online.reduce((sum, n) => sum + (n.keyCache?.allocatedBytes ?? 0), 0) /
  online.length;
const sent0 = sim.net.stats.sent;
const batch = sim.lookupMany(lookups);
const lookupMsgs = sim.net.stats.sent - sent0;
const keys1 = keyStats(online);
const result = {
  nodes: online.length,
  nodesCreated: sim.nodes.length,
  latencyMs: [lo, hi],
  loss,
  churnPerMinute: churn,
  seed,
  crypto: realCrypto ? "nacl" : "simulation",
  virtualSeconds: Math.round(sim.clock.now() / 1000),
  lookups: batch.results.length,
  successRate: batch.successRate,
  meanHops: Number(batch.meanHops.toFixed(2)),
  maxHops: batch.maxHops,
  meanRequestsPerLookup: Number(batch.meanRequests.toFixed(2)),
  meanLookupMs: Math.round(batch.meanMs),
  networkDatagramsDuringLookups: lookupMsgs,
  closeListGoodMean: Number((sizes.reduce((a, b) => a + b, 0) / sizes.length).toFixed(1)),
  closeListGoodMin: Math.min(...sizes),
  memoryPerNodeBytes: Math.round(perNode),
  sharedKeyCache: {
    capacity: cacheSize,
    entriesMean: Number((keys0.size / online.length).toFixed(1)),
    arrayBytesPerNode: Math.round(cacheBytes),
    hitRateWhileSettling: Number((keys0.hits / (keys0.hits + keys0.misses)).toFixed(4)),
    hitRateDuringLookups: Number(
      ((keys1.hits - keys0.hits) / (keys1.hits - keys0.hits + keys1.misses - keys0.misses))
        .toFixed(4),
    ),
    hits: keys1.hits,
    misses: keys1.misses,
  },
  memoryMeasured: gc
    ? "V8 heap + external after gc"
    : "V8 heap + external, no gc (run with --v8-flags=--expose-gc)",
  wallSeconds: {
    join: Number(((joinedAt - t0) / 1000).toFixed(1)),
    settle: Number(((settledAt - joinedAt) / 1000).toFixed(1)),
    total: Number(((performance.now() - t0) / 1000).toFixed(1)),
  },
};
sim.close();
if (json) console.log(JSON.stringify(result));
else {
  console.log(
    `DHT simulation: ${result.nodes} nodes online (${result.nodesCreated} created), ` +
      `latency ${lo}-${hi} ms, loss ${loss}, churn ${churn}/min, ${result.crypto} cipher, seed ${seed}`,
  );
  console.log(
    `  lookups            ${result.lookups}, success ${(result.successRate * 100).toFixed(1)} %`,
  );
  console.log(`  hops               mean ${result.meanHops}, max ${result.maxHops}`);
  console.log(
    `  requests / lookup  ${result.meanRequestsPerLookup} (mean ${result.meanLookupMs} ms virtual)`,
  );
  console.log(
    `  close list (good)  mean ${result.closeListGoodMean}, min ${result.closeListGoodMin}`,
  );
  console.log(
    `  memory / node      ${(perNode / 1024).toFixed(1)} KiB (${result.memoryMeasured}), ` +
      `shared-key cache included (its arrays: ${(cacheBytes / 1024).toFixed(1)} KiB)`,
  );
  const k = result.sharedKeyCache;
  console.log(
    `  shared-key cache   ${k.entriesMean} entries/node of ${k.capacity}; hit rate ` +
      `${(k.hitRateWhileSettling * 100).toFixed(1)} % settling, ` +
      `${
        (k.hitRateDuringLookups * 100).toFixed(1)
      } % during lookups (${k.hits} hits, ${k.misses} misses)`,
  );
  console.log(
    `  wall time          ${result.wallSeconds.total} s (join ${result.wallSeconds.join} s, settle ${result.wallSeconds.settle} s)`,
  );
}
