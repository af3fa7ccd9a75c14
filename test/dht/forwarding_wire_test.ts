import assert from "node:assert/strict";
import fc from "fast-check";
import {
  decodeForwardPacket,
  decodeSendbackData,
  encodedLength,
  encodeForwardPacket,
  encodeSendbackData,
  type ForwardPacket,
  MAX_FORWARD_DATA_SIZE,
  type SendbackData,
} from "../../lib/dht/forwarding_wire.ts";
import { fromHex, toHex } from "../../lib/util/bytes.ts";
import { WireError } from "../../lib/util/wire_error.ts";

// Layouts of forwarding.c as in the protocol digest §7.5: a request to key 0x11×32 with data
// "ab"; a forwarding packet with a 40-byte sendback (tag 0x22×32, [0][2 127.0.0.1 33445]).
const KEY = new Uint8Array(32).fill(0x11);
const TAG = "22".repeat(32);
const REQUEST_HEX = "90" + "11".repeat(32) + "6162";
const SENDBACK_DATA_HEX = "00" + "027f000001" + "82a5";
const FORWARDING_HEX = "91" + "28" + TAG + SENDBACK_DATA_HEX + "6162";

Deno.test("encodeForwardPacket() matches the 0x90 and 0x91 layouts of forwarding.c", () => {
  const data = new TextEncoder().encode("ab");
  assert.equal(toHex(encodeForwardPacket({ type: "request", dest: KEY, data })), REQUEST_HEX);
  const sendback = fromHex(TAG + SENDBACK_DATA_HEX);
  assert.equal(
    toHex(encodeForwardPacket({ type: "forwarding", sendback, data })),
    FORWARDING_HEX,
  );
  assert.equal(
    toHex(encodeForwardPacket({ type: "reply", sendback, data })),
    "92" + FORWARDING_HEX.slice(2),
  );
});

Deno.test("decodeSendbackData() reads the IP_Port, chained and TCP sendbacks", () => {
  assert.deepEqual(decodeSendbackData(fromHex(SENDBACK_DATA_HEX)), {
    type: "ipport",
    addr: { hostname: "127.0.0.1", port: 33445 },
  });
  const chained = decodeSendbackData(fromHex("01" + "027f000001" + "82a5" + "abcd"));
  assert.equal(chained.type, "forward");
  assert.ok(chained.type === "forward");
  assert.equal(toHex(chained.inner), "abcd");
  assert.deepEqual(decodeSendbackData(fromHex("02" + "0000000000000105")), {
    type: "tcp",
    conn: 261,
  });
});

Deno.test("decodeSendbackData() rejects an IP_Port sendback with bytes after the address", () => {
  assert.throws(() => decodeSendbackData(fromHex(SENDBACK_DATA_HEX + "00")), WireError);
  assert.throws(() => decodeSendbackData(fromHex("03")), WireError);
  assert.throws(() => decodeSendbackData(new Uint8Array()), WireError);
  assert.throws(() => decodeSendbackData(fromHex("02" + "00")), WireError);
  // TCP families are not valid in a sendback.
  assert.throws(() => decodeSendbackData(fromHex("00" + "827f000001" + "82a5")), WireError);
});

Deno.test("decodeForwardPacket() enforces c-toxcore's sizes", () => {
  const code = (b: Uint8Array) => {
    try {
      decodeForwardPacket(b);
      return "ok";
    } catch (e) {
      assert.ok(e instanceof WireError);
      return e.code;
    }
  };
  assert.equal(code(fromHex("90" + "11".repeat(31))), "TRUNCATED");
  assert.equal(code(fromHex("90" + "11".repeat(32))), "ok"); // empty data is allowed
  assert.equal(code(new Uint8Array(33 + MAX_FORWARD_DATA_SIZE + 1).fill(0x90)), "TOO_LARGE");
  assert.equal(code(fromHex("91")), "TRUNCATED");
  assert.equal(code(fromHex("9105aabb")), "TRUNCATED");
  assert.equal(code(Uint8Array.of(0x92, 255, ...new Uint8Array(255))), "TOO_LARGE");
  assert.equal(code(fromHex("9300")), "BAD_TYPE");
  assert.equal(code(new Uint8Array(2049).fill(0x91)), "TOO_LARGE");
  assert.throws(
    () => encodeForwardPacket({ type: "forwarding", sendback: new Uint8Array(255), data: KEY }),
    RangeError,
  );
  assert.throws(
    () => encodeForwardPacket({ type: "request", dest: new Uint8Array(31), data: KEY }),
    RangeError,
  );
});

const bytes = (max: number) => fc.uint8Array({ maxLength: max });
const packetArb: fc.Arbitrary<ForwardPacket> = fc.oneof(
  fc.record({
    type: fc.constant("request" as const),
    dest: fc.uint8Array({ minLength: 32, maxLength: 32 }),
    data: bytes(MAX_FORWARD_DATA_SIZE),
  }),
  fc.record({
    type: fc.constantFrom("forwarding" as const, "reply" as const),
    sendback: bytes(254),
    data: bytes(1792),
  }),
);
const ipArb = fc.oneof(fc.ipV4(), fc.constantFrom("::1", "2001:db8::7", "fe80::1"));
const addrArb = fc.record({ hostname: ipArb, port: fc.integer({ min: 0, max: 65535 }) });
const sendbackArb: fc.Arbitrary<SendbackData> = fc.oneof(
  fc.record({ type: fc.constant("ipport" as const), addr: addrArb }),
  fc.record({ type: fc.constant("forward" as const), addr: addrArb, inner: bytes(200) }),
  fc.record({
    type: fc.constant("tcp" as const),
    conn: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
  }),
);

Deno.test("forwarding packets and sendbacks round-trip; encodedLength() matches", () => {
  fc.assert(
    fc.property(packetArb, sendbackArb, (p, s) => {
      const b = encodeForwardPacket(p);
      assert.equal(b.length, encodedLength(p));
      assert.deepEqual(JSON.stringify(decodeForwardPacket(b)), JSON.stringify(p));
      const sb = decodeSendbackData(encodeSendbackData(s));
      assert.deepEqual(JSON.stringify(sb), JSON.stringify(s));
    }),
    { numRuns: 300 },
  );
});

Deno.test("truncated, bit-flipped and random forwarding bytes raise only WireError", () => {
  fc.assert(
    fc.property(
      packetArb,
      sendbackArb,
      fc.nat(),
      fc.nat(),
      fc.integer({ min: 0, max: 7 }),
      bytes(300),
      (p, s, cut, at, bit, random) => {
        for (const b of [encodeForwardPacket(p), encodeSendbackData(s)]) {
          const flipped = b.slice();
          if (b.length > 0) flipped[at % b.length]! ^= 1 << bit;
          for (const v of [b.slice(0, cut % (b.length + 1)), flipped, random]) {
            for (const decode of [decodeForwardPacket, decodeSendbackData]) {
              try {
                decode(v);
              } catch (e) {
                assert.ok(e instanceof WireError, String(e));
              }
            }
          }
        }
      },
    ),
    { numRuns: 300 },
  );
});
