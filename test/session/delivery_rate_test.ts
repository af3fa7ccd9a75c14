import assert from "node:assert/strict";
import {
  DeliveryRate,
  HEAVY_LOSS,
  INITIAL_RATE,
  LOSS_CUT,
  MIN_ROUND_MS,
  type SendSnapshot,
  STARTUP_GAIN,
} from "../../lib/session/delivery_rate.ts";

/** A snapshot of a packet sent at `sentAt` when `p` had seen what it has seen now. */
function snap(p: DeliveryRate, sentAt: number): SendSnapshot {
  return {
    sentAt,
    delivered: p.deliveredTotal,
    deliveredAt: p.deliveredAt,
    firstSentAt: p.firstSentAt,
  };
}

/**
 * A steady path: every `stepMs` one acknowledgement of `perStep` packets, the newest sent
 * `rttMs` before; the pacer sends `perStep` new packets per step. Returns the time reached.
 */
function steady(p: DeliveryRate, from: number, to: number, perStep: number, stepMs = 5) {
  const sent: SendSnapshot[] = [];
  let t = from;
  for (; t <= to; t += stepMs) {
    p.tick(t, 0, 10, 10);
    for (let i = 0; i < perStep; i++) p.sentNew();
    sent.push(snap(p, t));
    const acked = sent.length > 2 ? sent[sent.length - 3] : undefined;
    if (acked) p.delivered(perStep, t, acked);
  }
  return t;
}

Deno.test("DeliveryRate: the estimate follows the delivery rate and start-up paces at twice it", () => {
  const p = new DeliveryRate();
  assert.equal(p.rate, INITIAL_RATE);
  p.tick(0, 0, 10, 10);
  steady(p, 5, 200, 20); // 20 packets per 5 ms: 4000/s
  assert.ok(Math.abs(p.bandwidth - 4000) < 200, `bandwidth ${p.bandwidth}`);
  assert.ok(!p.startup, "the estimate stopped growing, so start-up ended");
  const q = new DeliveryRate();
  q.tick(0, 0, 10, 10);
  steady(q, 5, 40, 20); // a round ends at 40 ms
  assert.ok(q.startup);
  assert.ok(Math.abs(q.rate - STARTUP_GAIN * q.bandwidth) < 1, `rate ${q.rate}, bw ${q.bandwidth}`);
});

Deno.test("DeliveryRate: a burst of acknowledgements for packets sent over 100 ms is not a fast path", () => {
  const p = new DeliveryRate();
  p.tick(0, 0, 10, 10);
  p.delivered(1, 0, snap(p, 0));
  // 400 packets sent from t=0 to t=100 (the first one acknowledged at t=0), all
  // acknowledged at once at t=101 when a hole fills: 4000/s, not 400 per 1 ms.
  const first = snap(p, 0);
  const last: SendSnapshot = { ...first, sentAt: 100 };
  p.delivered(400, 101, last);
  assert.ok(p.bandwidth <= 4100, `bandwidth ${p.bandwidth}`);
});

Deno.test("DeliveryRate: a low sample while the application had nothing to send is ignored", () => {
  const p = new DeliveryRate();
  p.tick(0, 0, 10, 10);
  steady(p, 5, 300, 20);
  const before = p.bandwidth;
  p.appLimited();
  p.delivered(1, 400, snap(p, 390)); // 1 packet over 10+ ms
  assert.equal(p.bandwidth, before);
});

Deno.test("DeliveryRate: a round with heavy resends cuts the estimate and ends start-up", () => {
  const p = new DeliveryRate();
  p.tick(0, 0, 10, 10);
  let t = steady(p, 5, 40, 20);
  assert.ok(p.startup);
  const before = p.bandwidth;
  for (let i = 0; i < 10; i++) p.sentNew();
  p.resent(Math.ceil(10 * HEAVY_LOSS) + 2);
  t += MIN_ROUND_MS + 1;
  p.delivered(1, t); // ends the round, no rate sample
  assert.ok(!p.startup);
  assert.ok(Math.abs(p.bandwidth - before * LOSS_CUT) < 1, `${p.bandwidth} vs ${before}`);
});

Deno.test("DeliveryRate: new packets stop at the flight cap, resends still go", () => {
  const p = new DeliveryRate();
  p.tick(0, 0, 10, 10);
  steady(p, 5, 300, 20);
  p.tick(400, 0, 10, 10);
  const cap = p.cwnd;
  assert.ok(p.newBudget(0) > 0);
  assert.equal(p.newBudget(Math.ceil(cap)), 0);
  assert.ok(p.resendBudget() > 0);
  assert.equal(p.nextTimeout(false, true, Math.ceil(cap)), Infinity);
  assert.ok(p.nextTimeout(true, true, Math.ceil(cap)) < Infinity);
});
