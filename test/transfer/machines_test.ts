import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { sha256 } from "../../lib/crypto/hash.ts";
import { createReceiverMachine } from "../../lib/transfer/receiver.ts";
import { createSenderMachine } from "../../lib/transfer/sender.ts";
import { decodeTransfer, encodeTransfer } from "../../lib/transfer/wire.ts";

const id = new Uint8Array(8).fill(4);
const data = new TextEncoder().encode("0123456789");
const hash = sha256(data);
const offer = () => encodeTransfer({ type: "offer", id, kind: "file", name: "f", size: 10, hash });
const hasherOf = (b: Uint8Array) => createHash("sha256").update(b);

Deno.test("receiver: accept() answers the offer with the offset and the held prefix's hash", () => {
  const r = createReceiverMachine(0);
  assert.equal(r.handle(offer(), 0).events[0]?.type, "offer");
  const a = decodeTransfer(r.accept(4, hasherOf(data.subarray(0, 4)), 0).send[0]!);
  assert.ok(a.type === "accept");
  assert.equal(a.offset, 4);
  assert.deepEqual(a.prefixHash, sha256(data.subarray(0, 4)));
});

Deno.test("receiver: a resumed transfer hashes prefix plus rest and completes with the whole hash", () => {
  const r = createReceiverMachine(0);
  r.handle(offer(), 0);
  r.accept(4, hasherOf(data.subarray(0, 4)), 0);
  const d = r.handle(encodeTransfer({ type: "data", bytes: data.subarray(4) }), 2);
  assert.equal(d.events[0]?.type, "data");
  const e = r.handle(encodeTransfer({ type: "end", size: 10, hash }), 3);
  assert.deepEqual(e.events, [{ type: "complete", size: 10, hash }]);
  const res = decodeTransfer(r.finish(true, "f").send[0]!);
  assert.ok(res.type === "result" && res.ok && res.size === 10);
  assert.deepEqual(res.hash, hash);
  assert.equal(r.received, 6);
});

Deno.test("receiver: a fresh offer after offering a prefix drops the prefix and accepts at 0", () => {
  const r = createReceiverMachine(0);
  r.handle(offer(), 0);
  r.accept(4, hasherOf(new Uint8Array(4)), 0);
  const fresh = encodeTransfer({
    type: "offer",
    id,
    kind: "file",
    name: "f",
    size: 10,
    hash,
    fresh: true,
  });
  const o = r.handle(fresh, 1);
  assert.deepEqual(o.events, [{ type: "restart" }]);
  const a = decodeTransfer(o.send[0]!);
  assert.ok(a.type === "accept" && a.offset === 0);
  assert.deepEqual(a.prefixHash, sha256(new Uint8Array()));
  r.handle(encodeTransfer({ type: "data", bytes: data }), 2);
  assert.equal(
    r.handle(encodeTransfer({ type: "end", size: 10, hash }), 3).events[0]?.type,
    "complete",
  );
});

Deno.test("receiver: content whose hash differs from the offer's fails with a result saying so", () => {
  const r = createReceiverMachine(0);
  r.handle(offer(), 0);
  r.accept(0, createHash("sha256"), 0);
  const wrong = data.slice();
  wrong[3]! ^= 1;
  r.handle(encodeTransfer({ type: "data", bytes: wrong }), 2);
  const e = r.handle(encodeTransfer({ type: "end", size: 10, hash: sha256(wrong) }), 3);
  assert.equal(e.events[0]?.type, "failed");
  assert.ok(e.events[0]?.type === "failed" && !e.events[0].resumable);
  assert.match(e.events[0].why, /hash mismatch/);
  const res = decodeTransfer(e.send[0]!);
  assert.ok(res.type === "result" && !res.ok);
});

Deno.test("receiver: more data than offered, an out-of-place message, or garbage abort the transfer", () => {
  for (
    const bad of [
      encodeTransfer({ type: "data", bytes: new Uint8Array(11) }),
      encodeTransfer({ type: "progress", id, held: 3 }),
      new Uint8Array([171]),
    ]
  ) {
    const r = createReceiverMachine(0);
    r.handle(offer(), 0);
    r.accept(0, createHash("sha256"), 0);
    const o = r.handle(bad, 1);
    assert.equal(o.events[0]?.type, "failed");
    assert.equal(decodeTransfer(o.send[0]!).type, "abort");
    assert.equal(r.state, "done");
  }
});

Deno.test("receiver: silence for 30 s gives the transfer up, keeping a file resumable", () => {
  const r = createReceiverMachine(0);
  r.handle(offer(), 0);
  r.accept(0, createHash("sha256"), 0);
  r.handle(encodeTransfer({ type: "data", bytes: data.subarray(0, 1) }), 1000);
  assert.equal(r.nextTimeout(), 31_000);
  assert.deepEqual(r.handleTimeout(30_999).events, []);
  const o = r.handleTimeout(31_000);
  assert.ok(o.events[0]?.type === "failed" && o.events[0].resumable);
});

Deno.test("sender: delivered only when the receiver's result has our size and hash", () => {
  for (
    const [size, h, ok, want] of [
      [10, hash, true, true],
      [10, sha256(data.subarray(1)), true, false],
      [9, hash, true, false],
      [10, hash, false, false],
    ] as const
  ) {
    const s = createSenderMachine({ id, kind: "file", name: "f", size: 10, hash });
    s.start(0);
    const acc = s.handle(
      encodeTransfer({ type: "accept", id, offset: 0, prefixHash: sha256(new Uint8Array()) }),
      1,
    );
    assert.equal(acc[0]?.type, "accepted");
    s.begin(0);
    assert.deepEqual(s.handle(encodeTransfer({ type: "progress", id, held: 4 }), 2), [
      { type: "progress", held: 4 },
    ]);
    s.data(data);
    s.end(10, hash, 2);
    const ev = s.handle(encodeTransfer({ type: "result", id, ok, size, hash: h, text: "f" }), 3);
    assert.ok(ev[0]?.type === "result");
    assert.equal(ev[0].delivered, want, `${size} ${ok}`);
  }
});

Deno.test("sender: a refusal, an answer for another transfer, and silence are reported", () => {
  const s = createSenderMachine({ id, kind: "file", name: "f", size: 10, hash });
  s.start(0);
  assert.deepEqual(s.handle(encodeTransfer({ type: "refuse", id, code: 1, reason: "bad" }), 1), [
    { type: "refused", code: 1, reason: "bad" },
  ]);
  const t = createSenderMachine({ id, kind: "file", name: "f", size: 10, hash });
  t.start(0);
  const other = encodeTransfer({
    type: "accept",
    id: new Uint8Array(8),
    offset: 0,
    prefixHash: hash,
  });
  assert.equal(t.handle(other, 1)[0]?.type, "failed");
  const u = createSenderMachine({ id, kind: "file", name: "f", size: 10, hash }, 5000);
  u.start(0);
  assert.deepEqual(u.handleTimeout(4999), []);
  assert.equal(u.handleTimeout(5000)[0]?.type, "failed");
});

Deno.test("sender: an accept offering more bytes than the file holds fails", () => {
  const s = createSenderMachine({ id, kind: "file", name: "f", size: 10, hash });
  s.start(0);
  const ev = s.handle(encodeTransfer({ type: "accept", id, offset: 11, prefixHash: hash }), 1);
  assert.equal(ev[0]?.type, "failed");
});

Deno.test("receiver: reports progress each 256 KiB of content", () => {
  const big = new Uint8Array(600 * 1024);
  const h = sha256(big);
  const r = createReceiverMachine(0);
  r.handle(
    encodeTransfer({ type: "offer", id, kind: "file", name: "b", size: big.length, hash: h }),
    0,
  );
  r.accept(0, createHash("sha256"), 0);
  const held: number[] = [];
  for (let at = 0; at < big.length; at += 1372) {
    for (
      const m of r.handle(encodeTransfer({ type: "data", bytes: big.subarray(at, at + 1372) }), 1)
        .send
    ) {
      const p = decodeTransfer(m);
      if (p.type === "progress") held.push(p.held);
    }
  }
  assert.equal(held.length, 2);
  assert.ok(held[0]! >= 256 * 1024 && held[0]! < 256 * 1024 + 1372);
  assert.ok(held[1]! >= 512 * 1024 && held[1]! < 512 * 1024 + 1372);
});

Deno.test("sender: a prefix that differs means a fresh offer, which must be accepted at 0", () => {
  const s = createSenderMachine({ id, kind: "file", name: "f", size: 10, hash });
  s.start(0);
  s.handle(encodeTransfer({ type: "accept", id, offset: 4, prefixHash: hash }), 1);
  const again = decodeTransfer(s.restart(2));
  assert.ok(again.type === "offer" && again.fresh === true);
  const ev = s.handle(encodeTransfer({ type: "accept", id, offset: 4, prefixHash: hash }), 3);
  assert.equal(ev[0]?.type, "failed");
});
