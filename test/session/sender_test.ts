import assert from "node:assert/strict";
import { Congestion } from "../../lib/session/congestion.ts";
import { DeliveryRate } from "../../lib/session/delivery_rate.ts";
import { dataPlainLength, encodeDataPlain, encodeDataPlainInto } from "../../lib/session/plain.ts";
import { FAST_ACK_INTERVAL_MS, Receiver } from "../../lib/session/receiver.ts";
import { encodeRequest } from "../../lib/session/request.ts";
import { Sender } from "../../lib/session/sender.ts";
import { sealDataPacket } from "../../lib/session/seal.ts";
import { decodeSessionPacket } from "../../lib/session/wire.ts";
import { tweetnaclBackend } from "../../lib/crypto/backend.ts";

function sender(): { s: Sender; sent: number[] } {
  const sent: number[] = [];
  const s = new Sender(new Congestion(), (_p, n) => sent.push(n));
  return { s, sent };
}

/** The request body (without id) for `[start, end)` with `missing` not received. */
function requestBody(start: number, end: number, missing: number[]): Uint8Array {
  return encodeRequest(start, end, (n) => !missing.includes(n)).subarray(1);
}

Deno.test("Sender: an acknowledgement of a resent packet gives no RTT sample (Karn's rule)", () => {
  const { s, sent } = sender();
  for (let i = 0; i < 3; i++) s.enqueue(new Uint8Array([160]));
  s.pump(0);
  assert.deepEqual(sent, [0, 1, 2]);
  s.acked(1, 40); // packet 0, sent once: a 40 ms sample
  assert.equal(s.rtt, 40);
  assert.ok(s.request(requestBody(1, 3, [1]), 200)); // 1 missing, 2 received
  s.pump(200);
  assert.deepEqual(sent, [0, 1, 2, 1]);
  s.acked(2, 201); // the resend of 1 arrived: 1 ms after it, but it says nothing
  assert.equal(s.rtt, 40);
  assert.equal(s.inFlight, 1); // 2 was past the request's last byte: not freed by it
  s.acked(3, 230);
  assert.equal(s.inFlight, 0);
});

Deno.test("Sender: a requested packet is not sent again within srtt + 2 rttvar of its last send", () => {
  const { s, sent } = sender();
  for (let i = 0; i < 4; i++) s.enqueue(new Uint8Array([160]));
  s.pump(0);
  s.acked(1, 20);
  s.acked(2, 20); // samples: 20 (packet 0), 20 (packet 1) -> srtt 20, rttvar small
  assert.ok(s.resendAfter >= 20);
  assert.ok(s.request(requestBody(2, 4, [2]), 15)); // packet 2 sent at 0: 15 ms is too soon
  s.pump(15);
  assert.deepEqual(sent, [0, 1, 2, 3]);
  assert.ok(s.request(requestBody(2, 4, [2]), 100));
  s.pump(100);
  assert.deepEqual(sent, [0, 1, 2, 3, 2]);
});

Deno.test("Sender: packets a request shows as received leave the flight count at once", () => {
  const { s } = sender();
  for (let i = 0; i < 10; i++) s.enqueue(new Uint8Array([160]));
  s.pump(0);
  assert.equal(s.inFlight, 10);
  s.request(requestBody(0, 10, [4]), 5); // 0-3 received (freed), 4 missing, 5-9 unknown
  assert.equal(s.ring.size, 10);
  assert.equal(s.inFlight, 6);
});

Deno.test("Sender: the delivery-rate pacer learns the delivered count from acknowledgements", () => {
  const pacer = new DeliveryRate();
  const s = new Sender(pacer, () => {});
  for (let i = 0; i < 30; i++) s.enqueue(new Uint8Array([160]));
  s.pump(0);
  s.acked(20, 10);
  s.request(requestBody(20, 30, [25]), 12);
  assert.equal(pacer.deliveredTotal, 25);
  assert.ok(pacer.bandwidth > 0);
});

Deno.test("Receiver: with fast acknowledgements the request is due 10 ms after new data", () => {
  const r = new Receiver(new Uint8Array(24), true);
  assert.equal(r.requestInterval(true), 1000); // nothing received, nothing missing
  r.ring.put(0, new Uint8Array([160]));
  r.ring.pop();
  r.countLossless();
  assert.equal(r.requestInterval(true), FAST_ACK_INTERVAL_MS);
  r.request();
  assert.equal(r.requestInterval(true), 1000);
  r.ring.put(2, new Uint8Array([160])); // 1 is missing
  assert.equal(r.requestInterval(true), FAST_ACK_INTERVAL_MS);
  const plain = new Receiver(new Uint8Array(24));
  plain.ring.put(0, new Uint8Array([160]));
  plain.countLossless();
  assert.equal(plain.requestInterval(true), 1000, "c-toxcore's interval without fast acks");
});

Deno.test("encodeDataPlainInto() writes exactly what encodeDataPlain() returns, for every size", () => {
  const out = new Uint8Array(1400).fill(0xee);
  for (let n = 1; n <= 1373; n++) {
    const payload = new Uint8Array(n).fill(n & 0xff || 1);
    payload[0] = 160;
    const p = { bufferStart: 0x01020304 + n, packetNumber: 0xfffffff0 + n, payload };
    const len = encodeDataPlainInto(out, p);
    assert.equal(len, dataPlainLength(n));
    assert.deepEqual(out.subarray(0, len), encodeDataPlain(p));
  }
  assert.throws(
    () =>
      encodeDataPlainInto(new Uint8Array(8), {
        bufferStart: 0,
        packetNumber: 0,
        payload: new Uint8Array([16]),
      }),
    RangeError,
  );
});

Deno.test("sealDataPacket(): the receive side opens what it sealed, across the 2-byte nonce wrap", () => {
  const key = new Uint8Array(32).fill(9);
  const base = new Uint8Array(24);
  base[23] = 0xfe; // the low two bytes wrap after two packets
  const nonce = base.slice(), scratch = new Uint8Array(1400);
  const r = new Receiver(base);
  for (let i = 0; i < 5; i++) {
    const payload = new Uint8Array([160, i, 2 * i]);
    const d = sealDataPacket(tweetnaclBackend, key, nonce, scratch, 100 + i, 200 + i, payload);
    const p = decodeSessionPacket(d);
    assert.equal(p.type, "data");
    if (p.type !== "data") continue;
    const got = r.open(p, tweetnaclBackend, key);
    assert.ok(typeof got !== "string", `packet ${i}: ${got}`);
    if (typeof got === "string") continue;
    assert.equal(got.bufferStart, 100 + i);
    assert.equal(got.packetNumber, 200 + i);
    assert.deepEqual(got.payload, payload);
  }
  const replay = sealDataPacket(
    tweetnaclBackend,
    key,
    base.slice(),
    scratch,
    0,
    0,
    new Uint8Array([160]),
  );
  const p = decodeSessionPacket(replay);
  if (p.type === "data") assert.equal(r.open(p, tweetnaclBackend, key), "replay");
});
