import { Link, makeHost, World } from "./_world.ts";
import { sha256 } from "../../lib/crypto/hash.ts";
import { toHex } from "../../lib/util/bytes.ts";
const pacer = (Deno.args[1] ?? "toxcore") as "toxcore";
const a = makeHost(1, { pacer }), b = makeHost(2, { pacer });
const loss = Number(Deno.args[0] ?? 0);
const w = new World(
  a,
  b,
  new Link(3, { latency: 10, jitter: 5, loss, rate: 10_000 }),
  new Link(4, { latency: 10, jitter: 5, loss, rate: 10_000 }),
);
a.connect(b.publicKey, b.dhtPublicKey, 0);
const ok = w.run(
  () => a.session(b.peer)?.state === "established" && b.session(a.peer)?.state === "established",
  20000,
);
console.log("est", ok, w.now);
const total = 8 * 1024 * 1024;
const src = new Uint8Array(total);
for (let i = 0; i < total; i++) src[i] = (i * 7 + (i >> 9)) & 255;
let off = 0;
const got: Uint8Array[] = [];
let gotLen = 0;
const t0 = performance.now(), v0 = w.now;
const pump = () => {
  while (off < total) {
    const n = Math.min(1372, total - off);
    const p = new Uint8Array(n + 1);
    p[0] = 160;
    p.set(src.subarray(off, off + n), 1);
    if (!a.send(b.peer, p, w.now)) break;
    off += n;
  }
  for (const e of b.drainEvents()) {
    if (e.type === "data") {
      got.push(e.data.subarray(1));
      gotLen += e.data.length - 1;
    }
  }
  a.drainEvents();
};
const done = w.run(() => {
  pump();
  return gotLen >= total;
}, 600_000);
const s = a.session(b.peer)!;
console.log(
  "done",
  done,
  "virt ms",
  w.now - v0,
  "wall ms",
  performance.now() - t0,
  "sent",
  s.stats.sent,
  "resent",
  s.stats.resent,
  "rate",
  s.congestion.rate,
  "rtt",
  s.rtt,
);
const all = new Uint8Array(gotLen);
let o = 0;
for (const g of got) {
  all.set(g, o);
  o += g.length;
}
console.log(
  toHex(sha256(all)) === toHex(sha256(src)),
  b.session(a.peer)!.stats.dropped,
  w.ab.dropped,
);
