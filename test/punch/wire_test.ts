import assert from "node:assert/strict";
import fc from "fast-check";
import { backend } from "../../lib/crypto/mod.ts";
import {
  decodePunchHeader,
  encodedPunchLength,
  encodePunch,
  openPunch,
  type PunchMessage,
} from "../../lib/punch/wire.ts";
import { WireError } from "../../lib/util/wire_error.ts";

const a = backend().keyPairFromSecretKey(new Uint8Array(32).fill(7));
const b = backend().keyPairFromSecretKey(new Uint8Array(32).fill(9));
const kAB = backend().sharedKey(b.publicKey, a.secretKey);
const kBA = backend().sharedKey(a.publicKey, b.secretKey);

const msg = (over: Partial<PunchMessage> = {}): PunchMessage => ({
  type: 1,
  sender: a.publicKey,
  attemptId: Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]),
  timestamp: 1_700_000_000_000,
  token: new Uint8Array(16).fill(0xaa),
  echo: new Uint8Array(16),
  endpoint: { hostname: "203.0.113.2", port: 33445 },
  ...over,
});

Deno.test("encodePunch() lays out kind, type, sender key and nonce in the clear", () => {
  const nonce = new Uint8Array(24).fill(0x11);
  const bytes = encodePunch(msg({ type: 2 }), kAB, nonce);
  assert.deepStrictEqual(bytes[0], 0xe5);
  assert.deepStrictEqual(bytes[1], 2);
  assert.deepStrictEqual(bytes.subarray(2, 34), a.publicKey);
  assert.deepStrictEqual(bytes.subarray(34, 58), nonce);
  assert.deepStrictEqual(bytes.length, encodedPunchLength());
  assert.deepStrictEqual(bytes.length, 2 + 32 + 24 + 16 + 67);
});

Deno.test("openPunch() recovers every field with the receiver's shared key", () => {
  const m = msg({ endpoint: { hostname: "2001:db8::5", port: 9 } });
  const got = openPunch(
    decodePunchHeader(encodePunch(m, kAB, new Uint8Array(24))),
    kBA,
    a.publicKey,
  );
  assert.deepStrictEqual(got, m);
});

Deno.test("openPunch() returns null under another key pair (a third party cannot forge)", () => {
  const eve = backend().keyPair();
  const kEB = backend().sharedKey(b.publicKey, eve.secretKey);
  // Eve claims to be A but can only seal with her own secret.
  const forged = encodePunch(msg({ sender: a.publicKey }), kEB, new Uint8Array(24));
  assert.deepStrictEqual(openPunch(decodePunchHeader(forged), kBA, a.publicKey), null);
});

Deno.test("decodePunchHeader() rejects wrong kind, unknown type and wrong sizes with WireError", () => {
  const good = encodePunch(msg(), kAB, new Uint8Array(24));
  const other = good.slice();
  other[0] = 0x00;
  assert.throws(() => decodePunchHeader(other), WireError);
  const badType = good.slice();
  badType[1] = 9;
  assert.throws(() => decodePunchHeader(badType), WireError);
  assert.throws(() => decodePunchHeader(good.subarray(0, good.length - 1)), WireError);
  assert.throws(() => decodePunchHeader(new Uint8Array([...good, 0])), WireError);
});

Deno.test("encodePunch()/openPunch() round-trip any message", () => {
  fc.assert(
    fc.property(
      fc.constantFrom(1, 2, 3),
      fc.uint8Array({ minLength: 8, maxLength: 8 }),
      fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
      fc.uint8Array({ minLength: 16, maxLength: 16 }),
      fc.uint8Array({ minLength: 16, maxLength: 16 }),
      fc.ipV4(),
      fc.integer({ min: 0, max: 65535 }),
      (type, attemptId, timestamp, token, echo, ip, port) => {
        const m = msg({
          type: type as 1 | 2 | 3,
          attemptId,
          timestamp,
          token,
          echo,
          endpoint: { hostname: ip, port },
        });
        const bytes = encodePunch(m, kAB, backend().randomBytes(24));
        assert.deepStrictEqual(bytes.length, encodedPunchLength());
        assert.deepStrictEqual(openPunch(decodePunchHeader(bytes), kBA, a.publicKey), m);
      },
    ),
    { numRuns: 200 },
  );
});

Deno.test("decodePunchHeader()/openPunch() survive truncation and bit flips: only WireError or null", () => {
  const good = encodePunch(msg(), kAB, new Uint8Array(24));
  let rejected = 0;
  for (let n = 0; n < good.length; n++) {
    try {
      decodePunchHeader(good.subarray(0, n));
    } catch (e) {
      assert(e instanceof WireError);
      rejected++;
    }
  }
  assert.deepStrictEqual(rejected, good.length);
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: good.length * 8 - 1 }),
      (bit) => {
        const bad = good.slice();
        bad[bit >> 3]! ^= 1 << (bit & 7);
        try {
          const h = decodePunchHeader(bad);
          const m = openPunch(h, kBA, a.publicKey);
          assert.deepStrictEqual(m, null);
        } catch (e) {
          assert(e instanceof WireError);
        }
      },
    ),
    { numRuns: 600 },
  );
  fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (junk) => {
    try {
      const h = decodePunchHeader(junk);
      assert.deepStrictEqual(openPunch(h, kBA, a.publicKey), null);
    } catch (e) {
      assert(e instanceof WireError);
    }
  }));
});
