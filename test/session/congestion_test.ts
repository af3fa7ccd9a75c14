import assert from "node:assert/strict";
import { Congestion } from "../../lib/session/congestion.ts";
import { RecvRing, SendRing } from "../../lib/session/buffers.ts";

/** Drives a controller as a sender with data: every ms it sends its tokens (≤ 2000). */
function drive(c: Congestion, ms: number, onMs?: (t: number) => void): void {
  for (let t = 0; t <= ms; t++) {
    c.sample(t, 0, 0);
    c.refill(t);
    onMs?.(t);
    for (let i = 0; i < 2000 && c.packetsLeft > 0; i++) c.sentNew();
  }
}

Deno.test("Congestion (c-toxcore rule): starts at 4 pkt/s with 64 tokens, grows 1.2x the measured rate", () => {
  const c = new Congestion();
  c.refill(0);
  assert.equal(c.packetsLeft, 64);
  assert.equal(c.rate, 4);
  drive(c, 2000);
  assert.ok(c.rate > 4 && c.rate < 1000, `rate after 2 s: ${c.rate}`);
});

Deno.test("Congestion (c-toxcore rule): a resend that exhausts the tokens is a congestion event", () => {
  const c = new Congestion();
  drive(c, 1000);
  const before = c.rate;
  c.refill(1001);
  c.resent(c.packetsLeft + 1, 1001);
  assert.equal(c.lastCongestion, 1001);
  assert.equal(c.packetsLeft, 0);
  c.sample(1100, 0, 0);
  assert.ok(c.rate < before * 1.2);
});

Deno.test("Congestion: the send-queue rule cuts the rate when > 2 s of packets wait", () => {
  const c = new Congestion();
  drive(c, 500);
  c.sample(600, 10_000, 0);
  assert.equal(c.rate, 4);
});

Deno.test("Congestion (loss-tolerant): ramps 10x faster and ignores sparse resends", () => {
  const tox = new Congestion(), tol = new Congestion(0.1);
  let resends = 0;
  drive(tox, 2000);
  drive(tol, 2000, (t) => {
    if (t % 100 === 0) {
      tol.resent(1, t); // ~ a few % of what it sends
      resends++;
    }
  });
  assert.ok(tol.rate > 10 * tox.rate, `loss-tolerant ${tol.rate}, toxcore ${tox.rate}`);
  assert.equal(tol.lastCongestion, -Infinity);
  assert.ok(tol.rate <= 1_000_000);
  assert.ok(resends > 10);
});

Deno.test("SendRing/RecvRing: numbers wrap at 2^32 and acks outside the ring are refused", () => {
  const s = new SendRing();
  s.start = s.end = 0xffff_fffe;
  const n1 = s.push(new Uint8Array([16]), 0);
  const n2 = s.push(new Uint8Array([17]), 0);
  const n3 = s.push(new Uint8Array([18]), 0);
  assert.deepEqual([n1, n2, n3], [0xffff_fffe, 0xffff_ffff, 0]);
  assert.equal(s.ackUntil(5), false);
  assert.ok(s.ackUntil(0));
  assert.equal(s.size, 1);
  assert.equal(s.get(0)?.data[0], 18);
  const r = new RecvRing();
  r.start = r.end = 0xffff_ffff;
  assert.ok(r.put(0, new Uint8Array([2])));
  assert.equal(r.pop(), undefined);
  assert.ok(r.put(0xffff_ffff, new Uint8Array([1])));
  assert.deepEqual([r.pop()?.[0], r.pop()?.[0], r.pop()], [1, 2, undefined]);
  assert.equal(r.put(40_000, new Uint8Array([3])), false); // beyond the 32768 window
});
