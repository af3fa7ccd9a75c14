import assert from "node:assert/strict";
import fc from "fast-check";
import { tweetnaclBackend as nacl } from "../../lib/crypto/backend.ts";
import { fromHex, toHex } from "../../lib/util/bytes.ts";
import { WireError } from "../../lib/util/wire_error.ts";
import {
  decodeDhtPacket,
  decodeDhtPlain,
  decodeLanDiscovery,
  decodeNatPing,
  decodeRoutedPacket,
  type DhtMessage,
  encodeDhtPlain,
  encodedLength,
  encodeLanDiscovery,
  encodeNatPing,
  isDhtKind,
  openDhtPacket,
  openRoutedPacket,
  sealDhtPacket,
  sealRoutedPacket,
} from "../../lib/dht/wire.ts";
import type { NodeInfo } from "../../lib/dht/packed_node.ts";

// Keys of the capture: a tox-bootstrapd 0.2.18 with secret key 0x11×32 answered requests
// from a client with secret key 0x33×32 (nonce 0x44×24, ping id 01..08). A second daemon
// (secret key 0x22×32, UDP port 37469) had bootstrapped from it.
const daemon = nacl.keyPairFromSecretKey(new Uint8Array(32).fill(0x11));
const client = nacl.keyPairFromSecretKey(new Uint8Array(32).fill(0x33));
const second = nacl.keyPairFromSecretKey(new Uint8Array(32).fill(0x22));
const key = nacl.sharedKey(daemon.publicKey, client.secretKey);
const nonce = new Uint8Array(24).fill(0x44);
const pingId = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]);

const PING_REQUEST_HEX = "007b0d47d93427f8311160781c7c733fd89f88970aef490d8aa0ee19a4cb8a1b14" +
  "444444444444444444444444444444444444444444444444b179c521d88a7ab1f1eccfebbb68ebeffa619816" +
  "5450186273";
const NODES_REQUEST_HEX = "027b0d47d93427f8311160781c7c733fd89f88970aef490d8aa0ee19a4cb8a1b14" +
  "444444444444444444444444444444444444444444444444c515730d3a03218e11004c131a5ee7aaf5caf25b" +
  "82dd79dc0486bbf8a1b84672c65d5083a379ccbf508929bd914c5c71cfcc873f41d6ff88";
// Captured from tox-bootstrapd 0.2.18 on 127.0.0.1.
const DAEMON_PING_RESPONSE_HEX = "017b4e909bbe7ffe44c465a220037d608ee35897d31ef972f07f74892cb0f7" +
  "3f137677f460c017afd213efd2a46bd916ff17e8e55b161335a82b2027fee06b3ca8550c6569ffdcd9ff528893" +
  "3ed369fe7968";
const DAEMON_NODES_RESPONSE_HEX = "047b4e909bbe7ffe44c465a220037d608ee35897d31ef972f07f74892cb0f" +
  "73f133acd491f0d2a8c0d98629a6296f8c661ef6697f9f0475ccc83b38cd4a17aaa3e23fe406e13dd3f60cb9aa" +
  "c89c0b08c19e0c306ff468d59d6675a07ccf3bf854b0660ebb8ff12893c64dc47dcb7347e967ee96ca28ca9415d";

Deno.test("sealDhtPacket() matches the ping request tox-bootstrapd answered", () => {
  const bytes = sealDhtPacket({ type: "pingRequest", pingId }, client.publicKey, key, nonce);
  assert.equal(toHex(bytes), PING_REQUEST_HEX);
  assert.equal(bytes.length, 82);
});

Deno.test("sealDhtPacket() matches the nodes request tox-bootstrapd answered", () => {
  const m: DhtMessage = { type: "nodesRequest", target: second.publicKey, pingId };
  const bytes = sealDhtPacket(m, client.publicKey, key, nonce);
  assert.equal(toHex(bytes), NODES_REQUEST_HEX);
  assert.equal(bytes.length, 113);
});

Deno.test("openDhtPacket() reads a ping response captured from tox-bootstrapd", () => {
  const r = openDhtPacket(fromHex(DAEMON_PING_RESPONSE_HEX), () => key);
  assert.ok(r);
  assert.deepEqual(r.senderPublicKey, daemon.publicKey);
  assert.deepEqual(r.message, { type: "pingResponse", pingId });
});

Deno.test("openDhtPacket() reads a nodes response captured from tox-bootstrapd", () => {
  const r = openDhtPacket(fromHex(DAEMON_NODES_RESPONSE_HEX), () => key);
  assert.ok(r && r.message.type === "nodesResponse");
  assert.deepEqual(r.message.pingId, pingId);
  assert.equal(r.message.nodes.length, 1);
  assert.deepEqual(r.message.nodes[0]!.publicKey, second.publicKey);
  assert.deepEqual(r.message.nodes[0]!.addr, { hostname: "127.0.0.1", port: 37469 });
  assert.equal(fromHex(DAEMON_NODES_RESPONSE_HEX).length, 82 + 39);
});

Deno.test("openDhtPacket() returns null when the MAC does not verify", () => {
  const bytes = fromHex(DAEMON_PING_RESPONSE_HEX);
  bytes[70]! ^= 1;
  assert.equal(openDhtPacket(bytes, () => key), null);
});

Deno.test("encodeDhtPlain() lays out a nodes response with IPv4 and IPv6 nodes", () => {
  const nodes: NodeInfo[] = [
    { publicKey: new Uint8Array(32).fill(0xaa), addr: { hostname: "1.2.3.4", port: 0x1234 } },
    { publicKey: new Uint8Array(32).fill(0xbb), addr: { hostname: "2001:db8::1", port: 33445 } },
  ];
  const plain = encodeDhtPlain({ type: "nodesResponse", nodes, pingId });
  const hex = "02" + "0201020304" + "1234" + "aa".repeat(32) +
    "0a20010db8000000000000000000000001" + "82a5" + "bb".repeat(32) + "0102030405060708";
  assert.equal(toHex(plain), hex);
  assert.deepEqual(decodeDhtPlain(0x04, plain), { type: "nodesResponse", nodes, pingId });
});

Deno.test("encodeDhtPlain() lays out ping and nodes request plaintexts", () => {
  assert.equal(
    toHex(encodeDhtPlain({ type: "pingRequest", pingId })),
    "000102030405060708",
  );
  assert.equal(
    toHex(encodeDhtPlain({ type: "pingResponse", pingId })),
    "010102030405060708",
  );
  const t = new Uint8Array(32).fill(9);
  assert.equal(
    toHex(encodeDhtPlain({ type: "nodesRequest", target: t, pingId })),
    "09".repeat(32) + "0102030405060708",
  );
});

Deno.test("decodeDhtPlain() rejects a ping whose inner type differs from the kind", () => {
  assert.throws(() => decodeDhtPlain(0x00, fromHex("010102030405060708")), WireError);
});

Deno.test("decodeDhtPlain() rejects more than 4 nodes, TCP families and trailing bytes", () => {
  assert.throws(() => decodeDhtPlain(0x04, fromHex("05" + "00".repeat(8))), WireError);
  const tcp = "01" + "8201020304" + "1234" + "aa".repeat(32) + "00".repeat(8);
  assert.throws(() => decodeDhtPlain(0x04, fromHex(tcp)), WireError);
  const extra = "01" + "0201020304" + "1234" + "aa".repeat(32) + "ff" + "00".repeat(8);
  assert.throws(() => decodeDhtPlain(0x04, fromHex(extra)), WireError);
  const short = "02" + "0201020304" + "1234" + "aa".repeat(32) + "00".repeat(8);
  assert.throws(() => decodeDhtPlain(0x04, fromHex(short)), WireError);
});

Deno.test("decodeDhtPacket() enforces c-toxcore's exact lengths", () => {
  const withKind = (k: number, n: number) => {
    const b = new Uint8Array(n);
    b[0] = k;
    return b;
  };
  assert.throws(() => decodeDhtPacket(withKind(0, 81)), WireError);
  assert.throws(() => decodeDhtPacket(withKind(1, 83)), WireError);
  assert.throws(() => decodeDhtPacket(withKind(2, 112)), WireError);
  assert.throws(() => decodeDhtPacket(withKind(4, 81)), WireError);
  assert.throws(() => decodeDhtPacket(withKind(4, 287)), WireError);
  assert.throws(() => decodeDhtPacket(withKind(3, 82)), WireError);
  assert.throws(() => decodeDhtPacket(new Uint8Array()), WireError);
  assert.equal(decodeDhtPacket(withKind(4, 286)).box.length, 286 - 57);
});

const bytesArb = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
const nodeArb: fc.Arbitrary<NodeInfo> = fc.record({
  publicKey: bytesArb(32),
  addr: fc.record({
    hostname: fc.oneof(fc.ipV4(), fc.constant("2001:db8::7"), fc.constant("::1")),
    port: fc.integer({ min: 0, max: 65535 }),
  }),
});
const messageArb: fc.Arbitrary<DhtMessage> = fc.oneof(
  fc.record({ type: fc.constant("pingRequest" as const), pingId: bytesArb(8) }),
  fc.record({ type: fc.constant("pingResponse" as const), pingId: bytesArb(8) }),
  fc.record({
    type: fc.constant("nodesRequest" as const),
    target: bytesArb(32),
    pingId: bytesArb(8),
  }),
  fc.record({
    type: fc.constant("nodesResponse" as const),
    nodes: fc.array(nodeArb, { maxLength: 4 }),
    pingId: bytesArb(8),
  }),
);

// fast-check builds null-prototype records; compare plain copies.
function normalise(m: DhtMessage): DhtMessage {
  if (m.type !== "nodesResponse") return { ...m };
  return { ...m, nodes: m.nodes.map((n) => ({ ...n, addr: { ...n.addr } })) };
}

Deno.test("DHT messages survive seal and open (property)", () => {
  fc.assert(
    fc.property(messageArb, bytesArb(24), (m, n) => {
      const bytes = sealDhtPacket(m, client.publicKey, key, n);
      assert.equal(bytes.length, encodedLength(m));
      const r = openDhtPacket(bytes, () => key);
      assert.deepEqual(r?.message, normalise(m));
      assert.deepEqual(r?.senderPublicKey, client.publicKey);
    }),
    { numRuns: 200 },
  );
});

Deno.test("truncated and bit-flipped DHT packets raise only WireError or return null", () => {
  fc.assert(
    fc.property(
      messageArb,
      fc.nat(),
      fc.nat(),
      fc.integer({ min: 0, max: 7 }),
      (m, cut, at, bit) => {
        const bytes = sealDhtPacket(m, client.publicKey, key, nonce);
        const variants = [bytes.slice(0, cut % bytes.length), bytes.slice()];
        variants[1]![at % bytes.length]! ^= 1 << bit;
        for (const v of variants) {
          try {
            openDhtPacket(v, () => key);
          } catch (e) {
            assert.ok(e instanceof WireError, String(e));
          }
        }
      },
    ),
    { numRuns: 300 },
  );
});

Deno.test("decodeDhtPlain() on random plaintexts raises only WireError", () => {
  fc.assert(
    fc.property(fc.constantFrom(0, 1, 2, 4, 3, 0x20), fc.uint8Array({ maxLength: 300 }), (k, p) => {
      try {
        decodeDhtPlain(k, p);
      } catch (e) {
        assert.ok(e instanceof WireError, String(e));
      }
    }),
    { numRuns: 500 },
  );
});

Deno.test("routed request (0x20) round trip and c-toxcore's length limits", () => {
  const alice = nacl.keyPairFromSecretKey(new Uint8Array(32).fill(1));
  const bob = nacl.keyPairFromSecretKey(new Uint8Array(32).fill(2));
  const k = nacl.sharedKey(bob.publicKey, alice.secretKey);
  const data = encodeNatPing({ response: false, pingId });
  const bytes = sealRoutedPacket(bob.publicKey, alice.publicKey, 254, data, k, nonce);
  assert.equal(bytes.length, 115);
  assert.equal(toHex(bytes.subarray(0, 65)), "20" + toHex(bob.publicKey) + toHex(alice.publicKey));
  const p = decodeRoutedPacket(bytes);
  const opened = openRoutedPacket(p, nacl.sharedKey(alice.publicKey, bob.secretKey));
  assert.equal(opened?.requestId, 254);
  assert.deepEqual(decodeNatPing(opened!.data), { response: false, pingId });
  const b105 = new Uint8Array(105);
  b105[0] = 0x20;
  assert.throws(() => decodeRoutedPacket(b105), WireError);
  const big = new Uint8Array(1041);
  big[0] = 0x20;
  assert.throws(() => decodeRoutedPacket(big), WireError);
  big[0] = 0x21;
  assert.throws(() => decodeRoutedPacket(big.subarray(0, 200)), WireError);
});

Deno.test("routed request survives seal and open (property), mangled ones raise only WireError", () => {
  const a = nacl.keyPairFromSecretKey(new Uint8Array(32).fill(5));
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 255 }),
      fc.uint8Array({ minLength: 1, maxLength: 918 }),
      fc.nat(),
      (id, data, cut) => {
        const bytes = sealRoutedPacket(a.publicKey, a.publicKey, id, data, key, nonce);
        assert.equal(bytes.length, 106 + data.length);
        const r = openRoutedPacket(decodeRoutedPacket(bytes), key);
        assert.equal(r?.requestId, id);
        assert.deepEqual(r?.data, data);
        try {
          const p = decodeRoutedPacket(bytes.slice(0, cut % bytes.length));
          openRoutedPacket(p, key);
        } catch (e) {
          assert.ok(e instanceof WireError, String(e));
        }
      },
    ),
    { numRuns: 100 },
  );
});

Deno.test("LAN discovery is 33 bytes: 0x21 then the sender key", () => {
  const pk = new Uint8Array(32).fill(0x5a);
  const b = encodeLanDiscovery(pk);
  assert.equal(toHex(b), "21" + "5a".repeat(32));
  assert.deepEqual(decodeLanDiscovery(b), pk);
  assert.throws(() => decodeLanDiscovery(b.subarray(0, 32)), WireError);
  assert.throws(() => decodeLanDiscovery(new Uint8Array(34).fill(0x21)), WireError);
  fc.assert(fc.property(fc.uint8Array({ maxLength: 40 }), (x) => {
    try {
      decodeLanDiscovery(x);
    } catch (e) {
      assert.ok(e instanceof WireError);
    }
  }));
});

Deno.test("NAT ping data rejects other lengths and types", () => {
  assert.throws(() => decodeNatPing(new Uint8Array(8)), WireError);
  assert.throws(() => decodeNatPing(fromHex("02" + "00".repeat(8))), WireError);
});

Deno.test("isDhtKind() covers the DHT kinds and leaves the others to other layers", () => {
  for (const k of [0, 1, 2, 4, 0x20, 0x21]) assert.ok(isDhtKind(k));
  for (const k of [3, 0x18, 0x1b, 0x80, 0x83, 0x90, 0x93, 0xf0, undefined]) {
    assert.ok(!isDhtKind(k));
  }
});
