import assert from "node:assert/strict";
import fc from "fast-check";
import {
  type Control,
  COOKIE_KIND,
  decodeControl,
  encodeControl,
  Rendezvous,
} from "../../lib/punch/rendezvous.ts";
import { WireError } from "../../lib/util/wire_error.ts";

const A = "aa".repeat(32), B = "bb".repeat(32), C = "cc".repeat(32);
const UDP = { hostname: "203.0.113.10", port: 33445 };
const WA = { hostname: "203.0.113.1", port: 40001 }, WB = { hostname: "203.0.113.2", port: 50002 };

function cookieOf(data: Uint8Array): Uint8Array {
  const m = decodeControl(data);
  assert.equal(m.t, "attempt");
  const hex = (m as Extract<Control, { t: "attempt" }>).cookie;
  return new Uint8Array([COOKIE_KIND, ...hex.match(/../g)!.map((h) => parseInt(h, 16))]);
}

Deno.test("Rendezvous: meet, cookies from both WANs and ready give each side the other's address", () => {
  const rv = new Rendezvous({ udp: UDP, online: (k) => k === B });
  const [toA, toB] = rv.handleControl(A, encodeControl({ t: "meet", peer: B, nat: "hard" }), 0);
  assert.equal(toA!.to, A);
  assert.equal(toB!.to, B);
  const ma = decodeControl(toA!.data) as Extract<Control, { t: "attempt" }>;
  const mb = decodeControl(toB!.data) as Extract<Control, { t: "attempt" }>;
  assert.equal(ma.id, mb.id);
  assert.notEqual(ma.cookie, mb.cookie);
  assert.deepEqual([ma.role, mb.role, ma.peer, mb.peer, ma.udp], [
    "start",
    "join",
    B,
    A,
    "203.0.113.10:33445",
  ]);
  assert.deepEqual(rv.handleCookie(WA, cookieOf(toA!.data), 1), []);
  assert.deepEqual(rv.handleCookie(WB, cookieOf(toB!.data), 2), []);
  const intro = rv.handleControl(B, encodeControl({ t: "ready", id: mb.id, nat: "easy" }), 3);
  assert.equal(intro.length, 2);
  const ia = decodeControl(intro.find((s) => s.to === A)!.data);
  const ib = decodeControl(intro.find((s) => s.to === B)!.data);
  assert.deepEqual(ia, { t: "intro", id: ma.id, peer: B, addr: "203.0.113.2:50002", nat: "easy" });
  assert.deepEqual(ib, { t: "intro", id: ma.id, peer: A, addr: "203.0.113.1:40001", nat: "hard" });
  assert.equal(rv.size, 0);
  assert.equal(rv.stats.introduced, 1);
});

Deno.test("Rendezvous: a peer that is not connected is refused; a wrong cookie changes nothing", () => {
  const rv = new Rendezvous({ udp: UDP, online: () => false });
  const [r] = rv.handleControl(A, encodeControl({ t: "meet", peer: C, nat: "easy" }), 0);
  assert.deepEqual(decodeControl(r!.data), {
    t: "refused",
    peer: C,
    why: "peer not connected to this relay",
  });
  assert.deepEqual(rv.handleCookie(WA, new Uint8Array(17).fill(COOKIE_KIND), 0), []);
  assert.equal(rv.stats.badCookie, 1);
  assert.deepEqual(rv.handleControl(A, new Uint8Array([1, 2, 3]), 0), []);
  assert.equal(rv.stats.badControl, 1);
});

Deno.test("Rendezvous: only the joining side may say ready; attempts are bounded per client and expire", () => {
  const rv = new Rendezvous({ udp: UDP, online: () => true });
  const [toA] = rv.handleControl(A, encodeControl({ t: "meet", peer: B, nat: "easy" }), 0);
  const id = (decodeControl(toA!.data) as { id: string }).id;
  assert.deepEqual(rv.handleControl(C, encodeControl({ t: "ready", id, nat: "easy" }), 1), []);
  for (let i = 0; i < 20; i++) {
    rv.handleControl(A, encodeControl({ t: "meet", peer: B, nat: "easy" }), 2);
  }
  assert.equal(rv.size, 8);
  const [r] = rv.handleControl(A, encodeControl({ t: "meet", peer: B, nat: "easy" }), 3);
  assert.equal((decodeControl(r!.data) as { why: string }).why, "too many attempts");
  rv.handleControl(C, encodeControl({ t: "meet", peer: B, nat: "easy" }), 60_000);
  assert.equal(rv.size, 1);
});

Deno.test("decodeControl() survives truncation, bit flips and junk: only WireError escapes", () => {
  const good = encodeControl({
    t: "intro",
    id: "0123456789abcdef",
    peer: A,
    addr: "1.2.3.4:5",
    nat: "easy",
  });
  assert.deepEqual(decodeControl(good).t, "intro");
  for (let n = 0; n < good.length; n++) {
    assert.throws(() => decodeControl(good.subarray(0, n)), WireError);
  }
  fc.assert(
    fc.property(fc.integer({ min: 0, max: good.length * 8 - 1 }), (bit) => {
      const bad = good.slice();
      bad[bit >> 3]! ^= 1 << (bit & 7);
      try {
        decodeControl(bad);
      } catch (e) {
        assert.ok(e instanceof WireError);
      }
    }),
    { numRuns: 1000 },
  );
  fc.assert(fc.property(fc.uint8Array({ maxLength: 1000 }), (junk) => {
    try {
      decodeControl(new Uint8Array([0x50, 0x4b, 0x52, 0x56, 1, ...junk]));
    } catch (e) {
      assert.ok(e instanceof WireError);
    }
  }));
  fc.assert(fc.property(fc.jsonValue(), (v) => {
    try {
      decodeControl(
        new Uint8Array([0x50, 0x4b, 0x52, 0x56, 1, ...new TextEncoder().encode(JSON.stringify(v))]),
      );
    } catch (e) {
      assert.ok(e instanceof WireError);
    }
  }));
});
