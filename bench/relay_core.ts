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
 * Every round is listed; the best and the median are compared.
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

function round(): { ms: number; frames: number; bytes: number } {
  const input = new Uint8Array(FRAMES * frameLen);
  for (let i = 0; i < FRAMES; i++) {
    new DataView(plain.buffer).setUint32(1, i);
    input.set(a.codec.seal(plain), i * frameLen);
  }
  const before = server.stats().packetsRelayed;
  let outBytes = 0;
  const outs: Uint8Array[] = [];
  const t0 = performance.now();
  for (let off = 0; off < input.length; off += CHUNK) {
    server.receive(ida, input.subarray(off, off + CHUNK), now);
    const out = server.takeOutput(idb);
    if (out) {
      outBytes += out.length;
      outs.push(out);
    }
  }
  const ms = performance.now() - t0;
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
  return { ms, frames, bytes: frames * PAYLOAD };
}

function cryptoOnly(): number {
  const key = b.randomBytes(32), nonce = b.randomBytes(24);
  const sealed = b.seal(plain, nonce, key);
  const t0 = performance.now();
  for (let i = 0; i < FRAMES; i++) {
    b.open(sealed, nonce, key);
    b.seal(plain, nonce, key);
  }
  return performance.now() - t0;
}

console.log(
  `relay core (${b.name}): ${FRAMES} frames of ${PAYLOAD} payload bytes per round, ` +
    `${CHUNK / 1024} KiB input chunks`,
);
console.log("round   core frames/s   core MB/s   crypto-only MB/s   core/crypto");
const core: number[] = [], raw: number[] = [];
for (let r = 1; r <= ROUNDS; r++) {
  const c = round();
  const cms = cryptoOnly();
  const mbps = c.bytes / c.ms / 1000, cr = (FRAMES * PAYLOAD) / cms / 1000;
  core.push(mbps);
  raw.push(cr);
  console.log(
    `${String(r).padStart(5)} ${(c.frames / c.ms * 1000).toFixed(0).padStart(15)} ` +
      `${mbps.toFixed(1).padStart(11)} ${cr.toFixed(1).padStart(18)} ${
        (100 * mbps / cr).toFixed(0).padStart(12)
      } %`,
  );
}
const best = Math.max(...core), bestRaw = Math.max(...raw);
console.log(
  `best: core ${best.toFixed(1)} MB/s (${(best * 1e6 / PAYLOAD).toFixed(0)} frames/s), ` +
    `crypto-only ${bestRaw.toFixed(1)} MB/s, core/crypto ${(100 * best / bestRaw).toFixed(0)} %`,
);
console.log(
  `median: core ${median(core).toFixed(1)} MB/s, crypto-only ${median(raw).toFixed(1)} MB/s`,
);
