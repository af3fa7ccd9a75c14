import assert from "node:assert/strict";
import fc from "fast-check";
import {
  decodeTransfer,
  encodedTransferLength,
  encodeTransfer,
  isTransferMessage,
  type TransferMessage,
} from "../../lib/transfer/wire.ts";
import { fromHex, toHex } from "../../lib/util/bytes.ts";
import { WireError } from "../../lib/util/wire_error.ts";

const id = fromHex("0102030405060708");
const hash = new Uint8Array(32).fill(0xab);

Deno.test("encodeTransfer() lays out an offer as id, kind, u64 size, hash, name", () => {
  const b = encodeTransfer({ type: "offer", id, kind: "file", name: "a.txt", size: 258, hash });
  assert.equal(
    toHex(b),
    "a8" + "0102030405060708" + "02" + "0000000000000102" + "ab".repeat(32) + "612e747874",
  );
});

Deno.test("encodeTransfer() marks a fresh offer (no resume) with the kind byte's top bit", () => {
  const b = encodeTransfer({
    type: "offer",
    id,
    kind: "file",
    name: "",
    size: 1,
    hash,
    fresh: true,
  });
  assert.equal(b[9], 0x82);
  const m = decodeTransfer(b);
  assert.ok(m.type === "offer" && m.fresh === true && m.kind === "file");
});

Deno.test("encodeTransfer() gives a stream offer the all-ones size and a zero hash", () => {
  const b = encodeTransfer({
    type: "offer",
    id,
    kind: "stream",
    name: "s",
    size: null,
    hash: null,
  });
  assert.equal(toHex(b.subarray(10, 18)), "001fffffffffffff");
  assert.equal(toHex(b.subarray(18, 50)), "00".repeat(32));
  const m = decodeTransfer(b);
  assert.ok(m.type === "offer" && m.size === null && m.hash === null && m.kind === "stream");
});

Deno.test("encodeTransfer() lays out accept, progress, end, result, refuse, data and abort", () => {
  const cases: [TransferMessage, string][] = [
    [
      { type: "accept", id, offset: 2 ** 32 + 1, prefixHash: hash },
      "a9" + toHex(id) + "0000000100000001" + "ab".repeat(32),
    ],
    [{ type: "progress", id, held: 7 }, "ae" + toHex(id) + "0000000000000007"],
    [{ type: "end", size: 3, hash }, "ac" + "0000000000000003" + "ab".repeat(32)],
    [
      { type: "result", id, ok: true, size: 3, hash, text: "x" },
      "ad" + toHex(id) + "01" + "0000000000000003" + "ab".repeat(32) + "78",
    ],
    [{ type: "refuse", id, code: 1, reason: "no" }, "aa" + toHex(id) + "01" + "6e6f"],
    [{ type: "data", bytes: fromHex("ff00") }, "abff00"],
    [{ type: "abort", reason: "" }, "af"],
  ];
  for (const [m, hex] of cases) {
    assert.equal(toHex(encodeTransfer(m)), hex, m.type);
    assert.deepEqual(decodeTransfer(fromHex(hex)), m, m.type);
  }
});

Deno.test("encodeTransfer() refuses out-of-range fields with RangeError", () => {
  assert.throws(() => encodeTransfer({ type: "data", bytes: new Uint8Array(0) }), RangeError);
  assert.throws(() => encodeTransfer({ type: "data", bytes: new Uint8Array(1373) }), RangeError);
  assert.throws(
    () => encodeTransfer({ type: "progress", id: new Uint8Array(7), held: 0 }),
    RangeError,
  );
  assert.throws(() => encodeTransfer({ type: "progress", id, held: -1 }), RangeError);
  assert.throws(
    () => encodeTransfer({ type: "offer", id, kind: "file", name: "n".repeat(256), size: 1, hash }),
    RangeError,
  );
});

Deno.test("decodeTransfer() rejects foreign ids, short messages, trailing bytes and bad text", () => {
  const bad = (hex: string, code: string) =>
    assert.throws(
      () => decodeTransfer(fromHex(hex)),
      (e) => e instanceof WireError && e.code === code,
      hex,
    );
  bad("", "BAD_TYPE");
  bad("a0", "BAD_TYPE");
  bad("ae0102", "TRUNCATED");
  bad("ae" + toHex(id) + "0000000000000007" + "00", "BAD_LENGTH");
  bad("ab", "TRUNCATED");
  bad("af" + "ff", "BAD_VALUE");
  bad("ae" + toHex(id) + "0020000000000000", "BAD_VALUE");
  bad("a8" + toHex(id) + "09" + "00".repeat(40), "BAD_VALUE");
  bad("ab" + "00".repeat(1373), "TOO_LARGE");
});

const arbId = fc.uint8Array({ minLength: 8, maxLength: 8 });
const arbHash = fc.uint8Array({ minLength: 32, maxLength: 32 });
const arbU64 = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER - 1 });
const arbText = (n: number) => fc.string({ maxLength: n / 4 });
const arbMessage: fc.Arbitrary<TransferMessage> = fc.oneof(
  fc.record({
    type: fc.constant("offer" as const),
    id: arbId,
    kind: fc.constantFrom("message" as const, "file" as const),
    name: arbText(255),
    size: arbU64,
    hash: arbHash,
  }),
  fc.record({
    type: fc.constant("offer" as const),
    id: arbId,
    kind: fc.constant("stream" as const),
    name: arbText(255),
    size: fc.constant(null),
    hash: fc.constant(null),
  }),
  fc.record({
    type: fc.constant("accept" as const),
    id: arbId,
    offset: arbU64,
    prefixHash: arbHash,
  }),
  fc.record({
    type: fc.constant("refuse" as const),
    id: arbId,
    code: fc.integer({ min: 0, max: 255 }),
    reason: arbText(512),
  }),
  fc.record({
    type: fc.constant("data" as const),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 1372 }),
  }),
  fc.record({ type: fc.constant("end" as const), size: arbU64, hash: arbHash }),
  fc.record({
    type: fc.constant("result" as const),
    id: arbId,
    ok: fc.boolean(),
    size: arbU64,
    hash: arbHash,
    text: arbText(512),
  }),
  fc.record({ type: fc.constant("progress" as const), id: arbId, held: arbU64 }),
  fc.record({ type: fc.constant("abort" as const), reason: arbText(512) }),
);

Deno.test("encodeTransfer()/decodeTransfer() round-trip any message, at encodedTransferLength()", () => {
  fc.assert(
    fc.property(arbMessage, (m) => {
      const b = encodeTransfer(m);
      assert.equal(b.length, encodedTransferLength(m));
      assert.ok(isTransferMessage(b));
      assert.deepEqual(decodeTransfer(b), { ...m });
    }),
    { numRuns: 500 },
  );
});

const onlyWireError = (b: Uint8Array) => {
  try {
    decodeTransfer(b);
  } catch (e) {
    if (!(e instanceof WireError)) throw e;
  }
};

Deno.test("decodeTransfer() fuzz: truncations and bit flips of valid messages throw only WireError", () => {
  fc.assert(
    fc.property(arbMessage, fc.nat(), fc.nat(), (m, cut, flip) => {
      const b = encodeTransfer(m);
      onlyWireError(b.subarray(0, cut % (b.length + 1)));
      const f = b.slice();
      f[flip % f.length]! ^= 1 << (flip % 8);
      onlyWireError(f);
    }),
    { numRuns: 2000 },
  );
});

Deno.test("decodeTransfer() fuzz: random bytes after a transfer id throw only WireError", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 168, max: 175 }),
      fc.uint8Array({ maxLength: 1400 }),
      (t, rest) => {
        onlyWireError(Uint8Array.of(t, ...rest));
      },
    ),
    { numRuns: 2000 },
  );
});
