import assert from "node:assert/strict";
import fc from "fast-check";
import {
  decodePacket,
  encodedLength,
  encodePacket,
  MAX_OOB_DATA_SIZE,
  PACKET_ID,
  type RelayPacket,
} from "../../lib/relay/mod.ts";
import { fromHex, toHex } from "../../lib/util/bytes.ts";
import { WireError } from "../../lib/util/wire_error.ts";

const K = (b: number) => new Uint8Array(32).fill(b);

// Golden vectors: layouts of tox-protocol.md §5.3 written out by hand.
const GOLDEN: [string, RelayPacket][] = [
  ["00" + "11".repeat(32), { type: "routingRequest", publicKey: K(0x11) }],
  ["0110" + "22".repeat(32), { type: "routingResponse", connId: 16, publicKey: K(0x22) }],
  ["0100" + "22".repeat(32), { type: "routingResponse", connId: 0, publicKey: K(0x22) }],
  ["02ff", { type: "connectNotification", connId: 255 }],
  ["0310", { type: "disconnectNotification", connId: 16 }],
  ["040102030405060708", { type: "ping", pingId: fromHex("0102030405060708") }],
  ["05ffffffffffffffff", { type: "pong", pingId: fromHex("ffffffffffffffff") }],
  ["06" + "33".repeat(32) + "abcd", {
    type: "oobSend",
    publicKey: K(0x33),
    data: fromHex("abcd"),
  }],
  ["07" + "44".repeat(32) + "01", { type: "oobRecv", publicKey: K(0x44), data: fromHex("01") }],
  ["08cafe", { type: "onionRequest", data: fromHex("cafe") }],
  ["0984beef", { type: "onionResponse", data: fromHex("84beef") }],
  ["0a027f0000010d05" + "99", {
    type: "forwardRequest",
    addr: { hostname: "127.0.0.1", port: 3333 },
    data: fromHex("99"),
  }],
  ["0b77", { type: "forwarding", data: fromHex("77") }],
  ["10deadbeef", { type: "data", connId: 16, data: fromHex("deadbeef") }],
  ["ff", { type: "data", connId: 255, data: new Uint8Array(0) }],
];

Deno.test("encodePacket() matches the golden layout of every packet id", () => {
  for (const [hex, p] of GOLDEN) {
    assert.equal(toHex(encodePacket(p)), hex, p.type);
    assert.equal(encodedLength(p), hex.length / 2, p.type);
  }
});

Deno.test("decodePacket() reads the golden layouts back", () => {
  for (const [hex, p] of GOLDEN) {
    const d = decodePacket(fromHex(hex));
    assert.equal(toHex(encodePacket(d)), hex, p.type);
    assert.equal(d.type, p.type);
  }
});

Deno.test("decodePacket() rejects reserved ids 12..15 and wrong fixed lengths", () => {
  for (const id of [12, 13, 14, 15]) {
    assert.throws(() => decodePacket(new Uint8Array([id, 0])), WireError);
  }
  const bad = [
    "", // empty
    "00" + "11".repeat(31), // routing request 32
    "00" + "11".repeat(33), // routing request 34
    "0110" + "22".repeat(31),
    "02", // notification without id
    "021000",
    "030f", // connection id below 16
    "0401020304050607", // ping of 8
    "050102030405060708ff",
    "06" + "33".repeat(32), // OOB without data
    "06" + "33".repeat(32) + "00".repeat(MAX_OOB_DATA_SIZE + 1), // OOB too long
    "0a82" + "7f000001" + "0d05", // TCP family in forward request
    "0a02" + "7f0000", // truncated address
  ];
  for (const hex of bad) {
    assert.throws(() => decodePacket(fromHex(hex)), WireError, hex.slice(0, 12));
  }
});

Deno.test("encodePacket() refuses values no peer could decode", () => {
  assert.throws(() => encodePacket({ type: "data", connId: 15, data: new Uint8Array(1) }));
  assert.throws(() => encodePacket({ type: "oobSend", publicKey: K(1), data: new Uint8Array(0) }));
  assert.throws(() => encodePacket({ type: "routingRequest", publicKey: new Uint8Array(31) }));
  assert.throws(() => encodePacket({ type: "onionRequest", data: new Uint8Array(2032) }));
});

const bytes = (min: number, max: number) => fc.uint8Array({ minLength: min, maxLength: max });
const packetArb: fc.Arbitrary<RelayPacket> = fc.oneof(
  bytes(32, 32).map((publicKey) => ({ type: "routingRequest" as const, publicKey })),
  fc.tuple(fc.oneof(fc.constant(0), fc.integer({ min: 16, max: 255 })), bytes(32, 32)).map((
    [connId, publicKey],
  ) => ({ type: "routingResponse" as const, connId, publicKey })),
  fc.integer({ min: 16, max: 255 }).map((connId) => ({
    type: "connectNotification" as const,
    connId,
  })),
  fc.integer({ min: 16, max: 255 }).map((connId) => ({
    type: "disconnectNotification" as const,
    connId,
  })),
  bytes(8, 8).map((pingId) => ({ type: "ping" as const, pingId })),
  bytes(8, 8).map((pingId) => ({ type: "pong" as const, pingId })),
  fc.tuple(bytes(32, 32), bytes(1, 1024)).map(([publicKey, data]) => ({
    type: "oobSend" as const,
    publicKey,
    data,
  })),
  fc.tuple(bytes(32, 32), bytes(1, 1024)).map(([publicKey, data]) => ({
    type: "oobRecv" as const,
    publicKey,
    data,
  })),
  bytes(0, 2031).map((data) => ({ type: "onionRequest" as const, data })),
  bytes(0, 2031).map((data) => ({ type: "onionResponse" as const, data })),
  fc.tuple(fc.ipV4(), fc.integer({ min: 0, max: 65535 }), bytes(0, 1792)).map((
    [hostname, port, data],
  ) => ({ type: "forwardRequest" as const, addr: { hostname, port }, data })),
  bytes(0, 2031).map((data) => ({ type: "forwarding" as const, data })),
  fc.tuple(fc.integer({ min: 16, max: 255 }), bytes(0, 2031)).map(([connId, data]) => ({
    type: "data" as const,
    connId,
    data,
  })),
);

Deno.test("decodePacket(encodePacket(p)) round-trips every packet kind", () => {
  fc.assert(
    fc.property(packetArb, (p) => {
      const b = encodePacket(p);
      assert.equal(b.length, encodedLength(p));
      const d = decodePacket(b);
      assert.equal(d.type, p.type);
      assert.equal(toHex(encodePacket(d)), toHex(b));
    }),
    { numRuns: 500 },
  );
});

Deno.test("decodePacket() throws only WireError on truncated and bit-flipped input", () => {
  fc.assert(
    fc.property(
      packetArb,
      fc.nat(),
      fc.nat(),
      fc.integer({ min: 0, max: 7 }),
      (p, cut, at, bit) => {
        const b = encodePacket(p);
        const variants = [b.subarray(0, cut % (b.length + 1))];
        const flipped = b.slice();
        flipped[at % flipped.length]! ^= 1 << bit;
        variants.push(flipped);
        for (const v of variants) {
          try {
            decodePacket(v);
          } catch (e) {
            assert.ok(e instanceof WireError, String(e));
          }
        }
      },
    ),
    { numRuns: 1000 },
  );
  fc.assert(
    fc.property(bytes(0, 64), (b) => {
      try {
        decodePacket(b);
      } catch (e) {
        assert.ok(e instanceof WireError, String(e));
      }
    }),
    { numRuns: 1000 },
  );
});

Deno.test("packet ids are the ones c-toxcore 0.2.18 uses", () => {
  assert.deepEqual(Object.values(PACKET_ID), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
});
