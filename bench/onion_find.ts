/**
 * Time for two friends to find each other through the onion until their friend
 * connection is up, side by side on one loopback testnet of tox-bootstrapd 0.2.18 daemons:
 *
 * - **c-toxcore pair**: two libtoxcore clients (the C harness `test/interop/toxclient.c`);
 *   stops when both report the friend connection (its connection status callback).
 * - **peerkit pair**: two peerkit nodes (`openReachNode`: DHT, onion, sessions on one
 *   socket); stops when both have the session established (the point where c-toxcore's
 *   friend connection comes up, before its Messenger online packet).
 * - **peerkit + c-toxcore**: a peerkit node and a libtoxcore client; stops when both say so.
 *
 * Each run starts fresh clients, waits until each is online (c-toxcore: its self
 * connection; peerkit: stored on an announce node), then adds the friends on both sides at
 * once and starts the clock. Only keys are exchanged: no address, no DHT key. Every run is
 * listed, then the median of each side and the ratio peerkit / c-toxcore.
 *
 *     deno run -A bench/onion_find.ts [runs = 5] [daemons = 5]
 *
 * @module
 */
import { backend } from "../lib/crypto/mod.ts";
import { formatPublicKey } from "../lib/identity/pubkey.ts";
import { openReachNode, type ReachNode } from "../lib/onion/reach_node.ts";
import type { NodeInfo } from "../lib/dht/packed_node.ts";
import { fromHex } from "../lib/util/bytes.ts";
import { startToxClient, type ToxClient } from "../test/_support/toxclient.ts";
import { type Bootstrapd, startBootstrapd } from "../test/_support/toxcore.ts";

const runs = Number(Deno.args[0] ?? 5);
const daemonCount = Number(Deno.args[1] ?? 5);
if (!Number.isInteger(runs) || runs < 1 || runs > 50 || !(daemonCount >= 3 && daemonCount <= 10)) {
  console.error("usage: deno run -A bench/onion_find.ts [runs 1-50] [daemons 3-10]");
  Deno.exit(2);
}
const LIMIT_MS = 60_000;

type Side = "c-toxcore pair" | "peerkit pair" | "peerkit + c-toxcore";
const SIDES: Side[] = ["c-toxcore pair", "peerkit pair", "peerkit + c-toxcore"];
const results = new Map<Side, (number | undefined)[]>(SIDES.map((s) => [s, []]));

async function toxClient(name: string, daemons: Bootstrapd[]): Promise<ToxClient> {
  const c = await startToxClient({ name });
  for (const d of daemons) await c.bootstrap("127.0.0.1", d.udpPort, d.publicKeyHex);
  await c.waitForOnline(LIMIT_MS);
  return c;
}

async function peerkitNode(nodes: NodeInfo[]): Promise<ReachNode> {
  let announced = () => {};
  const ready = new Promise<void>((r) => announced = r);
  const n = await openReachNode({
    realKeyPair: backend().keyPair(),
    bootstrap: nodes,
    onOnionEvent: (e) => e.type === "announced" && announced(),
  });
  const t = setTimeout(() => announced(), LIMIT_MS);
  await ready;
  clearTimeout(t);
  return n;
}

async function timed(work: () => Promise<unknown>): Promise<number | undefined> {
  const t0 = performance.now();
  try {
    await work();
    return performance.now() - t0;
  } catch (e) {
    console.error(`  failed: ${e instanceof Error ? e.message : e}`);
    return undefined;
  }
}

async function toxcorePair(daemons: Bootstrapd[]): Promise<number | undefined> {
  await using a = await toxClient("alice", daemons);
  await using b = await toxClient("bob", daemons);
  return await timed(async () => {
    const [bOnA, aOnB] = await Promise.all([
      a.addFriendNoRequest(b.publicKey),
      b.addFriendNoRequest(a.publicKey),
    ]);
    await Promise.all([
      a.waitForFriend(bOnA, { timeoutMs: LIMIT_MS }),
      b.waitForFriend(aOnB, { timeoutMs: LIMIT_MS }),
    ]);
  });
}

async function peerkitPair(nodes: NodeInfo[]): Promise<number | undefined> {
  await using a = await peerkitNode(nodes);
  await using b = await peerkitNode(nodes);
  const keyA = realKey(a), keyB = realKey(b);
  return await timed(async () => {
    a.connector.add(keyB);
    b.connector.add(keyA);
    await Promise.all([
      a.connector.waitConnected(keyB, LIMIT_MS),
      b.connector.waitConnected(keyA, LIMIT_MS),
    ]);
  });
}

/** A node's real key (the first 32 bytes of its Tox ID). */
function realKey(n: ReachNode): Uint8Array {
  return fromHex(n.toxId.slice(0, 64));
}

async function mixedPair(daemons: Bootstrapd[], nodes: NodeInfo[]): Promise<number | undefined> {
  await using t = await toxClient("carol", daemons);
  await using p = await peerkitNode(nodes);
  return await timed(async () => {
    const friend = await t.addFriendNoRequest(formatPublicKey(realKey(p)));
    p.connector.add(fromHex(t.publicKey));
    await Promise.all([
      t.waitForFriend(friend, { timeoutMs: LIMIT_MS }),
      p.connector.waitConnected(fromHex(t.publicKey), LIMIT_MS),
    ]);
  });
}

async function startDaemons(): Promise<Bootstrapd[]> {
  const first = await startBootstrapd({ tcpRelay: false });
  const entry = { host: "127.0.0.1", port: first.udpPort, publicKeyHex: first.publicKeyHex };
  const rest = await Promise.all(
    Array.from(
      { length: daemonCount - 1 },
      () => startBootstrapd({ tcpRelay: false, bootstrap: [entry] }),
    ),
  );
  return [first, ...rest];
}

function median(xs: number[]): number | undefined {
  if (xs.length === 0) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const fmt = (ms: number | undefined) => ms === undefined ? "failed" : `${Math.round(ms)} ms`;

console.log(
  `onion find: ${runs} runs on ${daemonCount} tox-bootstrapd daemons (loopback, UDP); ` +
    `clock from "friends added on both sides" to "friend connection up on both sides"`,
);
const daemons = await startDaemons();
try {
  const nodes = daemons.map((d) => ({
    publicKey: d.publicKey,
    addr: { hostname: "127.0.0.1", port: d.udpPort },
  }));
  for (let run = 1; run <= runs; run++) {
    const row: string[] = [];
    for (const side of SIDES) {
      const ms = side === "c-toxcore pair"
        ? await toxcorePair(daemons)
        : side === "peerkit pair"
        ? await peerkitPair(nodes)
        : await mixedPair(daemons, nodes);
      results.get(side)!.push(ms);
      row.push(`${side}: ${fmt(ms).padStart(8)}`);
    }
    console.log(`run ${run}  ${row.join("   ")}`);
  }
} finally {
  for (const d of daemons) await d.stop();
}
const med = new Map(SIDES.map((s) => [s, median(results.get(s)!.filter((x) => x !== undefined))]));
console.log("summary (median of the runs that finished):");
for (const s of SIDES) {
  const ok = results.get(s)!.filter((x) => x !== undefined).length;
  console.log(`  ${s.padEnd(20)} ${fmt(med.get(s)).padStart(8)}  (${ok}/${runs} runs finished)`);
}
const tox = med.get("c-toxcore pair"),
  pk = med.get("peerkit pair"),
  mix = med.get("peerkit + c-toxcore");
if (tox !== undefined && pk !== undefined) {
  console.log(
    `  ratio peerkit pair / c-toxcore pair: ${(pk / tox).toFixed(2)} (below 1: peerkit faster)`,
  );
}
if (tox !== undefined && mix !== undefined) {
  console.log(`  ratio peerkit + c-toxcore / c-toxcore pair: ${(mix / tox).toFixed(2)}`);
}
