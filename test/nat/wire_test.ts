import assert from "node:assert/strict";
import fc from "fast-check";
import { concat, fromHex, toHex } from "../../lib/util/bytes.ts";
import { WireError } from "../../lib/util/wire_error.ts";
import { formatIp } from "../../lib/net/ip.ts";
import type { StunAttribute } from "../../lib/nat/attributes.ts";
import {
  decodeStun,
  encodedLength,
  encodeStun,
  findAttribute,
  isStunPacket,
  messageType,
  type StunMessage,
} from "../../lib/nat/wire.ts";
import { crc32 } from "../../lib/nat/crc32.ts";

// RFC 5769 §2.1-2.3 test vectors, typed from the RFC's published hex.
const TID = "b7e7a701bc34d686fa87dfae";
const SAMPLE_REQUEST = "000100582112a442" + TID +
  "80220010" + "5354554e2074657374" + "20636c69656e74" + // SOFTWARE "STUN test client"
  "002400046e0001ff" + // PRIORITY
  "80290008932ff9b151263b36" + // ICE-CONTROLLED
  "00060009" + "6576746a3a68367659202020" + // USERNAME "evtj:h6vY" + padding
  "00080014" + "9aeaa70cbfd8cb56781ef2b5b2d3f249c1b571a2" + // MESSAGE-INTEGRITY
  "80280004e57a3bcf"; // FINGERPRINT
const IPV4_RESPONSE = "0101003c2112a442" + TID +
  "8022000b" + "7465737420766563746f7220" + // SOFTWARE "test vector"
  "002000080001a147e112a643" + // XOR-MAPPED-ADDRESS 192.0.2.1:32853
  "00080014" + "2b91f599fd9e90c38c7489f92af9ba53f06be7d7" +
  "80280004c07d4c96";
const IPV6_RESPONSE = "010100482112a442" + TID +
  "8022000b" + "7465737420766563746f7220" +
  "00200014" + "0002a147" + "0113a9faa5d3f179bc25f4b5bed2b9d9" +
  "00080014" + "a382954e4be67bf11784c97c8292c275bfe3ed41" +
  "80280004c8fb0b4c";

Deno.test("crc32() matches the standard check value", () => {
  assert.equal(crc32(new TextEncoder().encode("123456789")), 0xcbf43926);
});

Deno.test("decodeStun() reads the RFC 5769 sample request", () => {
  const m = decodeStun(fromHex(SAMPLE_REQUEST));
  assert.equal(m.class, "request");
  assert.equal(m.method, 1);
  assert.equal(toHex(m.transactionId), TID);
  assert.equal(m.fingerprint, true);
  assert.equal(findAttribute(m, "software")?.text, "STUN test client");
  // PRIORITY (0x0024), USERNAME (0x0006), MESSAGE-INTEGRITY (0x0008) are required but
  // unknown to us; ICE-CONTROLLED (0x8029) is optional and skipped.
  assert.deepEqual(m.unknownRequired, [0x0024, 0x0006, 0x0008]);
  assert.equal(m.attributes.length, 1);
});

Deno.test("decodeStun() reads the RFC 5769 IPv4 and IPv6 responses", () => {
  const v4 = decodeStun(fromHex(IPV4_RESPONSE));
  assert.equal(v4.class, "success");
  assert.equal(v4.fingerprint, true);
  assert.equal(findAttribute(v4, "software")?.text, "test vector");
  assert.deepEqual(findAttribute(v4, "xorMappedAddress")?.addr, {
    hostname: "192.0.2.1",
    port: 32853,
  });
  const v6 = decodeStun(fromHex(IPV6_RESPONSE));
  assert.deepEqual(findAttribute(v6, "xorMappedAddress")?.addr, {
    hostname: "2001:db8:1234:5678:11:2233:4455:6677",
    port: 32853,
  });
});

Deno.test("encodeStun() produces the RFC 5769 header and XOR-MAPPED-ADDRESS bytes", () => {
  for (
    const [hex, hostname] of [[IPV4_RESPONSE, "192.0.2.1"], [
      IPV6_RESPONSE,
      "2001:db8:1234:5678:11:2233:4455:6677",
    ]] as const
  ) {
    const b = toHex(encodeStun({
      class: "success",
      method: 1,
      transactionId: fromHex(TID),
      attributes: [{ type: "software", text: "test vector" }, {
        type: "xorMappedAddress",
        addr: { hostname, port: 32853 },
      }],
    }));
    assert.equal(b.slice(0, 4), "0101");
    assert.equal(b.slice(8, 40), hex.slice(8, 40));
    // SOFTWARE header and text (the RFC pads with a space, we pad with zero).
    assert.equal(b.slice(40, 70), hex.slice(40, 70));
    const xorLen = hostname.includes(":") ? 24 : 12;
    assert.equal(b.slice(72, 72 + 2 * xorLen), hex.slice(72, 72 + 2 * xorLen));
  }
});

Deno.test("encodeStun() appends a FINGERPRINT that decodeStun() accepts", () => {
  const b = encodeStun({
    class: "request",
    method: 1,
    transactionId: fromHex(TID),
    attributes: [],
    fingerprint: true,
  });
  assert.equal(toHex(b.subarray(0, 4)), "00010008");
  assert.equal(toHex(b.subarray(20, 24)), "80280004");
  const want = (crc32(b.subarray(0, 20)) ^ 0x5354554e) >>> 0;
  assert.equal(new DataView(b.buffer).getUint32(24), want);
  assert.equal(decodeStun(b).fingerprint, true);
});

Deno.test("messageType() places class bits between method bits", () => {
  assert.equal(messageType(1, "request"), 0x0001);
  assert.equal(messageType(1, "indication"), 0x0011);
  assert.equal(messageType(1, "success"), 0x0101);
  assert.equal(messageType(1, "error"), 0x0111);
  assert.equal(messageType(0xfff, "error"), 0x3fff);
});

Deno.test("decodeStun() rejects a bad fingerprint, a missing cookie and trailing bytes", () => {
  const b = fromHex(IPV4_RESPONSE);
  b[b.length - 1]! ^= 1;
  assert.throws(() => decodeStun(b), (e) => e instanceof WireError && e.code === "BAD_VALUE");
  const noCookie = fromHex(IPV4_RESPONSE);
  noCookie[4] = 0;
  assert.throws(() => decodeStun(noCookie), (e) => e instanceof WireError);
  const extra = fromHex(IPV4_RESPONSE + "00000000");
  assert.throws(() => decodeStun(extra), (e) => e instanceof WireError && e.code === "BAD_LENGTH");
});

Deno.test("decodeStun({ legacy }) reads an RFC 3489 request with a 16-byte id", () => {
  // As sent by the `stun` 0.97 client: Binding request with CHANGE-REQUEST(change port).
  const hex = "0001000802cf856d74659c501dcc9b2a633502410003000400000002";
  assert.throws(() => decodeStun(fromHex(hex)), WireError);
  const m = decodeStun(fromHex(hex), { legacy: true });
  assert.equal(m.transactionId.length, 16);
  assert.deepEqual(m.attributes, [{ type: "changeRequest", changeIp: false, changePort: true }]);
  assert.equal(toHex(encodeStun(m)), hex);
});

const ipv4 = fc.uint8Array({ minLength: 4, maxLength: 4 }).map(formatIp);
const ipv6 = fc.uint8Array({ minLength: 16, maxLength: 16 }).map(formatIp);
const addr = fc.record({
  hostname: fc.oneof(ipv4, ipv6),
  port: fc.integer({ min: 0, max: 65535 }),
});
const attribute: fc.Arbitrary<StunAttribute> = fc.oneof(
  fc.record({
    type: fc.constantFrom(
      "xorMappedAddress",
      "mappedAddress",
      "responseOrigin",
      "otherAddress",
      "sourceAddress",
      "changedAddress",
    ),
    addr,
  }),
  fc.record({
    type: fc.constant("changeRequest"),
    changeIp: fc.boolean(),
    changePort: fc.boolean(),
  }),
  fc.record({ type: fc.constant("software"), text: fc.string({ maxLength: 40 }) }),
  fc.record({
    type: fc.constant("errorCode"),
    code: fc.integer({ min: 300, max: 699 }),
    reason: fc.string({ maxLength: 40 }),
  }),
  fc.record({
    type: fc.constant("unknownAttributes"),
    codes: fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 5 }),
  }),
) as fc.Arbitrary<StunAttribute>;
const message: fc.Arbitrary<StunMessage> = fc.record({
  class: fc.constantFrom("request", "indication", "success", "error"),
  method: fc.integer({ min: 0, max: 0xfff }),
  transactionId: fc.uint8Array({ minLength: 12, maxLength: 12 }),
  attributes: fc.array(attribute, { maxLength: 6 }),
  fingerprint: fc.boolean(),
}).map((m) => {
  const { fingerprint, ...rest } = m;
  return fingerprint ? { ...rest, fingerprint } : rest;
});

Deno.test("decodeStun(encodeStun(m)) round-trips and encodedLength() is exact", () => {
  fc.assert(
    fc.property(message, (m) => {
      const b = encodeStun(m);
      assert.equal(encodedLength(m), b.length);
      assert.deepEqual(decodeStun(b), structuredClone(m));
      assert.ok(isStunPacket(b));
    }),
    { numRuns: 300 },
  );
});

Deno.test("truncated and bit-flipped STUN messages raise only WireError", () => {
  const onlyWireError = (b: Uint8Array) => {
    try {
      decodeStun(b);
      decodeStun(b, { legacy: true });
    } catch (e) {
      if (!(e instanceof WireError)) throw e;
    }
    isStunPacket(b);
    isStunPacket(b, { legacy: true });
  };
  const samples = [SAMPLE_REQUEST, IPV4_RESPONSE, IPV6_RESPONSE].map(fromHex);
  fc.sample(message, { numRuns: 40, seed: 7 }).forEach((m) => samples.push(encodeStun(m)));
  for (const s of samples) {
    for (let n = 0; n < s.length; n++) onlyWireError(s.subarray(0, n));
    for (let bit = 0; bit < s.length * 8; bit++) {
      const f = s.slice();
      f[bit >> 3]! ^= 1 << (bit & 7);
      onlyWireError(f);
    }
  }
  fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (b) => onlyWireError(b)), {
    numRuns: 500,
  });
});

Deno.test("isStunPacket() rejects a bad FINGERPRINT, a missing cookie and a wrong length", () => {
  const good = fromHex(IPV4_RESPONSE);
  assert.ok(isStunPacket(good));
  const badFp = good.slice();
  badFp[badFp.length - 2]! ^= 0x40;
  assert.equal(isStunPacket(badFp), false);
  const noCookie = good.slice();
  noCookie[5] = 0;
  assert.equal(isStunPacket(noCookie), false);
  assert.equal(isStunPacket(good.subarray(0, good.length - 4)), false);
  const notLast = concat(good, fromHex("80220000"));
  notLast[3]! += 4;
  assert.equal(isStunPacket(notLast), false);
});
