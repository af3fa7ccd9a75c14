/**
 * The delivery-rate pacer end to end in virtual time: link utilisation with and without
 * random loss, recovery from a burst of losses and from a lost tail.
 * @module
 */
import assert from "node:assert/strict";
import { KIND_DATA } from "../../lib/session/constants.ts";
import type { Pacer } from "../../lib/session/session_options.ts";
import { transfer } from "./_transfer.ts";
import { Link, type LinkOptions, makeHost, World } from "./_world.ts";

const MIB = 1024 * 1024;

function world(seed: number, link: LinkOptions, pacer?: Pacer): World {
  const w = new World(
    makeHost(seed, pacer ? { pacer } : {}),
    makeHost(seed + 1, pacer ? { pacer } : {}),
    new Link(seed + 2, link),
    new Link(seed + 3, link),
  );
  w.a.connect(w.b.publicKey, w.b.dhtPublicKey, 0);
  const up = () =>
    w.a.session(w.b.peer)?.state === "established" &&
    w.b.session(w.a.peer)?.state === "established";
  assert.ok(w.run(up, 5000));
  return w;
}

/** Drops the next `count` full-size data packets from a once `after` have passed. */
function dropBurst(w: World, after: number, count: number): () => number {
  let seen = 0, dropped = 0;
  w.tap = (from, bytes) => {
    if (from !== w.a.peer || bytes[0] !== KIND_DATA || bytes.length < 1000) return true;
    seen++;
    if (seen > after && dropped < count) {
      dropped++;
      return false;
    }
    return true;
  };
  return () => dropped;
}

Deno.test("delivery-rate pacer: fills a 10 MB/s path, and keeps over half of that at 5 % loss with reordering", () => {
  const link = { latency: 10, rate: 10_000, queueMs: 50 };
  const clean = transfer(world(300, link), 4 * MIB, 60_000);
  assert.ok(clean.ok && clean.gotHash === clean.srcHash);
  const cleanMbps = clean.received / 1e3 / clean.virtualMs;
  assert.ok(cleanMbps > 8, `lossless ${cleanMbps.toFixed(2)} MB/s of a 10 MB/s path`);
  const lossy = transfer(world(310, { ...link, loss: 0.05, jitter: 5 }), 4 * MIB, 60_000);
  assert.ok(lossy.ok && lossy.gotHash === lossy.srcHash);
  const lossyMbps = lossy.received / 1e3 / lossy.virtualMs;
  assert.ok(lossyMbps > 0.5 * cleanMbps, `5 % loss: ${lossyMbps.toFixed(2)} MB/s`);
});

Deno.test("delivery-rate pacer: a burst of 300 lost packets mid-transfer stalls delivery under 150 ms", () => {
  const w = world(320, { latency: 10, rate: 10_000, queueMs: 50 });
  const dropped = dropBurst(w, 1000, 300);
  let lastGot = 0, lastAt = w.now, stall = 0;
  const r = transfer(w, 4 * MIB, 60_000, (got) => {
    if (got === lastGot) return;
    stall = Math.max(stall, w.now - lastAt);
    lastGot = got;
    lastAt = w.now;
  });
  assert.equal(dropped(), 300);
  assert.ok(r.ok && r.gotHash === r.srcHash);
  assert.ok(stall < 150, `longest delivery stall ${stall.toFixed(1)} ms`);
});

Deno.test("delivery-rate pacer: a lost tail arrives within 300 ms of the last send (c-toxcore's rule: about 1 s)", () => {
  const total = 2 * MIB;
  const packets = Math.ceil(total / 1372);
  const tailTime = (pacer?: Pacer) => {
    const w = world(330, { latency: 10, rate: 10_000, queueMs: 50 }, pacer);
    dropBurst(w, packets - 20, 20); // the last 20 packets, first sends
    let firstTailSend = 0;
    const r = transfer(w, total, 120_000, () => {
      if (firstTailSend === 0 && w.a.session(w.b.peer)!.queued === 0) firstTailSend = w.now;
    });
    assert.ok(r.ok && r.gotHash === r.srcHash);
    return { recovery: w.now - firstTailSend };
  };
  const ours = tailTime();
  assert.ok(
    ours.recovery < 300,
    `tail recovered ${ours.recovery.toFixed(1)} ms after the last send`,
  );
  const toxcore = tailTime("toxcore");
  assert.ok(toxcore.recovery > 3 * ours.recovery, `c-toxcore's rule: ${toxcore.recovery} ms`);
});

Deno.test("delivery-rate pacer: the tail probe stops once the peer falls silent", () => {
  const w = world(340, { latency: 10, rate: 10_000, queueMs: 50 });
  assert.ok(transfer(w, 256 * 1024, 10_000).ok); // RTT measured: probes would be fast
  let requests = 0, counting = false;
  w.tap = (from, bytes) => {
    if (from === w.b.peer) return false; // b is gone: nothing of it reaches a
    if (counting && bytes[0] === KIND_DATA && bytes.length < 100) requests++;
    return true;
  };
  const p = new Uint8Array(1373);
  p[0] = 160;
  for (let i = 0; i < 50; i++) w.a.send(w.b.peer, p, w.now);
  w.run(() => false, 2000); // probes while b was last heard, then silence
  counting = true;
  w.run(() => false, 5000);
  assert.ok(w.a.session(w.b.peer)!.inFlight > 0, "nothing was acknowledged");
  assert.ok(requests <= 6, `${requests} requests in 5 s of silence`);
});
