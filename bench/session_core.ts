/**
 * Throughput of the sans-IO session core: two `SessionHost`s in one process, datagrams
 * handed over in memory at once (no sockets, no loss), a lossless bulk transfer of
 * 1373-byte payloads through the whole state machine (sealing, nonce handling, rings,
 * packet requests, rate control, opening). The anchor is the crypto backend's own
 * ceiling on the same thread: sealing and opening one 1373-byte-payload data packet
 * (1381-byte plaintext) per payload, with nothing else. Both pacers are run; the clock
 * is real time, so the rate control ramps up as it would on a wire.
 *
 *     deno run -A bench/session_core.ts [MiB per run = 32] [runs = 3] [backend = libsodium]
 *
 * Prints every run, the best clean rate of each side and the ratio session / ceiling.
 *
 * @module
 */
import { type CryptoBackend, loadSodium, tweetnaclBackend } from "../lib/crypto/mod.ts";
import { SessionHost } from "../lib/session/host.ts";
import type { Pacer } from "../lib/session/session.ts";
import { sha256 } from "../lib/crypto/hash.ts";
import { toHex } from "../lib/util/bytes.ts";

const mib = Number(Deno.args[0] ?? 32);
const runs = Number(Deno.args[1] ?? 3);
const crypto: CryptoBackend = (Deno.args[2] ?? "libsodium") === "tweetnacl"
  ? tweetnaclBackend
  : await loadSodium();
const PAYLOAD = 1373;
const total = mib * 1024 * 1024;
const src = new Uint8Array(total);
for (let i = 0; i < total; i++) src[i] = (i * 31 + (i >>> 11)) & 0xff;
const srcHash = toHex(sha256(src));

/** Seal + open of one full data packet per payload, MB/s of payload. */
function ceiling(): number {
  const key = crypto.randomBytes(32);
  const nonce = crypto.randomBytes(24);
  const plain = new Uint8Array(8 + PAYLOAD).fill(7);
  const n = Math.ceil(total / (PAYLOAD - 1));
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    nonce[23] = i & 0xff;
    const box = crypto.seal(plain, nonce, key);
    if (crypto.open(box, nonce, key) === null) throw new Error("open failed");
  }
  return (n * (PAYLOAD - 1)) / 1e6 / ((performance.now() - t0) / 1000);
}

interface SessionRun {
  mbps: number;
  ok: boolean;
  resent: number;
  seconds: number;
}

/** One bulk transfer through two hosts; MB/s of payload delivered in order. */
function session(pacer: Pacer): SessionRun {
  const mk = () =>
    new SessionHost({
      crypto,
      self: crypto.keyPair(),
      selfDht: crypto.keyPair(),
      pacer,
      outboxLimit: 4096,
    });
  const a = mk(), b = mk();
  const got = new Uint8Array(total);
  let off = 0, len = 0;
  const start = performance.now();
  const deadline = start + 40_000; // keeps the whole run under 5 minutes
  a.connect(b.publicKey, b.dhtPublicKey, start);
  let now = start;
  for (let iter = 0; len < total && now < deadline && iter < 50_000_000; iter++) {
    now = performance.now();
    while (off < total) {
      const n = Math.min(PAYLOAD - 1, total - off);
      const p = new Uint8Array(n + 1);
      p[0] = 160;
      p.set(src.subarray(off, off + n), 1);
      if (!a.send(b.peer, p, now)) break;
      off += n;
    }
    a.handleTimeout(now);
    b.handleTimeout(now);
    for (const t of a.drainTransmit()) b.handleDatagram(t.bytes, now, { peer: a.peer, reply: 0 });
    for (const t of b.drainTransmit()) a.handleDatagram(t.bytes, now, { peer: b.peer, reply: 0 });
    for (const e of b.drainEvents()) {
      if (e.type !== "data") continue;
      got.set(e.data.subarray(1), len);
      len += e.data.length - 1;
    }
    a.drainEvents();
  }
  const seconds = (performance.now() - start) / 1000;
  const ok = len === total && toHex(sha256(got)) === srcHash;
  const resent = a.session(b.peer)?.stats.resent ?? -1;
  return { mbps: len / 1e6 / seconds, ok, resent, seconds };
}

console.log(`session core throughput, ${mib} MiB per run, ${runs} runs, backend ${crypto.name}`);
console.log(
  `(one thread; the ceiling is ${crypto.name} seal+open of one 1381-byte plaintext per payload)`,
);
console.log("");
console.log("run  side                      MB/s    seconds  byte-exact  resent");
const best: Record<string, number> = {};
for (let r = 1; r <= runs; r++) {
  const c = ceiling();
  console.log(
    `${String(r).padStart(3)}  ${"crypto ceiling".padEnd(22)} ${
      c.toFixed(1).padStart(7)
    }        -           -       -`,
  );
  best.ceiling = Math.max(best.ceiling ?? 0, c);
  for (const pacer of ["deliveryRate", "toxcore", "lossTolerant"] as const) {
    const s = session(pacer);
    console.log(
      `${String(r).padStart(3)}  ${("session/" + pacer).padEnd(22)} ${
        s.mbps.toFixed(1).padStart(7)
      } ${s.seconds.toFixed(2).padStart(10)}  ${String(s.ok).padStart(10)} ${
        String(s.resent).padStart(7)
      }`,
    );
    if (s.ok) best[pacer] = Math.max(best[pacer] ?? 0, s.mbps);
  }
}
console.log("");
console.log("summary (best clean run of each side)");
for (const k of ["ceiling", "deliveryRate", "toxcore", "lossTolerant"]) {
  const v = best[k];
  const ratio = v !== undefined && best.ceiling ? v / best.ceiling : NaN;
  console.log(
    `  ${(k === "ceiling" ? "crypto ceiling" : "session/" + k).padEnd(22)} ${
      v === undefined ? "   no clean run" : v.toFixed(1).padStart(7) + " MB/s"
    }   ratio to ceiling ${ratio.toFixed(2)}`,
  );
}
