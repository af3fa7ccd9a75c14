/**
 * Session throughput over a direct loopback UDP path, side by side with its anchors, in
 * one run:
 *
 * - **toxcore**: c-toxcore's own file transfer between two libtoxcore peers on loopback
 *   (the C harness, `test/interop/toxclient.c`: `file_send`, auto-accept, pattern check),
 *   timed by the receiver from its `file_recv` to the last chunk.
 * - **peerkit**: a peerkit session (default pacer: delivery rate), sender here and receiver
 *   in a Worker (each end its own thread, as each c-toxcore peer is its own process),
 *   id-160 payloads of 1372 bytes (what a file chunk carries), checked byte by byte against
 *   the same pattern, timed by the receiver from the first byte to the last.
 * - **raw UDP**: the ceiling: 1400-byte datagrams through the batched FFI socket
 *   (`recvmmsg`/`sendmmsg`, the best socket this code base has; the same one the sessions
 *   use), receiver in a Worker, the sender at most 1024 datagrams ahead of what the receiver
 *   has read (a shared counter), so the figure is what the receiver can take.
 * - **crypto**: the backend's ceiling on one core: seal + open of one 1381-byte data
 *   plaintext (1373-byte payload) per packet, in place, as the session does.
 *
 * Each side first moves 8 MiB over a new connection (`new 8MiB`: ramp-up included), then
 * `runs` transfers of the full size over the same connection (`run N`). Every run is
 * listed; the summary gives each side's median of the `run N` rows and the ratios.
 *
 *     deno run -A bench/session_throughput.ts [MiB per run = 64] [runs = 3]
 *
 * @module
 */
import { loadNativeSodium, loadSodium } from "../lib/crypto/mod.ts";
import { denoBatchNetwork } from "../lib/net/deno.ts";
import { makeFriends, startToxClient } from "../test/_support/toxclient.ts";
import {
  mbps,
  medianOf,
  peerkitOutcome,
  peerkitPair,
  reporter,
  type Row,
  series,
  toxcoreRun,
} from "./_session_pair.ts";

const mib = Number(Deno.args[0] ?? 64);
const runs = Number(Deno.args[1] ?? 3);
const total = Math.round(mib * 1024 * 1024);
const FIRST = 8 * 1024 * 1024;
const rows: Row[] = [];
const report = reporter(rows);
const sizes = { runs, first: FIRST, total };

console.log(
  `session throughput, direct loopback, new connection 8 MiB then ${runs} x ${mib} MiB ` +
    `(${Deno.build.os}, deno ${Deno.version.deno}, ${navigator.hardwareConcurrency} cores, ` +
    `load ${Deno.loadavg().map((x) => x.toFixed(1)).join(" ")})\n`,
);

// c-toxcore: a new friend connection, its first 8 MiB, then the long runs.
{
  const side = "toxcore file transfer";
  await using a = await startToxClient({ udp: true, name: "bench-sender" });
  await using b = await startToxClient({ udp: true, name: "bench-receiver" });
  await a.bootstrap("127.0.0.1", b.udpPort, b.dhtPublicKey);
  await b.bootstrap("127.0.0.1", a.udpPort, a.dhtPublicKey);
  const [bOnA] = await makeFriends(a, b, { timeoutMs: 30_000, status: "udp" });
  await series(report, side, sizes, (_k, size) => toxcoreRun(a, b, bOnA, size));
}

// peerkit: the same, a new session's first 8 MiB, then the long runs.
{
  const side = "peerkit session";
  const pair = await peerkitPair();
  await pair.connect({ hostname: "127.0.0.1", port: pair.receiverPort });
  await series(
    report,
    side,
    sizes,
    async (k, size) => peerkitOutcome(await pair.transfer(k + 1, size)),
  );
  await pair.close();
}

// Raw UDP: the batched socket, the receiver in a Worker.
async function rawRun(run: number): Promise<void> {
  const counter = new Int32Array(new SharedArrayBuffer(4));
  const w = new Worker(new URL("./_session_worker.ts", import.meta.url), { type: "module" });
  const port = await new Promise<number>((res) => {
    w.onmessage = (m) => res(m.data.port);
    w.postMessage({ role: "raw", counter });
  });
  const tx = await denoBatchNetwork.bindDatagram({ hostname: "127.0.0.1", port: 0 });
  const to = { hostname: "127.0.0.1", port };
  const d = new Uint8Array(1400).fill(0x1b);
  const count = Math.ceil(total / d.length);
  const t0 = performance.now();
  let sent = 0, lastGot = 0, lastAt = t0;
  while (performance.now() - t0 < 60_000) {
    const got = Atomics.load(counter, 0);
    if (got !== lastGot) [lastGot, lastAt] = [got, performance.now()];
    if (got >= count || (sent >= count && performance.now() - lastAt > 200)) break;
    const room = Math.min(1024 - (sent - got), count - sent);
    for (let i = 0; i < room; i++) tx.send(d, to).catch(() => {});
    sent += Math.max(0, room);
    await new Promise((r) => setTimeout(r, 0));
  }
  const got = Atomics.load(counter, 0);
  const ms = lastAt - t0;
  tx.close();
  w.terminate();
  report({
    side: "raw UDP (batched socket)",
    run: `run ${run}`,
    mbps: mbps(got * d.length, ms),
    ms,
    clean: got >= 0.99 * count,
    note: `${((1 - got / count) * 100).toFixed(1)} % lost (clean: < 1 %)`,
  });
}
for (let r = 1; r <= runs; r++) await rawRun(r);

// Crypto: seal + open in place, one core, the backend the sessions use.
const sodium = loadNativeSodium() ?? await loadSodium();
for (let r = 1; r <= runs; r++) {
  const key = sodium.randomBytes(32), nonce = sodium.randomBytes(24);
  const plain = new Uint8Array(1381).fill(7);
  const box = new Uint8Array(1381 + 16), back = new Uint8Array(1381);
  const n = Math.ceil(total / 1373);
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    nonce[23] = i & 0xff;
    if (sodium.sealInto && sodium.openInto) {
      sodium.sealInto(box, plain, nonce, key);
      if (!sodium.openInto(back, box, nonce, key)) throw new Error("open failed");
    } else if (sodium.open(sodium.seal(plain, nonce, key), nonce, key) === null) {
      throw new Error("open failed");
    }
  }
  const ms = performance.now() - t0;
  report({
    side: `crypto (${sodium.name})`,
    run: `run ${r}`,
    mbps: mbps(n * 1373, ms),
    ms,
    clean: true,
    note: `${n} seal+open of 1373-byte payloads`,
  });
}

const tox = medianOf(rows, "toxcore file transfer", "run");
const pk = medianOf(rows, "peerkit session", "run");
const raw = medianOf(rows, "raw UDP (batched socket)", "run");
const cry = medianOf(rows, `crypto (${sodium.name})`, "run");
const tox8 = medianOf(rows, "toxcore file transfer", "new");
const pk8 = medianOf(rows, "peerkit session", "new");
const ratio = (x: number, y: number) => (y > 0 ? (x / y).toFixed(2) : "n/a");
console.log(`\nsummary: median of the ${runs} x ${mib} MiB runs (MB/s of payload)`);
console.log(`  toxcore file transfer   ${tox.toFixed(2)}`);
console.log(`  peerkit session         ${pk.toFixed(2)}   ${ratio(pk, tox)}x toxcore`);
console.log(`  raw UDP ceiling         ${raw.toFixed(2)}   peerkit is ${ratio(pk, raw)} of it`);
console.log(`  crypto ceiling          ${cry.toFixed(2)}   peerkit is ${ratio(pk, cry)} of it`);
console.log(
  `  new connection, first 8 MiB: toxcore ${tox8.toFixed(2)}, peerkit ${pk8.toFixed(2)}` +
    `   ${ratio(pk8, tox8)}x`,
);
console.log("(targets: peerkit >= 5x toxcore, >= 0.25 of raw UDP)");
