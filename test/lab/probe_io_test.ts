import assert from "node:assert/strict";
import fc from "fast-check";
import { decodeMsg, parseAddr, showAddr } from "./probe_io.ts";

const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));

Deno.test("decodeMsg() reads a tagged JSON object and returns null for anything else", () => {
  assert.deepEqual(decodeMsg(enc({ t: "map", id: "1" })), { t: "map", id: "1" });
  for (const v of [[1], "x", 3, null, { t: 1 }, { id: "no tag" }]) {
    assert.equal(decodeMsg(enc(v)), null);
  }
  assert.equal(decodeMsg(new Uint8Array([0xff, 0xfe])), null);
  assert.equal(decodeMsg(new Uint8Array(5000).fill(0x20)), null);
});

Deno.test("decodeMsg() never throws on truncated or bit-flipped datagrams", () => {
  const good = enc({ t: "peer", addr: "203.0.113.2:40001", id: "abc" });
  fc.assert(
    fc.property(fc.nat(good.length), fc.nat(good.length * 8 - 1), (cut, bit) => {
      decodeMsg(good.subarray(0, cut));
      const flipped = good.slice();
      flipped[bit >> 3]! ^= 1 << (bit & 7);
      const m = decodeMsg(flipped);
      assert.ok(m === null || typeof m.t === "string");
    }),
    { numRuns: 2000 },
  );
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
      decodeMsg(b);
    }),
    { numRuns: 2000 },
  );
});

Deno.test("parseAddr() round-trips with showAddr() and throws only TypeError on bad text", () => {
  assert.equal(showAddr(parseAddr("203.0.113.10:3478")), "203.0.113.10:3478");
  for (const bad of ["", "1.2.3.4", "1.2.3.4:0", "1.2.3.4:65536", "x:1", "1.2.3.4:1 ", "[::1]:1"]) {
    assert.throws(() => parseAddr(bad), TypeError, bad);
  }
  const good = "203.0.113.10:3478";
  fc.assert(
    fc.property(fc.nat(good.length), fc.nat(good.length * 8 - 1), (cut, bit) => {
      const chars = [...good.slice(0, cut)];
      const i = bit >> 3;
      if (i < chars.length) {
        chars[i] = String.fromCharCode(chars[i]!.charCodeAt(0) ^ (1 << (bit & 7)));
      }
      try {
        parseAddr(chars.join(""));
      } catch (e) {
        assert.ok(e instanceof TypeError);
      }
    }),
    { numRuns: 2000 },
  );
});
