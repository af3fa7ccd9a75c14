import assert from "node:assert/strict";
import fc from "fast-check";
import {
  encodeToxId,
  formatToxId,
  isToxId,
  parseToxId,
  toxIdChecksum,
} from "../../lib/identity/tox_id.ts";
import { PeerkitError } from "../../lib/util/errors.ts";

// Key bytes 0x01..0x20, nospam DE AD BE EF. Checksum by hand: byte 0 is the XOR of the
// bytes at even offsets (1 ^ 3 ^ ... ^ 31 = 0x00, then ^ 0xDE ^ 0xBE = 0x60), byte 1 of the
// odd ones (2 ^ 4 ^ ... ^ 32 = 0x20, then ^ 0xAD ^ 0xEF = 0x62).
const PK = Uint8Array.from({ length: 32 }, (_, i) => i + 1);
const NOSPAM = new Uint8Array([0xde, 0xad, 0xbe, 0xef]);
const GOLDEN = "0102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F20" +
  "DEADBEEF" + "6062";

Deno.test("formatToxId() writes key, nospam and the hand-computed checksum", () => {
  assert.deepEqual(toxIdChecksum({ publicKey: PK, nospam: NOSPAM }), new Uint8Array([0x60, 0x62]));
  assert.equal(formatToxId({ publicKey: PK, nospam: NOSPAM }), GOLDEN);
  assert.equal(encodeToxId({ publicKey: PK, nospam: NOSPAM }).length, 38);
});

Deno.test("parseToxId() reads the golden ID in either case and with spaces around", () => {
  for (const t of [GOLDEN, GOLDEN.toLowerCase(), `  ${GOLDEN}\n`]) {
    const id = parseToxId(t);
    assert.deepEqual(id.publicKey, PK);
    assert.deepEqual(id.nospam, NOSPAM);
  }
});

function usageCode(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof PeerkitError);
    assert.ok(e.usage);
    assert.ok(!e.message.includes("\n"));
    return e.code;
  }
  assert.fail("expected a usage error");
}

Deno.test("parseToxId() gives a one-line BAD_TOX_ID usage error for length, hex and checksum", () => {
  assert.equal(usageCode(() => parseToxId(GOLDEN.slice(0, 64))), "BAD_TOX_ID");
  assert.equal(usageCode(() => parseToxId(GOLDEN + "00")), "BAD_TOX_ID");
  assert.equal(usageCode(() => parseToxId("G" + GOLDEN.slice(1))), "BAD_TOX_ID");
  assert.equal(usageCode(() => parseToxId(GOLDEN.slice(0, 72) + "6063")), "BAD_TOX_ID");
  assert.match(
    (() => {
      try {
        parseToxId(GOLDEN.slice(0, 72) + "0000");
      } catch (e) {
        return (e as Error).message;
      }
      return "";
    })(),
    /expected 6062/,
  );
  assert.ok(!isToxId(GOLDEN.slice(0, 72) + "0000") && isToxId(GOLDEN));
});

Deno.test("Tox ID round trip: parse(format(id)) === id", () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 32, maxLength: 32 }),
      fc.uint8Array({ minLength: 4, maxLength: 4 }),
      (publicKey, nospam) => {
        const text = formatToxId({ publicKey, nospam });
        assert.equal(text.length, 76);
        const back = parseToxId(text);
        assert.deepEqual(back.publicKey, publicKey);
        assert.deepEqual(back.nospam, nospam);
      },
    ),
  );
});

Deno.test("parseToxId() rejects every single-character change and every truncation of an ID", () => {
  const hex = "0123456789ABCDEF";
  for (let i = 0; i < GOLDEN.length; i++) {
    assert.equal(usageCode(() => parseToxId(GOLDEN.slice(0, i))), "BAD_TOX_ID");
    const c = GOLDEN[i]!;
    for (const r of hex) {
      if (r === c) continue;
      const bad = GOLDEN.slice(0, i) + r + GOLDEN.slice(i + 1);
      assert.equal(usageCode(() => parseToxId(bad)), "BAD_TOX_ID", `changed offset ${i}`);
    }
  }
});

Deno.test("parseToxId() fails only with a usage error on random text", () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 90 }), (s) => {
      try {
        parseToxId(s);
      } catch (e) {
        assert.ok(e instanceof PeerkitError && e.code === "BAD_TOX_ID");
      }
    }),
  );
});

Deno.test("toxIdChecksum() refuses keys and nospam of the wrong size", () => {
  assert.throws(() => toxIdChecksum({ publicKey: new Uint8Array(31), nospam: NOSPAM }), TypeError);
  assert.throws(() => toxIdChecksum({ publicKey: PK, nospam: new Uint8Array(3) }), TypeError);
});
