/**
 * Session throughput over a direct loopback UDP path, side by side with its anchor:
 *
 * - **toxcore**: c-toxcore's own file transfer between two libtoxcore peers on loopback
 *   (the C harness, `test/interop/toxclient.c`: `file_send`, auto-accept, pattern check),
 *   timed by the receiver from its `file_recv` to the last chunk.
 * - **peerkit**: two peerkit nodes (`SessionDriver` on a `UdpHost` each, real sockets), a
 *   lossless bulk transfer of 1372 data bytes per packet (id 160 + data, what a file chunk
 *   is: id 82 + file number + up to 1371 bytes), byte-exact by SHA-256, with each pacer.
 * - **raw UDP**: the ceiling: 1400-byte datagrams from one Deno socket to another as fast
 *   as the receiver reads them (the sender stays at most 96 datagrams ahead), counted at
 *   the receiver.
 *
 * Both sessions are opened once and reused for every run (run 1 includes the ramp-up of
 * a new connection, as c-toxcore's does). Every run is listed; then the best clean run of each side (byte-exact, finished in
 * time) and the ratios peerkit / toxcore and peerkit / raw UDP.
 *
 *     deno run -A bench/session_throughput.ts [MiB per run = 8] [runs = 4]
 *
 * @module
 */
import { backend } from "../lib/crypto/mod.ts";
import { sha256 } from "../lib/crypto/hash.ts";
import { denoBatchNetwork } from "../lib/net/deno.ts";
import { UdpHost } from "../lib/node/host.ts";
import { SessionDriver } from "../lib/session/driver.ts";
import { SessionHost } from "../lib/session/host.ts";
import type { Pacer } from "../lib/session/session_options.ts";
import { toHex } from "../lib/util/bytes.ts";
import { makeFriends, startToxClient, type ToxClient } from "../test/_support/toxclient.ts";

const mib = Number(Deno.args[0] ?? 8);
const runs = Number(Deno.args[1] ?? 4);
const total = Math.round(mib * 1024 * 1024);
const RUN_LIMIT_MS = 40_000;
const CHUNK = 1372;
/** Raw UDP: datagrams the sender may be ahead of the reader. */
const WINDOW = 96;

interface Row {
  side: string;
  run: number;
  mbps: number;
  ms: number;
  clean: boolean;
  note: string;
}
const rows: Row[] = [];
const report = (r: Row) => {
  rows.push(r);
  console.log(
    `${r.side.padEnd(22)} run ${r.run}  ${r.mbps.toFixed(2).padStart(7)} MB/s  ` +
      `${(r.ms / 1000).toFixed(2).padStart(6)} s  ${r.clean ? "clean" : "NOT CLEAN"}  ${r.note}`,
  );
};
const mbps = (bytes: number, ms: number) => bytes / 1e6 / (ms / 1000);

/** One c-toxcore file transfer of `total` bytes from a to b. */
async function toxcoreRun(a: ToxClient, b: ToxClient, bOnA: number, run: number) {
  const since = b.events().length;
  await a.fileSend(bOnA, total);
  try {
    const e = await b.waitFor(/^file_done /, RUN_LIMIT_MS, { since });
    const [, , , bytes, ms, bad] = e.line.split(" ");
    const n = Number(bytes), t = Number(ms);
    report({
      side: "toxcore file transfer",
      run,
      mbps: mbps(n, t),
      ms: t,
      clean: n === total && Number(bad) === 0,
      note: `${n} B, ${bad} bad${run === 1 ? ", new connection" : ""}`,
    });
  } catch {
    report({
      side: "toxcore file transfer",
      run,
      mbps: 0,
      ms: RUN_LIMIT_MS,
      clean: false,
      note: "timed out",
    });
  }
}

async function peerkitPair(pacer: Pacer) {
  const c = backend();
  const mk = async () => {
    const udp = new UdpHost({
      socket: await denoBatchNetwork.bindDatagram({ hostname: "127.0.0.1", port: 0 }),
    });
    const host = new SessionHost({ crypto: c, self: c.keyPair(), selfDht: c.keyPair(), pacer });
    return { udp, d: new SessionDriver({ udp, host }) };
  };
  const a = await mk(), b = await mk();
  a.d.connect(b.d.host.publicKey, b.d.host.dhtPublicKey, { addr: b.udp.localAddr });
  await a.d.waitEstablished(b.d.host.peer, 10_000);
  return {
    a,
    b,
    resent: 0,
    close: async () => {
      for (const p of [a, b]) {
        await p.d.close();
        await p.udp.close();
      }
    },
  };
}

type Pair = Awaited<ReturnType<typeof peerkitPair>>;

/** One peerkit session transfer of `src` over an open pair (as the toxcore pair is reused). */
async function peerkitRun(pair: Pair, pacer: Pacer, src: Uint8Array, srcHash: string, run: number) {
  const { a, b } = pair;
  const parts: Uint8Array[] = [];
  let got = 0;
  const off = b.d.on((e) => {
    if (e.type === "data" && e.data[0] === 160) {
      parts.push(e.data.slice(1));
      got += e.data.length - 1;
    }
  });
  const to = b.d.host.peer;
  const t0 = performance.now();
  let at = 0;
  while (got < src.length && performance.now() - t0 < RUN_LIMIT_MS) {
    while (at < src.length) {
      const piece = src.subarray(at, at + CHUNK);
      const pkt = new Uint8Array(piece.length + 1);
      pkt[0] = 160;
      pkt.set(piece, 1);
      if (!a.d.send(to, pkt)) break;
      at += piece.length;
    }
    await new Promise((r) => setTimeout(r, 1));
  }
  const ms = performance.now() - t0;
  const out = new Uint8Array(got);
  let o = 0;
  for (const p of parts) out.set(p, (o += p.length) - p.length);
  off();
  const s = a.d.host.session(to);
  const clean = got === src.length && toHex(sha256(out)) === srcHash;
  const resent = (s?.stats.resent ?? 0) - pair.resent;
  pair.resent += resent;
  report({
    side: `peerkit/${pacer}`,
    run,
    mbps: mbps(got, ms),
    ms,
    clean,
    note: `${got} B, ${resent} resent${run === 1 ? ", new session" : ""}`,
  });
}

/** The raw UDP ceiling: what one socket can write and another can read. */
async function rawRun(run: number) {
  const tx = await denoBatchNetwork.bindDatagram({ hostname: "127.0.0.1", port: 0 });
  const rx = await denoBatchNetwork.bindDatagram({ hostname: "127.0.0.1", port: 0 });
  const d = new Uint8Array(1400).fill(0x1b);
  const count = Math.ceil(total / d.length);
  let got = 0, last = 0;
  const t0 = performance.now();
  const reading = (async () => {
    try {
      while (got < count * d.length) {
        got += (await rx.receive()).data.length;
        last = performance.now();
      }
    } catch { /* closed */ }
  })();
  // The sender stays at most WINDOW datagrams ahead of the reader (same process, so this
  // is exact), so the figure is what the receiver can take, not the socket buffer's loss.
  const sends: Promise<void>[] = [];
  for (let i = 0; i < count; i++) {
    sends.push(tx.send(d, rx.localAddr).catch(() => {}));
    if (sends.length >= 32) await Promise.all(sends.splice(0));
    for (let w = 0; i - got / d.length > WINDOW && w < 1000; w++) {
      await new Promise((r) => setTimeout(r, 0));
    }
  }
  await Promise.all(sends);
  const end = performance.now() + 500;
  while (got < count * d.length && performance.now() < end) {
    await new Promise((r) => setTimeout(r, 10));
  }
  rx.close();
  tx.close();
  await reading;
  const ms = (last || performance.now()) - t0;
  report({
    side: "raw UDP",
    run,
    mbps: mbps(got, ms),
    ms,
    clean: got >= 0.99 * count * d.length,
    note: `${((1 - got / (count * d.length)) * 100).toFixed(1)} % lost (clean: < 1 %)`,
  });
}

console.log(
  `session throughput, direct loopback, ${mib} MiB per run, ${runs} runs ` +
    `(${Deno.build.os}, deno ${Deno.version.deno}, load ${
      Deno.loadavg().map((x) => x.toFixed(1)).join(" ")
    })`,
);
const src = new Uint8Array(total);
for (let i = 0; i < total; i++) src[i] = (i * 31 + (i >>> 11)) & 0xff;
const srcHash = toHex(sha256(src));

{
  await using a = await startToxClient({ udp: true, name: "bench-sender" });
  await using b = await startToxClient({ udp: true, name: "bench-receiver" });
  await a.bootstrap("127.0.0.1", b.udpPort, b.dhtPublicKey);
  await b.bootstrap("127.0.0.1", a.udpPort, a.dhtPublicKey);
  const [bOnA] = await makeFriends(a, b, { timeoutMs: 30_000, status: "udp" });
  for (let r = 1; r <= runs; r++) await toxcoreRun(a, b, bOnA, r);
}
for (const pacer of ["toxcore", "lossTolerant"] as const) {
  const pair = await peerkitPair(pacer);
  for (let r = 1; r <= runs; r++) await peerkitRun(pair, pacer, src, srcHash, r);
  await pair.close();
}
for (let r = 1; r <= runs; r++) await rawRun(r);

const best = (side: string) =>
  Math.max(0, ...rows.filter((r) => r.side === side && r.clean).map((r) => r.mbps));
const anchor = best("toxcore file transfer"), raw = best("raw UDP");
console.log("\nbest clean run of each side (MB/s of payload):");
console.log(`  toxcore file transfer  ${anchor.toFixed(2)}`);
console.log(`  raw UDP ceiling        ${raw.toFixed(2)}`);
for (const side of ["peerkit/toxcore", "peerkit/lossTolerant"]) {
  const b = best(side);
  console.log(
    `  ${side.padEnd(22)} ${b.toFixed(2)}   ratio to toxcore ${
      anchor ? (b / anchor).toFixed(2) : "n/a"
    }   to raw UDP ${raw ? (b / raw).toFixed(2) : "n/a"}`,
  );
}
