import assert from "node:assert/strict";
import fc from "fast-check";
import nacl from "tweetnacl";
import { fromHex, toHex } from "../../lib/util/bytes.ts";
import { WireError } from "../../lib/util/wire_error.ts";
import {
  decodeSessionPacket,
  encodedLength,
  encodeSessionPacket,
  type SessionPacket,
} from "../../lib/session/wire.ts";
import {
  decodeCookiePlain,
  decodeCookieRequestPlain,
  decodeDataPlain,
  decodeHandshakePlain,
  encodeCookieRequestPlain,
  encodeDataPlain,
  paddingLength,
} from "../../lib/session/plain.ts";
import { encodeRequest, walkRequest } from "../../lib/session/request.ts";
import { tweetnaclBackend as crypto } from "../../lib/crypto/backend.ts";
import { sha512 } from "../../lib/crypto/hash.ts";
import { CookieJar } from "../../lib/session/cookie.ts";
import { buildHandshake } from "../../lib/session/handshake.ts";

const hex = (b: number, n: number) => b.toString(16).padStart(2, "0").repeat(n);

Deno.test("cookie request: golden bytes follow the §6.1 layout (145 bytes)", () => {
  // Keys, nonce and echo id are fixed bytes; the box is NaCl's, computed independently here.
  const sender = nacl.box.keyPair.fromSecretKey(new Uint8Array(32).fill(1));
  const receiver = nacl.box.keyPair.fromSecretKey(new Uint8Array(32).fill(2));
  const real = new Uint8Array(32).fill(0xaa);
  const echo = fromHex("0102030405060708");
  const nonce = new Uint8Array(24).fill(0x11);
  const plainHex = hex(0xaa, 32) + hex(0, 32) + "0102030405060708";
  assert.equal(toHex(encodeCookieRequestPlain({ realPublicKey: real, echoId: echo })), plainHex);
  const box = nacl.box(fromHex(plainHex), nonce, receiver.publicKey, sender.secretKey);
  const bytes = encodeSessionPacket({
    type: "cookieRequest",
    dhtPublicKey: sender.publicKey,
    nonce,
    box,
  });
  assert.equal(toHex(bytes), "18" + toHex(sender.publicKey) + hex(0x11, 24) + toHex(box));
  assert.equal(bytes.length, 145);
  const opened = nacl.box.open(
    bytes.subarray(57),
    bytes.subarray(33, 57),
    sender.publicKey,
    receiver.secretKey,
  );
  assert.ok(opened);
  assert.deepEqual(decodeCookieRequestPlain(opened).echoId, echo);
});

Deno.test("data packet: golden header and padding follow §6.6", () => {
  const pkt = encodeSessionPacket({ type: "data", nonceLow: 0xbeef, box: new Uint8Array(25) });
  assert.equal(toHex(pkt.subarray(0, 3)), "1bbeef");
  // plaintext: buffer_start 1, packet number 0x01020304, (1373-1)%8 = 4 zero bytes, payload
  assert.equal(
    toHex(
      encodeDataPlain({ bufferStart: 1, packetNumber: 0x01020304, payload: new Uint8Array([16]) }),
    ),
    "00000001" + "01020304" + "00000000" + "10",
  );
  assert.equal(paddingLength(1373), 0);
  assert.equal(paddingLength(1372), 1);
  assert.equal(paddingLength(1366), 7);
  assert.equal(paddingLength(1365), 0);
});

Deno.test("packet request: the §6.7 example (missing 3, 6, 1024 from 1) is 01 03 03 00 00 00 FD", () => {
  const missing = new Set([3, 6, 1024]);
  const b = encodeRequest(1, 1025, (n) => !missing.has(n));
  assert.equal(toHex(b), "01030300000" + "0fd");
  const requested: number[] = [];
  const acked: number[] = [];
  assert.ok(walkRequest(b.subarray(1), 1, 1025, (n, r) => (r ? requested : acked).push(n)));
  assert.deepEqual(requested, [3, 6, 1024]);
  assert.equal(acked.length, 1024 - 1 - 2); // everything before the last byte, minus requests
});

Deno.test("packet request: walk finds exactly the missing numbers (property, wraps u32)", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 0xffffffff }),
      fc.integer({ min: 0, max: 3000 }),
      fc.array(fc.integer({ min: 0, max: 2999 }), { maxLength: 60 }),
      (start, span, holes) => {
        const miss = new Set(holes.filter((h) => h < span).map((h) => (start + h) >>> 0));
        const end = (start + span) >>> 0;
        const b = encodeRequest(start, end, (n) => !miss.has(n));
        const got = new Set<number>();
        assert.ok(walkRequest(b.subarray(1), start, end, (n, r) => r && got.add(n)));
        assert.deepEqual([...got].sort(), [...miss].sort());
      },
    ),
    { numRuns: 200 },
  );
});

const bytesN = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
const packet: fc.Arbitrary<SessionPacket> = fc.oneof(
  fc.record({
    type: fc.constant("cookieRequest" as const),
    dhtPublicKey: bytesN(32),
    nonce: bytesN(24),
    box: bytesN(88),
  }),
  fc.record({ type: fc.constant("cookieResponse" as const), nonce: bytesN(24), box: bytesN(136) }),
  fc.record({
    type: fc.constant("handshake" as const),
    cookie: bytesN(112),
    nonce: bytesN(24),
    box: bytesN(248),
  }),
  fc.record({
    type: fc.constant("data" as const),
    nonceLow: fc.integer({ min: 0, max: 0xffff }),
    box: fc.uint8Array({ minLength: 25, maxLength: 1397 }),
  }),
);

Deno.test("session packets round-trip and encodedLength matches", () => {
  fc.assert(
    fc.property(packet, (p) => {
      const b = encodeSessionPacket(p);
      assert.equal(b.length, encodedLength(p));
      assert.deepEqual(decodeSessionPacket(b), { ...p });
    }),
    { numRuns: 300 },
  );
});

Deno.test("data plaintext round-trips for every payload size", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 0xffffffff }),
      fc.integer({ min: 0, max: 0xffffffff }),
      fc.integer({ min: 1, max: 255 }),
      fc.uint8Array({ maxLength: 1372 }),
      (bufferStart, packetNumber, id, rest) => {
        const payload = new Uint8Array([id, ...rest]);
        const b = encodeDataPlain({ bufferStart, packetNumber, payload });
        assert.equal(b.length, 8 + paddingLength(payload.length) + payload.length);
        assert.ok(b.length + 16 + 3 <= 1400);
        const d = decodeDataPlain(b);
        assert.deepEqual([d.bufferStart, d.packetNumber, toHex(d.payload)], [
          bufferStart,
          packetNumber,
          toHex(payload),
        ]);
      },
    ),
    { numRuns: 200 },
  );
});

function onlyWireError(f: () => unknown): void {
  try {
    f();
  } catch (e) {
    if (!(e instanceof WireError)) throw e;
  }
}

Deno.test("decoders: truncation and bit flips raise only WireError", () => {
  fc.assert(
    fc.property(packet, fc.nat(), fc.nat(), (p, cut, flip) => {
      const b = encodeSessionPacket(p);
      onlyWireError(() => decodeSessionPacket(b.subarray(0, cut % (b.length + 1))));
      const f = b.slice();
      f[flip % f.length]! ^= 1 << (flip % 8);
      onlyWireError(() => decodeSessionPacket(f));
    }),
    { numRuns: 500 },
  );
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
      onlyWireError(() => decodeSessionPacket(b));
      onlyWireError(() => decodeDataPlain(b));
      onlyWireError(() => decodeCookiePlain(b));
      onlyWireError(() => decodeCookieRequestPlain(b));
      onlyWireError(() => decodeHandshakePlain(b));
    }),
    { numRuns: 500 },
  );
});

Deno.test("decodeSessionPacket() enforces c-toxcore's exact sizes", () => {
  const codes = (b: Uint8Array) => {
    try {
      decodeSessionPacket(b);
      return "ok";
    } catch (e) {
      return (e as WireError).code;
    }
  };
  assert.equal(codes(new Uint8Array(146).fill(0x18)), "BAD_LENGTH");
  assert.equal(codes(new Uint8Array(160).fill(0x19)), "TRUNCATED");
  assert.equal(codes(new Uint8Array(28).fill(0x1b)), "ok");
  assert.equal(codes(new Uint8Array(27).fill(0x1b)), "TRUNCATED");
  assert.equal(codes(new Uint8Array(1401).fill(0x1b)), "TOO_LARGE");
  assert.equal(codes(new Uint8Array([0x20])), "BAD_TYPE");
  assert.equal(codes(new Uint8Array(0)), "TRUNCATED");
});

Deno.test("decodeDataPlain() rejects a plaintext of padding only", () => {
  assert.throws(
    () => decodeDataPlain(new Uint8Array(20)),
    (e) => e instanceof WireError && e.code === "BAD_VALUE",
  );
});

Deno.test("handshake: bytes follow the §6.4 layout, checked with NaCl directly", () => {
  const a = nacl.box.keyPair.fromSecretKey(new Uint8Array(32).fill(3));
  const b = nacl.box.keyPair.fromSecretKey(new Uint8Array(32).fill(4));
  const peerCookie = new Uint8Array(112).fill(0x5c);
  const base = new Uint8Array(24).fill(0x42);
  const sessionPk = new Uint8Array(32).fill(0x77);
  const hs = buildHandshake({
    crypto,
    random: (n) => new Uint8Array(n).fill(0x24),
    jar: new CookieJar({
      crypto,
      key: new Uint8Array(32).fill(9),
      random: (n) => new Uint8Array(n).fill(1),
    }),
    self: a,
    peerReal: b.publicKey,
    peerDht: new Uint8Array(32).fill(0xdd),
    peerCookie,
    baseNonce: base,
    sessionPublicKey: sessionPk,
    now: 0,
  });
  assert.equal(hs.length, 385);
  assert.equal(hs[0], 0x1a);
  assert.equal(toHex(hs.subarray(1, 113)), toHex(peerCookie));
  assert.equal(toHex(hs.subarray(113, 137)), hex(0x24, 24));
  const plain = nacl.box.open(hs.subarray(137), hs.subarray(113, 137), a.publicKey, b.secretKey);
  assert.ok(plain && plain.length === 232);
  assert.equal(toHex(plain.subarray(0, 24)), toHex(base));
  assert.equal(toHex(plain.subarray(24, 56)), toHex(sessionPk));
  assert.equal(toHex(plain.subarray(56, 120)), toHex(sha512(peerCookie)));
  // The other cookie: [nonce 24][secretbox(key, nonce, [time 8][b real pk][b dht pk])]
  const other = plain.subarray(120);
  const inner = nacl.secretbox.open(
    other.subarray(24),
    other.subarray(0, 24),
    new Uint8Array(32).fill(9),
  );
  assert.ok(inner && inner.length === 72);
  assert.equal(toHex(inner.subarray(8, 40)), toHex(b.publicKey));
  assert.equal(toHex(inner.subarray(40)), hex(0xdd, 32));
});
