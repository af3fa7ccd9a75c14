import assert from "node:assert/strict";
import fc from "fast-check";
import { toHex } from "../../lib/util/bytes.ts";
import { WireError } from "../../lib/util/wire_error.ts";
import { decodeShareRelays, encodeShareRelays, FriendLiveness } from "../../lib/session/friend.ts";

Deno.test("FriendLiveness: alive every 8 s, dead after 32 s of silence", () => {
  const f = new FriendLiveness(0);
  const alive: number[] = [];
  let dead = -1;
  for (let t = 0; t <= 40_000 && dead < 0; t = f.nextTimeout()) {
    const a = f.poll(t);
    if (a.sendAlive) alive.push(t);
    if (a.dead) dead = t;
  }
  assert.deepEqual(alive, [0, 8001, 16_002, 24_003]);
  assert.equal(dead, 32_001);
});

Deno.test("FriendLiveness: anything received keeps the connection alive", () => {
  const f = new FriendLiveness(0);
  for (let t = 0; t < 100_000; t += 10_000) {
    f.received(t);
    assert.equal(f.poll(t + 5_000).dead, false);
  }
});

Deno.test("share relays: golden bytes, TCP families, round trip", () => {
  const pk = new Uint8Array(32).fill(0xab);
  const b = encodeShareRelays([
    { publicKey: pk, addr: { hostname: "127.0.0.1", port: 33445 } },
    { publicKey: pk, addr: { hostname: "::1", port: 443 } },
  ]);
  assert.equal(
    toHex(b),
    "11" + "82" + "7f000001" + "82a5" + "ab".repeat(32) +
      "8a" + "00".repeat(15) + "01" + "01bb" + "ab".repeat(32),
  );
  const back = decodeShareRelays(b);
  assert.deepEqual(back.map((n) => [n.addr.hostname, n.addr.port, n.tcp]), [
    ["127.0.0.1", 33445, true],
    ["::1", 443, true],
  ]);
  assert.throws(() => encodeShareRelays([...back, ...back]), RangeError);
});

Deno.test("decodeShareRelays(): truncation and bit flips raise only WireError", () => {
  const pk = new Uint8Array(32).fill(1);
  const b = encodeShareRelays([
    { publicKey: pk, addr: { hostname: "10.0.0.1", port: 1 } },
    { publicKey: pk, addr: { hostname: "fe80::1", port: 2 } },
  ]);
  fc.assert(
    fc.property(fc.nat(), fc.nat(), (cut, flip) => {
      const f = b.slice(0, cut % (b.length + 1));
      if (f.length > 0) f[flip % f.length]! ^= 1 << (flip % 8);
      try {
        decodeShareRelays(f);
      } catch (e) {
        if (!(e instanceof WireError)) throw e;
      }
    }),
    { numRuns: 500 },
  );
});
