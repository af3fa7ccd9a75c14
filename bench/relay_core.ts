/**
 * The relay server core alone (lib/relay/server.ts, sans-IO, no sockets): two clients linked
 * through it in memory; client A's data frames are sealed in advance, then fed to the core
 * in 64 KiB chunks while the core's output for client B is taken after every chunk. Counts
 * frames/s and payload MB/s relayed (the core opens and re-seals every frame). Beside it, the
 * same backend's bare crypto work per relayed frame (one open + one seal of the same size,
 * nothing else) gives the ceiling, and the ratio says how close the core comes to it.
 *
 *     deno run -A bench/relay_core.ts [frames-per-round=20000] [rounds=5] [payload=2000]
 *       [backend=fastest|wasm|tweetnacl]
 *
 * `fastest` is what `relay serve` uses (native libsodium when it loads, else WebAssembly).
 *
 * Every round is listed; the best and the median are compared. Besides wall-clock rates,
 * each round gives the rate per CPU-second of this process (user + system time), which a
 * shared machine disturbs much less than the wall clock.
 *
 * @module
 */
import {
  backend,
  type CryptoBackend,
  loadSodium,
  loadSodiumWasm,
  setBackend,
  tweetnaclBackend,
} from "../lib/crypto/mod.ts";
import { FrameCodec, FrameReader } from "../lib/relay/framing.ts";
import { createClientHandshake, openServerHandshake } from "../lib/relay/handshake.ts";
import { RelayServer } from "../lib/relay/server.ts";
import { encodePacket } from "../lib/relay/wire.ts";
import { median } from "./_measure.ts";
import process from "node:process";

const FRAMES = Number(Deno.args[0] ?? 20_000);
const ROUNDS = Number(Deno.args[1] ?? 5);
const PAYLOAD = Number(Deno.args[2] ?? 2000);
const CHUNK = 64 * 1024;
const BACKENDS: Record<string, () => Promise<CryptoBackend>> = {
  fastest: loadSodium,
  wasm: loadSodiumWasm,
  tweetnacl: () => Promise.resolve(tweetnaclBackend),
};
const pick = BACKENDS[Deno.args[3] ?? "fastest"];
if (!pick || !(FRAMES > 0) || !(ROUNDS > 0) || !(PAYLOAD > 0 && PAYLOAD <= 2031)) {
  console.error(
    "usage: relay_core.ts [frames>0] [rounds>0] [payload 1..2031] [fastest|wasm|tweetnacl]",
  );
  Deno.exit(2);
}
setBackend(await pick());
const b = backend();

const server = new RelayServer({ keyPair: b.keyPair(), rateBytesPerSecond: 0 });
const now = 1;

function link(id: number) {
  const kp = b.keyPair();
  const hs = createClientHandshake(kp, server.publicKey);
  server.receive(id, hs.bytes, now);
  const keys = openServerHandshake(hs, server.publicKey, kp.secretKey, server.takeOutput(id)!)!;
  return { kp, codec: new FrameCodec(keys), reader: new FrameReader() };
}

const ida = server.accept({ hostname: "127.0.0.1", port: 1 }, now);
const idb = server.accept({ hostname: "127.0.0.1", port: 2 }, now);
const a = link(ida), bb = link(idb);
server.receive(
  ida,
  a.codec.seal(encodePacket({ type: "routingRequest", publicKey: bb.kp.publicKey })),
  now,
);
server.receive(
  idb,
  bb.codec.seal(encodePacket({ type: "routingRequest", publicKey: a.kp.publicKey })),
  now,
);
/** Opens what the core queued for a client and returns the connect notification's id. */
function connectedId(id: number, c: typeof a): number {
  let got = 0;
  for (const f of c.reader.push(server.takeOutput(id) ?? new Uint8Array(0))) {
    const p = c.codec.open(f);
    if (p?.[0] === 2) got = p[1]!;
  }
  if (got < 16) throw new Error("clients did not link");
  return got;
}
const connId = connectedId(ida, a);
connectedId(idb, bb);

const plain = new Uint8Array(1 + PAYLOAD);
plain[0] = connId;
const frameLen = 2 + 16 + plain.length;

function round(): { ms: number; cpuMs: number; frames: number; bytes: number } {
  const input = new Uint8Array(FRAMES * frameLen);
  for (let i = 0; i < FRAMES; i++) {
    new DataView(plain.buffer).setUint32(1, i);
    input.set(a.codec.seal(plain), i * frameLen);
  }
  const before = server.stats().packetsRelayed;
  let outBytes = 0;
  const outs: Uint8Array[] = [];
  const t0 = performance.now(), c0 = process.cpuUsage();
  for (let off = 0; off < input.length; off += CHUNK) {
    server.receive(ida, input.subarray(off, off + CHUNK), now);
    const out = server.takeOutput(idb);
    if (out) {
      outBytes += out.length;
      outs.push(out);
    }
  }
  const ms = performance.now() - t0, c1 = process.cpuUsage(c0);
  const cpuMs = (c1.user + c1.system) / 1000;
  const frames = server.stats().packetsRelayed - before;
  if (frames !== FRAMES || outBytes !== FRAMES * frameLen) {
    throw new Error(`relayed ${frames} of ${FRAMES} frames, ${outBytes} bytes`);
  }
  // Outside the timing: B opens what the core sent, in order, and sees every payload.
  for (const out of outs) {
    for (const f of bb.reader.push(out)) {
      if (!bb.codec.open(f)) throw new Error("B could not open a relayed frame");
    }
  }
  return { ms, cpuMs, frames, bytes: frames * PAYLOAD };
}

function cryptoOnly(): { ms: number; cpuMs: number } {
  const key = b.randomBytes(32), nonce = b.randomBytes(24);
  const sealed = b.seal(plain, nonce, key);
  // The same calls the core makes: in place where the backend can.
  const into = new Uint8Array(sealed.length), back = new Uint8Array(plain.length);
  const open = b.openInto
    ? () => b.openInto!(back, sealed, nonce, key)
    : () => b.open(sealed, nonce, key);
  const seal = b.sealInto
    ? () => b.sealInto!(into, plain, nonce, key)
    : () => b.seal(plain, nonce, key);
  const t0 = performance.now(), c0 = process.cpuUsage();
  for (let i = 0; i < FRAMES; i++) {
    open();
    seal();
  }
  const c1 = process.cpuUsage(c0);
  return { ms: performance.now() - t0, cpuMs: (c1.user + c1.system) / 1000 };
}

console.log(
  `relay core (${b.name}): ${FRAMES} frames of ${PAYLOAD} payload bytes per round, ` +
    `${CHUNK / 1024} KiB input chunks`,
);
console.log(
  "round   core frames/s   core MB/s   crypto-only MB/s   core/crypto" +
    "   core MB/CPU-s   crypto-only MB/CPU-s   core/crypto (CPU)",
);
const core: number[] = [], raw: number[] = [], coreCpu: number[] = [], rawCpu: number[] = [];
const mb = (ms: number) => (FRAMES * PAYLOAD) / ms / 1000;
for (let r = 1; r <= ROUNDS; r++) {
  const c = round();
  const x = cryptoOnly();
  const row = [mb(c.ms), mb(x.ms), mb(c.cpuMs), mb(x.cpuMs)] as const;
  core.push(row[0]);
  raw.push(row[1]);
  coreCpu.push(row[2]);
  rawCpu.push(row[3]);
  console.log(
    `${String(r).padStart(5)} ${(c.frames / c.ms * 1000).toFixed(0).padStart(15)} ` +
      `${row[0].toFixed(1).padStart(11)} ${row[1].toFixed(1).padStart(18)} ${
        (100 * row[0] / row[1]).toFixed(0).padStart(12)
      } % ${row[2].toFixed(1).padStart(15)} ${row[3].toFixed(1).padStart(22)} ${
        (100 * row[2] / row[3]).toFixed(0).padStart(18)
      } %`,
  );
}
const best = Math.max(...core), bestRaw = Math.max(...raw);
console.log(
  `best (wall): core ${best.toFixed(1)} MB/s (${(best * 1e6 / PAYLOAD).toFixed(0)} frames/s), ` +
    `crypto-only ${bestRaw.toFixed(1)} MB/s`,
);
console.log(
  `median (wall): core ${median(core).toFixed(1)} MB/s, crypto-only ${median(raw).toFixed(1)} MB/s`,
);
console.log(
  `median per CPU-second: core ${median(coreCpu).toFixed(1)} MB, crypto-only ${
    median(rawCpu).toFixed(1)
  } MB, core/crypto ${(100 * median(coreCpu) / median(rawCpu)).toFixed(0)} %`,
);
