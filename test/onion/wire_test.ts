import assert from "node:assert/strict";
import fc from "fast-check";
import { fromHex, toHex } from "../../lib/util/bytes.ts";
import { WireError } from "../../lib/util/wire_error.ts";
import {
  decodeAnnouncePlain,
  decodeAnnounceReply,
  decodeOnion,
  decodeOnionIpPort,
  encodeAnnouncePlain,
  encodeAnnounceReply,
  encodeOnion,
  encodeOnionIpPort,
  ONION_RETURN_1,
  ONION_RETURN_2,
  ONION_RETURN_3,
  onionEncodedLength,
  type OnionPacket,
  splitReturn3,
} from "../../lib/onion/mod.ts";

const rep = (byte: string, n: number) => byte.repeat(n);
const fill = (v: number, n: number) => new Uint8Array(n).fill(v);

Deno.test("encodeOnionIpPort() golden: IPv4 padded to 16 bytes, port big-endian", () => {
  const v4 = encodeOnionIpPort({ type: "udp", addr: { hostname: "127.0.0.1", port: 33445 } });
  assert.equal(toHex(v4), "02" + "7f000001" + rep("00", 12) + "82a5");
  const v6 = encodeOnionIpPort({ type: "udp", addr: { hostname: "::1", port: 1 } });
  assert.equal(toHex(v6), "0a" + rep("00", 15) + "01" + "0001");
  const mapped = encodeOnionIpPort({ type: "udp", addr: { hostname: "::ffff:10.0.0.1", port: 2 } });
  assert.equal(toHex(mapped), "02" + "0a000001" + rep("00", 12) + "0002");
  const tcp = encodeOnionIpPort({ type: "tcp_client", client: 0x01020304 });
  assert.equal(toHex(tcp), "0b" + "01020304" + rep("00", 12) + "0000");
});

Deno.test("decodeOnionIpPort() accepts TCP clients only when asked and ignores IPv4 padding", () => {
  const tcp = encodeOnionIpPort({ type: "tcp_client", client: 7 });
  assert.deepEqual(decodeOnionIpPort(tcp, 0, true), { type: "tcp_client", client: 7 });
  assert.throws(() => decodeOnionIpPort(tcp, 0, false), WireError);
  const padded = fromHex("02" + "7f000001" + rep("ff", 12) + "0050");
  assert.deepEqual(decodeOnionIpPort(padded, 0, false), {
    type: "udp",
    addr: { hostname: "127.0.0.1", port: 80 },
  });
  assert.throws(() => decodeOnionIpPort(fromHex("82" + rep("00", 18)), 0, true), WireError);
  assert.throws(() => decodeOnionIpPort(new Uint8Array(18), 0, true), WireError);
});

Deno.test("encodeOnion() golden envelopes", () => {
  const resp = encodeOnion({
    type: "onion_response",
    hop: 1,
    ret: fill(0xaa, 59),
    payload: fromHex("8401"),
  });
  assert.equal(toHex(resp), "8e" + rep("aa", 59) + "8401");
  const ann = encodeOnion({
    type: "announce_request",
    nonce: fill(0x11, 24),
    senderPublicKey: fill(0x22, 32),
    encrypted: fill(0x33, 120),
  });
  assert.equal(toHex(ann), "83" + rep("11", 24) + rep("22", 32) + rep("33", 120));
  const req = encodeOnion({
    type: "onion_request",
    hop: 2,
    nonce: fill(1, 24),
    publicKey: fill(2, 32),
    encrypted: fill(3, 100),
    ret: fill(4, 118),
  });
  assert.equal(toHex(req), "82" + rep("01", 24) + rep("02", 32) + rep("03", 100) + rep("04", 118));
  const data = encodeOnion({
    type: "data_request",
    destPublicKey: fill(5, 32),
    nonce: fill(6, 24),
    ephemeralPublicKey: fill(7, 32),
    encrypted: fill(8, 17),
  });
  assert.equal(toHex(data), "85" + rep("05", 32) + rep("06", 24) + rep("07", 32) + rep("08", 17));
});

Deno.test("onion sizes match c-toxcore (onion.h): RETURN_1/2/3 = 59/118/177", () => {
  assert.deepEqual([ONION_RETURN_1, ONION_RETURN_2, ONION_RETURN_3], [59, 118, 177]);
});

Deno.test("decodeOnion() enforces c-toxcore's length rules", () => {
  const tooBig = new Uint8Array(1401);
  tooBig[0] = 0x80;
  assert.throws(() => decodeOnion(tooBig), (e) => e instanceof WireError && e.code === "TOO_LARGE");
  // 0x80 must be longer than 1 + SEND_1 (226); 0x81 than 218; 0x82 than 210.
  for (const [kind, min] of [[0x80, 227], [0x81, 219], [0x82, 211]] as const) {
    const ok = new Uint8Array(min);
    ok[0] = kind;
    assert.equal(decodeOnion(ok).type, "onion_request");
    assert.throws(() => decodeOnion(ok.subarray(0, min - 1)), WireError);
  }
  const r = new Uint8Array(1 + 177 + 1);
  r[0] = 0x8c;
  r[178] = 0x85;
  assert.throws(() => decodeOnion(r), (e) => e instanceof WireError && e.code === "BAD_TYPE");
  r[178] = 0x86;
  assert.equal(decodeOnion(r).type, "onion_response");
  assert.throws(() => decodeOnion(new Uint8Array([0x83, ...new Uint8Array(177)])), WireError);
  assert.throws(() => decodeOnion(new Uint8Array([0x77])), WireError);
  assert.throws(() => decodeOnion(new Uint8Array()), WireError);
  assert.throws(() => splitReturn3(new Uint8Array(177)), WireError);
});

const bytes = (min: number, max: number) => fc.uint8Array({ minLength: min, maxLength: max });
const arbPacket: fc.Arbitrary<OnionPacket> = fc.oneof(
  fc.constantFrom(0, 1, 2).chain((hop) =>
    fc.record({
      type: fc.constant("onion_request" as const),
      hop: fc.constant(hop as 0 | 1 | 2),
      nonce: bytes(24, 24),
      publicKey: bytes(32, 32),
      encrypted: bytes(170, 600),
      ret: bytes([0, 59, 118][hop]!, [0, 59, 118][hop]!),
    })
  ),
  fc.constantFrom(1, 2, 3).chain((hop) =>
    fc.record({
      type: fc.constant("onion_response" as const),
      hop: fc.constant(hop as 1 | 2 | 3),
      ret: bytes([0, 59, 118, 177][hop]!, [0, 59, 118, 177][hop]!),
      payload: fc.tuple(fc.constantFrom(0x84, 0x86), bytes(0, 300)).map(([k, b]) =>
        new Uint8Array([k, ...b])
      ),
    })
  ),
  fc.record({
    type: fc.constant("announce_request" as const),
    nonce: bytes(24, 24),
    senderPublicKey: bytes(32, 32),
    encrypted: bytes(120, 120),
  }),
  fc.record({
    type: fc.constant("announce_response" as const),
    sendback: bytes(8, 8),
    nonce: bytes(24, 24),
    encrypted: bytes(49, 253),
  }),
  fc.record({
    type: fc.constant("data_request" as const),
    destPublicKey: bytes(32, 32),
    nonce: bytes(24, 24),
    ephemeralPublicKey: bytes(32, 32),
    encrypted: bytes(17, 500),
  }),
  fc.record({
    type: fc.constant("data_response" as const),
    nonce: bytes(24, 24),
    ephemeralPublicKey: bytes(32, 32),
    encrypted: bytes(17, 500),
  }),
);

Deno.test("encodeOnion()/decodeOnion() round trip and onionEncodedLength() agree", () => {
  fc.assert(
    fc.property(arbPacket, (p) => {
      const b = encodeOnion(p);
      assert.equal(b.length, onionEncodedLength(p));
      assert.deepEqual(decodeOnion(b), structuredClone(p));
    }),
    { numRuns: 300 },
  );
});

Deno.test("decodeOnion() on truncated or bit-flipped packets throws only WireError", () => {
  fc.assert(
    fc.property(
      arbPacket,
      fc.nat(),
      fc.nat(),
      fc.integer({ min: 0, max: 7 }),
      (p, cut, at, bit) => {
        const b = encodeOnion(p);
        const mutated = b.slice(0, cut % (b.length + 1));
        if (mutated.length > 0) mutated[at % mutated.length]! ^= 1 << bit;
        for (const input of [mutated, b.subarray(0, cut % (b.length + 1))]) {
          try {
            decodeOnion(input);
          } catch (e) {
            assert.ok(e instanceof WireError, `unexpected ${e}`);
          }
        }
      },
    ),
    { numRuns: 500 },
  );
});

const arbPlain = fc.record({
  pingId: bytes(32, 32),
  searchedPublicKey: bytes(32, 32),
  dataPublicKey: bytes(32, 32),
  sendback: bytes(8, 8),
});
const arbNode = fc.record({
  publicKey: bytes(32, 32),
  addr: fc.record({
    hostname: fc.oneof(fc.ipV4(), fc.constant("2001:db8::1")),
    port: fc.integer({ min: 0, max: 65535 }),
  }),
});
const arbReply = fc.oneof(
  fc.record({
    isStored: fc.constantFrom(0 as const, 2 as const),
    pingId: bytes(32, 32),
    nodes: fc.array(arbNode, { maxLength: 4 }),
  }),
  fc.record({
    isStored: fc.constant(1 as const),
    dataPublicKey: bytes(32, 32),
    nodes: fc.array(arbNode, { maxLength: 4 }),
  }),
);

Deno.test("announce plaintexts round trip", () => {
  fc.assert(
    fc.property(
      arbPlain,
      (p) => assert.deepEqual(decodeAnnouncePlain(encodeAnnouncePlain(p)), structuredClone(p)),
    ),
  );
  fc.assert(
    fc.property(
      arbReply,
      (r) => assert.deepEqual(decodeAnnounceReply(encodeAnnounceReply(r)), structuredClone(r)),
    ),
  );
});

Deno.test("announce plaintext decoders throw only WireError on damaged input", () => {
  fc.assert(
    fc.property(arbReply, fc.nat(), fc.nat(), (r, cut, at) => {
      const b = encodeAnnounceReply(r);
      const m = b.slice(0, cut % (b.length + 1));
      if (m.length > 0) m[at % m.length]! ^= 0xff;
      try {
        decodeAnnounceReply(m);
      } catch (e) {
        assert.ok(e instanceof WireError, `unexpected ${e}`);
      }
    }),
    { numRuns: 500 },
  );
  const bad = new Uint8Array(33);
  bad[0] = 3;
  assert.throws(
    () => decodeAnnounceReply(bad),
    (e) => e instanceof WireError && e.code === "BAD_VALUE",
  );
  assert.throws(() => decodeAnnouncePlain(new Uint8Array(103)), WireError);
});
