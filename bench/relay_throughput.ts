/**
 * Throughput and round-trip time between two relay clients through `peerkit relay serve`
 * (rate limit off) and through tox-bootstrapd 0.2.18, side by side in one run, with the same
 * client (peerkit's RelayClient on libsodium) and the same load. Prints both and the ratio.
 *
 *     deno run -A bench/relay_throughput.ts [seconds-per-window=3] [rtt-samples=500]
 *
 * Throughput: the sender streams 2000-byte data packets and keeps at most W KiB ahead of
 * what the receiver has acknowledged (acks every 4 packets and every 10 ms carry the highest
 * sequence number seen; 200 ms without an ack counts the packets in flight as lost, so a
 * relay that drops data does not stall the stream); MB/s counts bytes that arrived. W runs
 * over 32..512 KiB for both relays; each relay's best window is compared.
 * RTT: one 64-byte packet to the peer and back, repeated, median and p99.
 *
 * @module
 */
import { backend, loadSodium, setBackend } from "../lib/crypto/mod.ts";
import { RelayClient } from "../lib/relay/mod.ts";
import { median } from "./_measure.ts";
import { type BenchRelay, startPeerkitRelay, startToxRelay } from "./_relay_setup.ts";

const seconds = Number(Deno.args[0] ?? 3);
const samples = Number(Deno.args[1] ?? 500);
setBackend(await loadSodium());

const CHUNK = 2000;
const WINDOWS_KIB = [32, 64, 96, 128, 256, 512];

async function pair(r: BenchRelay) {
  const a = new RelayClient({ keyPair: backend().keyPair() });
  const b = new RelayClient({ keyPair: backend().keyPair() });
  const addr = { hostname: "127.0.0.1", port: r.tcpPort };
  for (const c of [a, b]) c.addRelay(addr, r.publicKey);
  a.addPeer(b.publicKey);
  b.addPeer(a.publicKey);
  await a.waitForPeer(b.publicKey, 10_000);
  await b.waitForPeer(a.publicKey, 10_000);
  return { a, b };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function throughput(
  r: BenchRelay,
  WINDOW: number,
): Promise<{ mbps: number; lost: number }> {
  const { a, b } = await pair(r);
  try {
    let pump = () => {};
    let sent = 0, acked = 0, recvBytes = 0, recvPkts = 0, maxSeq = 0;
    const ack = new Uint8Array(5);
    b.onData = (_p, d) => {
      recvBytes += d.length;
      recvPkts++;
      const seq = (d[1]! << 24 | d[2]! << 16 | d[3]! << 8 | d[4]!) >>> 0;
      if (seq > maxSeq) maxSeq = seq;
      if (recvPkts % 4 === 0) sendAck();
    };
    const sendAck = () => {
      ack[0] = 1;
      new DataView(ack.buffer).setUint32(1, maxSeq);
      b.send(a.publicKey, ack);
    };
    // Acks also flow on a timer, and a stream that got no ack for 200 ms counts its
    // in-flight packets as lost (tox-bootstrapd drops data while a socket is backed up).
    let lastAckSent = 0, lastProgress = performance.now();
    const ackTimer = setInterval(() => {
      if (maxSeq !== lastAckSent) {
        lastAckSent = maxSeq;
        sendAck();
      }
      if (performance.now() - lastProgress > 200) {
        acked = sent;
        lastProgress = performance.now();
      }
      pump();
    }, 10);
    a.onData = (_p, d) => {
      const s = new DataView(d.buffer, d.byteOffset, d.byteLength).getUint32(1);
      if (s > acked) {
        acked = s;
        lastProgress = performance.now();
        pump();
      }
    };
    const chunk = new Uint8Array(CHUNK);
    const view = new DataView(chunk.buffer);
    let running = true;
    // The sender tops the window up whenever an ack arrives (and on the 10 ms timer).
    pump = () => {
      while (running && (sent - acked) * CHUNK < WINDOW) {
        view.setUint32(1, sent + 1);
        if (!a.send(b.publicKey, chunk)) break;
        sent++;
      }
    };
    pump();
    await sleep(500);
    const start = performance.now(), startBytes = recvBytes;
    await sleep(seconds * 1000);
    running = false;
    const mbps = (recvBytes - startBytes) / 1e6 / ((performance.now() - start) / 1000);
    clearInterval(ackTimer);
    return { mbps, lost: sent - recvPkts };
  } finally {
    await a.close();
    await b.close();
  }
}

async function rtt(r: BenchRelay): Promise<{ median: number; p99: number }> {
  const { a, b } = await pair(r);
  try {
    b.onData = (_p, d) => void b.send(a.publicKey, d);
    const times: number[] = [];
    const msg = new Uint8Array(64);
    for (let i = 0; i < samples; i++) {
      const got = Promise.withResolvers<void>();
      a.onData = () => got.resolve();
      const t0 = performance.now();
      a.send(b.publicKey, msg);
      const timer = setTimeout(() => got.reject(new Error("rtt sample lost")), 5000);
      await got.promise;
      clearTimeout(timer);
      times.push(performance.now() - t0);
    }
    const s = [...times].sort((x, y) => x - y);
    return { median: median(times), p99: s[Math.floor(s.length * 0.99)]! };
  } finally {
    await a.close();
    await b.close();
  }
}

const best: Record<string, { mbps: number; window: number }> = {};
const rtts: Record<string, { median: number; p99: number }> = {};
for (const start of [() => startPeerkitRelay(["--rate", "0"]), startToxRelay]) {
  const r = await start();
  try {
    const line: string[] = [];
    for (const w of WINDOWS_KIB) {
      const t = await throughput(r, w * 1024);
      line.push(`${w}K ${t.mbps.toFixed(1)}`);
      if (!best[r.name] || t.mbps > best[r.name]!.mbps) best[r.name] = { mbps: t.mbps, window: w };
    }
    rtts[r.name] = await rtt(r);
    const b = best[r.name]!, l = rtts[r.name]!;
    console.log(`${r.name}: MB/s by window: ${line.join(", ")}`);
    console.log(
      `${r.name}: best ${b.mbps.toFixed(1)} MB/s (window ${b.window} KiB); ` +
        `rtt median ${l.median.toFixed(3)} ms, p99 ${l.p99.toFixed(3)} ms (${samples} samples)`,
    );
  } finally {
    await r.stop();
  }
}
const ours = "peerkit relay serve", theirs = "tox-bootstrapd 0.2.18";
console.log(
  `ratio peerkit / tox-bootstrapd: throughput ${
    (best[ours]!.mbps / best[theirs]!.mbps).toFixed(1)
  }x` +
    ` (best vs best); median rtt ${(rtts[ours]!.median / rtts[theirs]!.median).toFixed(4)}x` +
    ` (${(rtts[theirs]!.median / rtts[ours]!.median).toFixed(0)} times lower)`,
);
