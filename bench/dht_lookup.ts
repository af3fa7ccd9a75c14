/**
 * Lookup latency on loopback testnets of at least 50 nodes, side by side: the same peerkit
 * lookup client against a testnet of tox-bootstrapd daemons (c-toxcore 0.2.18) and against a
 * testnet of peerkit nodes (run in a child process). Each lookup starts from a fresh node
 * that knows one random testnet member, for a random other member's key.
 *
 *   deno run -A bench/dht_lookup.ts [--nodes 50] [--lookups 40] [--settle 20] [--seed 1]
 *
 * `--seed` drives who bootstraps from whom and which member pairs are looked up (the same
 * pairs, by index, on both testnets); keys and ports stay random.
 *
 * @module
 */
import { tweetnaclBackend as nacl } from "../lib/crypto/backend.ts";
import { DhtDriver } from "../lib/dht/driver.ts";
import { denoNetwork } from "../lib/net/deno.ts";
import type { Addr } from "../lib/net/addr.ts";
import { fromHex, toHex } from "../lib/util/bytes.ts";
import { seededRandom } from "../lib/net/random.ts";
import { type Bootstrapd, freePort, startBootstrapd } from "../test/_support/toxcore.ts";

function flag(name: string, def: string): string {
  const i = Deno.args.indexOf(`--${name}`);
  return i >= 0 && Deno.args[i + 1] !== undefined ? Deno.args[i + 1]! : def;
}
const n = Number(flag("nodes", "50"));
const lookups = Number(flag("lookups", "40"));
const settle = Number(flag("settle", "20")) * 1000;
const seed = Number(flag("seed", "1"));
const random = seededRandom(seed);

interface Member {
  publicKey: Uint8Array;
  addr: Addr;
}

async function node(): Promise<DhtDriver> {
  const socket = await denoNetwork.bindDatagram({ hostname: "127.0.0.1", port: freePort() });
  const d = new DhtDriver({ socket, node: { keyPair: nacl.keyPair() } });
  d.start();
  return d;
}

if (Deno.args.includes("--serve-testnet")) {
  // Child: n peerkit nodes, the first one first, the rest bootstrapping from two earlier ones.
  const nodes: DhtDriver[] = [await node()];
  await new Promise((r) => setTimeout(r, 200));
  for (let i = 1; i < n; i++) {
    const d = await node();
    for (let k = 0; k < 2; k++) {
      const p = nodes[Math.floor(random() * nodes.length)]!;
      d.bootstrap(p.localAddr, p.node.publicKey);
    }
    nodes.push(d);
  }
  for (const d of nodes) console.log(`NODE ${d.localAddr.port} ${toHex(d.node.publicKey)}`);
  console.log("READY");
  await new Promise<void>((r) => Deno.addSignalListener("SIGTERM", () => r()));
  for (const d of nodes) await d.close();
  Deno.exit(0);
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * p))] ?? NaN;
}

async function measure(name: string, members: Member[]) {
  const random = seededRandom(seed + 1); // the same pairs on both testnets
  const ms: number[] = [], hops: number[] = [], reqs: number[] = [];
  let found = 0;
  const failures: string[] = [];
  for (let i = 0; i < lookups; i++) {
    const known = members[Math.floor(random() * members.length)]!;
    let target = known;
    while (target === known) target = members[Math.floor(random() * members.length)]!;
    await using searcher = await node();
    const r = await searcher.lookup(target.publicKey, { seeds: [known], timeoutMs: 10_000 });
    if (r.found) {
      found++;
      ms.push(r.elapsedMs);
      hops.push(r.hops);
    } else {
      failures.push(`${r.reason} after ${r.requests} requests, ${r.responses} responses`);
    }
    reqs.push(r.requests);
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  console.log(
    `${name.padEnd(28)} found ${found}/${lookups}  latency p50 ${pct(ms, 0.5).toFixed(1)} ms  ` +
      `p90 ${pct(ms, 0.9).toFixed(1)} ms  max ${Math.max(...ms).toFixed(1)} ms  ` +
      `hops ${mean(hops).toFixed(2)}  requests ${mean(reqs).toFixed(1)}`,
  );
  if (failures.length) console.log(`  not found: ${failures.join("; ")}`);
  return pct(ms, 0.5);
}

console.log(`lookup latency, ${n}-node loopback testnets, ${lookups} lookups each, seed ${seed}`);

// Testnet of tox-bootstrapd daemons: one first, then the rest (interop doc point 3).
const daemons: Bootstrapd[] = [];
let theirs = NaN;
try {
  daemons.push(await startBootstrapd({ tcpRelay: false }));
  await new Promise((r) => setTimeout(r, 500));
  const entry = (d: Bootstrapd) => ({
    host: "127.0.0.1",
    port: d.udpPort,
    publicKeyHex: d.publicKeyHex,
  });
  for (let i = 1; i < n; i++) {
    const a = daemons[Math.floor(random() * daemons.length)]!;
    daemons.push(
      await startBootstrapd({ tcpRelay: false, bootstrap: [entry(daemons[0]!), entry(a)] }),
    );
  }
  await new Promise((r) => setTimeout(r, settle));
  theirs = await measure(
    `${n} x tox-bootstrapd`,
    daemons.map((d) => ({
      publicKey: d.publicKey,
      addr: { hostname: "127.0.0.1", port: d.udpPort },
    })),
  );
} finally {
  for (const d of daemons) await d.stop();
}

const child = new Deno.Command(Deno.execPath(), {
  args: [
    "run",
    "-A",
    new URL(import.meta.url).pathname,
    "--serve-testnet",
    "--nodes",
    String(n),
    "--seed",
    String(seed),
  ],
  stdout: "piped",
  stderr: "inherit",
}).spawn();
const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
let text = "";
while (!text.includes("READY")) {
  const { value, done } = await reader.read();
  if (done) break;
  text += value;
}
try {
  const members = [...text.matchAll(/NODE (\d+) ([0-9a-f]{64})/g)].map((m) => ({
    publicKey: fromHex(m[2]!),
    addr: { hostname: "127.0.0.1", port: Number(m[1]) },
  }));
  await new Promise((r) => setTimeout(r, settle));
  const ours = await measure(`${members.length} x peerkit`, members);
  console.log(
    `median latency ratio (peerkit testnet / tox-bootstrapd testnet) = ${
      (ours / theirs).toFixed(2)
    }`,
  );
} finally {
  child.kill("SIGTERM");
  await child.status;
  reader.releaseLock();
  await child.stdout.cancel().catch(() => {});
}
