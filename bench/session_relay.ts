/**
 * Session throughput through a TCP relay on loopback, side by side with its anchor, in
 * one run; neither side uses UDP, so every byte takes the relay:
 *
 * - **toxcore**: c-toxcore's file transfer between two libtoxcore peers in TCP-only mode
 *   (the C harness, UDP disabled) that meet through tox-bootstrapd's TCP relay.
 * - **peerkit**: a peerkit session (sender here, receiver in a Worker) whose two nodes
 *   reach each other only through `peerkit relay serve --rate 0` (its own process, no
 *   rate limit), the cookie exchange out of band and the data routed.
 *
 * Each side first moves 8 MiB over a new connection (`new 8MiB`), then `runs` transfers
 * of the full size over the same one. Every run is listed; the summary gives the medians
 * of the long runs and the ratio.
 *
 *     deno run -A bench/session_relay.ts [MiB per run = 32] [runs = 3]
 *
 * @module
 */
import { makeFriends, startToxClient } from "../test/_support/toxclient.ts";
import { startBootstrapd } from "../test/_support/toxcore.ts";
import { spawnLoopbackRelay } from "../test/_support/relay_serve.ts";
import {
  medianOf,
  peerkitOutcome,
  peerkitPair,
  reporter,
  type Row,
  series,
  toxcoreRun,
} from "./_session_pair.ts";

const mib = Number(Deno.args[0] ?? 32);
const runs = Number(Deno.args[1] ?? 3);
const total = Math.round(mib * 1024 * 1024);
const FIRST = 8 * 1024 * 1024;
const rows: Row[] = [];
const report = reporter(rows);
const sizes = { runs, first: FIRST, total };

console.log(
  `session throughput through a TCP relay on loopback, UDP off, new connection 8 MiB then ` +
    `${runs} x ${mib} MiB (${Deno.build.os}, deno ${Deno.version.deno}, load ${
      Deno.loadavg().map((x) => x.toFixed(1)).join(" ")
    })\n`,
);

{
  const side = "toxcore via bootstrapd";
  await using node = await startBootstrapd();
  await using a = await startToxClient({ udp: false, name: "relay-sender" });
  await using b = await startToxClient({ udp: false, name: "relay-receiver" });
  for (const c of [a, b]) {
    await c.useNode({
      udpPort: node.udpPort,
      tcpPort: node.tcpPort,
      publicKeyHex: node.publicKeyHex,
    });
  }
  const [bOnA] = await makeFriends(a, b, { timeoutMs: 60_000, status: "tcp" });
  await series(report, side, sizes, (_k, size) => toxcoreRun(a, b, bOnA, size));
}

{
  const side = "peerkit via relay serve";
  await using r = await spawnLoopbackRelay(["--rate", "0"]);
  const pair = await peerkitPair(undefined, { port: r.tcpPort, key: r.publicKeyHex });
  await pair.connect();
  await series(
    report,
    side,
    sizes,
    async (k, size) => peerkitOutcome(await pair.transfer(k + 1, size)),
  );
  await pair.close();
}

const tox = medianOf(rows, "toxcore via bootstrapd", "run");
const pk = medianOf(rows, "peerkit via relay serve", "run");
const tox8 = medianOf(rows, "toxcore via bootstrapd", "new");
const pk8 = medianOf(rows, "peerkit via relay serve", "new");
const ratio = (x: number, y: number) => (y > 0 ? (x / y).toFixed(2) + "x" : "n/a");
console.log(`\nsummary: median of the ${runs} x ${mib} MiB runs (MB/s of payload)`);
console.log(`  toxcore via bootstrapd    ${tox.toFixed(2)}`);
console.log(`  peerkit via relay serve   ${pk.toFixed(2)}   ${ratio(pk, tox)} toxcore`);
console.log(`  new connection, first 8 MiB: toxcore ${tox8.toFixed(2)}, peerkit ${pk8.toFixed(2)}`);
