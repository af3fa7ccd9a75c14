import assert from "node:assert/strict";
import fc from "fast-check";
import { incrementNonce, incrementNonceBy, randomNonce } from "../../lib/crypto/mod.ts";
import { fromHex, toHex } from "../../lib/util/bytes.ts";

function asBigInt(n: Uint8Array): bigint {
  return BigInt("0x" + (toHex(n) || "0"));
}

Deno.test("incrementNonce carries big-endian from byte 23 towards byte 0", () => {
  const n = fromHex("00".repeat(21) + "00ffff");
  incrementNonce(n);
  assert.equal(toHex(n), "00".repeat(21) + "010000");
});

Deno.test("incrementNonce wraps the all-ones nonce to zero", () => {
  const n = new Uint8Array(24).fill(0xff);
  incrementNonce(n);
  assert.equal(toHex(n), "00".repeat(24));
});

Deno.test("incrementNonceBy adds a 32-bit number like increment_nonce_number", () => {
  const n = fromHex("00".repeat(20) + "00fffffe");
  incrementNonceBy(n, 0x01020304);
  assert.equal(toHex(n), "00".repeat(20) + "02020302");
});

Deno.test("incrementNonce and incrementNonceBy equal 192-bit integer addition", () => {
  const mod = 1n << 192n;
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 24, maxLength: 24 }),
      fc.integer({ min: 0, max: 0xffffffff }),
      (bytes, by) => {
        const a = bytes.slice();
        incrementNonce(a);
        assert.equal(asBigInt(a), (asBigInt(bytes) + 1n) % mod);
        const b = bytes.slice();
        incrementNonceBy(b, by);
        assert.equal(asBigInt(b), (asBigInt(bytes) + BigInt(by)) % mod);
      },
    ),
    { numRuns: 500 },
  );
});

Deno.test("incrementNonceBy rejects values outside 32 bits", () => {
  assert.throws(() => incrementNonceBy(new Uint8Array(24), -1), RangeError);
  assert.throws(() => incrementNonceBy(new Uint8Array(24), 2 ** 32), RangeError);
});

Deno.test("randomNonce gives 24 fresh bytes", () => {
  const a = randomNonce(), b = randomNonce();
  assert.equal(a.length, 24);
  assert.notEqual(toHex(a), toHex(b));
});
