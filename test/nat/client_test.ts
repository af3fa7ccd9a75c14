import assert from "node:assert/strict";
import { StunClient } from "../../lib/nat/client.ts";
import { decodeStun, encodeStun } from "../../lib/nat/wire.ts";

const SERVER = { hostname: "192.0.2.10", port: 3478 };

function answerTo(request: Uint8Array, mapped = { hostname: "203.0.113.1", port: 4000 }) {
  const req = decodeStun(request);
  return encodeStun({
    class: "success",
    method: 1,
    transactionId: req.transactionId,
    attributes: [{ type: "xorMappedAddress", addr: mapped }],
  });
}

/** Runs the client's timers until it has nothing in flight; returns send times and the end. */
function sendTimes(c: StunClient): { sends: number[]; end: number } {
  const sends: number[] = [];
  let end = 0;
  for (const _ of c.pollTransmit()) sends.push(0);
  for (let i = 0; i < 100; i++) {
    const t = c.nextTimeout();
    if (t === null) break;
    const done = c.handleTimeout(t);
    for (const _ of c.pollTransmit()) sends.push(t);
    if (done.length > 0) end = t;
  }
  return { sends, end };
}

Deno.test("StunClient retransmits on the RFC 8489 schedule and gives up after Rm x RTO", () => {
  const c = new StunClient();
  c.start({ server: SERVER }, 0);
  const { sends, end } = sendTimes(c);
  assert.deepEqual(sends, [0, 500, 1500, 3500, 7500, 15500, 31500]);
  assert.equal(end, 39500);
  assert.equal(c.stats.retransmits, 6);
  assert.equal(c.stats.timeouts, 1);
  assert.equal(c.pending, 0);
});

Deno.test("StunClient honours smaller rto, attempts and rm", () => {
  const c = new StunClient({ rto: 50, attempts: 3, rm: 4 });
  c.start({ server: SERVER }, 1000);
  const { sends } = sendTimes(c);
  assert.equal(sends.length, 3);
  const c2 = new StunClient({ rto: 50, attempts: 3, rm: 4 });
  c2.start({ server: SERVER }, 0);
  assert.deepEqual(sendTimes(c2), { sends: [0, 50, 150], end: 350 });
});

Deno.test("StunClient matches an answer by transaction id and source", () => {
  const c = new StunClient();
  const id = c.start({ server: SERVER, tag: "t" }, 0);
  const [tx] = c.pollTransmit();
  assert.ok(tx);
  assert.deepEqual(tx.to, SERVER);
  const reply = answerTo(tx.data);
  assert.equal(c.handleDatagram({ hostname: "192.0.2.99", port: 3478 }, reply, 10), null);
  assert.equal(c.stats.badSource, 1);
  const o = c.handleDatagram({ hostname: "::ffff:192.0.2.10", port: 3478 }, reply, 30);
  assert.ok(o?.type === "answer");
  assert.equal(o.id, id);
  assert.equal(o.tag, "t");
  assert.equal(o.rtt, 30);
  assert.deepEqual(o.mapped, { hostname: "203.0.113.1", port: 4000 });
  assert.equal(c.pending, 0);
  assert.equal(c.nextTimeout(), null);
  // A duplicate answer after completion is not ours any more.
  assert.equal(c.handleDatagram(SERVER, reply, 40), null);
  assert.equal(c.stats.unmatched, 1);
});

Deno.test("StunClient counts garbage and foreign transactions, never throws", () => {
  const c = new StunClient();
  c.start({ server: SERVER }, 0);
  assert.equal(c.handleDatagram(SERVER, new Uint8Array([0, 1, 2]), 1), null);
  const foreign = encodeStun({
    class: "success",
    method: 1,
    transactionId: new Uint8Array(12).fill(9),
    attributes: [],
  });
  assert.equal(c.handleDatagram(SERVER, foreign, 1), null);
  assert.deepEqual([c.stats.malformed, c.stats.unmatched, c.pending], [1, 1, 1]);
});

Deno.test("StunClient answers after lost requests and reports how many it sent", () => {
  const c = new StunClient({ rto: 100 });
  c.start({ server: SERVER }, 0);
  c.pollTransmit(); // lost
  c.handleTimeout(100);
  c.pollTransmit(); // lost
  c.handleTimeout(300);
  const [third] = c.pollTransmit();
  assert.ok(third);
  const o = c.handleDatagram(SERVER, answerTo(third.data), 310);
  assert.ok(o?.type === "answer");
  assert.equal(o.sent, 3);
  assert.equal(o.rtt, 310);
});

Deno.test("StunClient bounds the transactions in flight and rejects bad settings", () => {
  const c = new StunClient({ maxTransactions: 2 });
  c.start({ server: SERVER }, 0);
  c.start({ server: SERVER }, 0);
  assert.throws(() => c.start({ server: SERVER }, 0), RangeError);
  assert.throws(() => new StunClient({ rto: 0 }), RangeError);
  assert.throws(() => new StunClient({ attempts: -1 }), RangeError);
});

Deno.test("StunClient requests carry CHANGE-REQUEST, SOFTWARE and FINGERPRINT", () => {
  const c = new StunClient({ software: "peerkit-test" });
  c.start({ server: SERVER, changeIp: true, changePort: false }, 0);
  const [tx] = c.pollTransmit();
  const m = decodeStun(tx!.data);
  assert.equal(m.fingerprint, true);
  assert.deepEqual(m.attributes, [
    { type: "changeRequest", changeIp: true, changePort: false },
    { type: "software", text: "peerkit-test" },
  ]);
});
