import assert from "node:assert/strict";
import { AnnounceStore, compareDistance } from "../../lib/onion/announce_store.ts";
import { checkTimedAuth, generateTimedAuth, hmacSha512256 } from "../../lib/onion/timed_auth.ts";
import { toHex } from "../../lib/util/bytes.ts";

const ADDR = { hostname: "127.0.0.1", port: 1 };
const RET = new Uint8Array(177);
const pk = (first: number) => {
  const k = new Uint8Array(32);
  k[0] = first;
  return k;
};

Deno.test("AnnounceStore keeps at most maxEntries and replaces the farthest with a closer key", () => {
  const self = new Uint8Array(32);
  const s = new AnnounceStore(self, 3, 1000);
  for (const k of [0x10, 0x20, 0x40]) assert.ok(s.add(pk(k), pk(1), ADDR, RET, 0));
  assert.equal(s.size, 3);
  assert.equal(s.add(pk(0x80), pk(1), ADDR, RET, 1), undefined, "farther than all: refused");
  assert.ok(s.add(pk(0x30), pk(1), ADDR, RET, 2), "closer than the farthest (0x40): accepted");
  assert.equal(s.find(pk(0x40), 2), undefined);
  assert.ok(s.find(pk(0x30), 2));
  assert.equal(s.size, 3);
});

Deno.test("AnnounceStore refreshes an existing key in place even when full", () => {
  const s = new AnnounceStore(new Uint8Array(32), 2, 1000);
  s.add(pk(1), pk(1), ADDR, RET, 0);
  s.add(pk(2), pk(1), ADDR, RET, 0);
  const e = s.add(pk(2), pk(9), { hostname: "10.0.0.1", port: 2 }, RET, 500);
  assert.deepEqual(e?.dataPublicKey, pk(9));
  assert.equal(s.find(pk(2), 1400)?.retAddr.hostname, "10.0.0.1");
  assert.equal(s.size, 2);
});

Deno.test("AnnounceStore reuses expired slots before comparing distances", () => {
  const s = new AnnounceStore(new Uint8Array(32), 1, 1000);
  s.add(pk(1), pk(1), ADDR, RET, 0);
  assert.equal(s.add(pk(0x80), pk(1), ADDR, RET, 1000), undefined);
  assert.ok(s.add(pk(0x80), pk(1), ADDR, RET, 1001));
  assert.equal(s.find(pk(1), 1001), undefined);
});

Deno.test("compareDistance() is the XOR metric", () => {
  assert.equal(compareDistance(pk(0xf0), pk(0xf1), pk(0x00)), -1);
  assert.equal(compareDistance(pk(0xf0), pk(0x00), pk(0xf1)), 1);
  assert.equal(compareDistance(pk(3), pk(3), pk(3)), 0);
});

Deno.test("hmacSha512256() golden (RFC 4231 case 2 truncated to 256 bits)", () => {
  const tag = hmacSha512256(
    new TextEncoder().encode("Jefe"),
    new TextEncoder().encode("what do ya want for nothing?"),
  );
  assert.equal(toHex(tag), "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554");
});

Deno.test("timed auth: valid in its period and the next, bound to the data", () => {
  const key = new Uint8Array(32).fill(7), data = new Uint8Array([1, 2]);
  const tag = generateTimedAuth(key, 300_000, 299_999, data);
  assert.ok(checkTimedAuth(key, 300_000, 0, data, tag));
  assert.ok(checkTimedAuth(key, 300_000, 599_999, data, tag));
  assert.ok(!checkTimedAuth(key, 300_000, 600_000, data, tag));
  assert.ok(!checkTimedAuth(key, 300_000, 0, new Uint8Array([1, 3]), tag));
  assert.ok(!checkTimedAuth(key, 300_000, 0, data, new Uint8Array(31)));
});
