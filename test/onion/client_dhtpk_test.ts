import assert from "node:assert/strict";
import fc from "fast-check";
import { backend } from "../../lib/crypto/mod.ts";
import type { NodeInfo } from "../../lib/dht/packed_node.ts";
import { fromHex, toHex } from "../../lib/util/bytes.ts";
import { WireError } from "../../lib/util/wire_error.ts";
import {
  decodeDhtPk,
  DHTPK_MAX_SIZE,
  dhtPkEncodedLength,
  DhtPkReplayGuard,
  encodeDhtPk,
  openDhtPkFromDht,
  sealDhtPkForDht,
} from "../../lib/onion/dhtpk.ts";
import {
  decodeFriendRequest,
  encodeFriendRequest,
  FriendRequestFilter,
} from "../../lib/onion/client_friend_request.ts";

const DHT_PK = new Uint8Array(32).fill(0x11);
const RELAY: NodeInfo = {
  publicKey: new Uint8Array(32).fill(0x22),
  addr: { hostname: "127.0.0.1", port: 33445 },
  tcp: true,
};
const UDP6: NodeInfo = {
  publicKey: new Uint8Array(32).fill(0x33),
  addr: { hostname: "::1", port: 0x1234 },
};

Deno.test("encodeDhtPk() lays out id, no_replay BE, DHT key, then packed nodes (TCP family 130)", () => {
  const b = encodeDhtPk({ noReplay: 0x0102030405060708n, dhtPublicKey: DHT_PK, nodes: [RELAY] });
  const want = "9c" + "0102030405060708" + "11".repeat(32) +
    "82" + "7f000001" + "82a5" + "22".repeat(32);
  assert.equal(toHex(b), want);
  const v6 = encodeDhtPk({ noReplay: 1n, dhtPublicKey: DHT_PK, nodes: [UDP6] });
  assert.equal(toHex(v6.subarray(41, 60)), "0a" + "00".repeat(15) + "01" + "1234");
  assert.equal(encodeDhtPk({ noReplay: 0n, dhtPublicKey: DHT_PK, nodes: [] }).length, 41);
  assert.equal(
    encodeDhtPk({ noReplay: 0n, dhtPublicKey: DHT_PK, nodes: [UDP6, UDP6, UDP6, UDP6] }).length,
    DHTPK_MAX_SIZE,
  );
});

Deno.test("decodeDhtPk() reads the golden layout back", () => {
  const b = fromHex(
    "9c" + "ffffffffffffffff" + "11".repeat(32) + "02" + "0a000001" + "0001" + "44".repeat(32),
  );
  const p = decodeDhtPk(b);
  assert.equal(p.noReplay, (1n << 64n) - 1n);
  assert.deepEqual(p.dhtPublicKey, DHT_PK);
  assert.deepEqual(p.nodes, [{
    publicKey: new Uint8Array(32).fill(0x44),
    addr: { hostname: "10.0.0.1", port: 1 },
  }]);
});

Deno.test("encodeDhtPk() refuses more than 4 nodes and a no_replay outside u64", () => {
  const five = [UDP6, UDP6, UDP6, UDP6, UDP6];
  assert.throws(() => encodeDhtPk({ noReplay: 1n, dhtPublicKey: DHT_PK, nodes: five }), RangeError);
  assert.throws(() => encodeDhtPk({ noReplay: -1n, dhtPublicKey: DHT_PK, nodes: [] }), RangeError);
  assert.throws(() => encodeDhtPk({ noReplay: 1n << 64n, dhtPublicKey: DHT_PK, nodes: [] }));
});

const nodeArb = fc.record({
  publicKey: fc.uint8Array({ minLength: 32, maxLength: 32 }),
  addr: fc.record({
    hostname: fc.oneof(fc.ipV4(), fc.constant("::1"), fc.constant("2001:db8::7")),
    port: fc.integer({ min: 0, max: 65535 }),
  }),
  tcp: fc.boolean(),
}).map((n): NodeInfo => {
  const addr = { hostname: n.addr.hostname, port: n.addr.port };
  return n.tcp ? { publicKey: n.publicKey, addr, tcp: true } : { publicKey: n.publicKey, addr };
});
const packetArb = fc.record({
  noReplay: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
  dhtPublicKey: fc.uint8Array({ minLength: 32, maxLength: 32 }),
  nodes: fc.array(nodeArb, { maxLength: 4 }),
});

Deno.test("DHT-PK round trip and encodedLength === encode().length", () => {
  fc.assert(fc.property(packetArb, (p) => {
    const b = encodeDhtPk(p);
    assert.equal(dhtPkEncodedLength(p), b.length);
    const back = decodeDhtPk(b);
    assert.equal(back.noReplay, p.noReplay);
    assert.deepEqual(back.dhtPublicKey, p.dhtPublicKey);
    assert.deepEqual(back.nodes, p.nodes);
  }));
});

Deno.test("decodeDhtPk() throws only WireError on truncations, bit flips and random bytes", () => {
  const only = (b: Uint8Array) => {
    try {
      decodeDhtPk(b);
    } catch (e) {
      assert.ok(e instanceof WireError, String(e));
    }
  };
  fc.assert(fc.property(packetArb, fc.nat(), fc.nat(7), (p, at, bit) => {
    const b = encodeDhtPk(p);
    // A cut inside the header or a node fails; a cut between nodes is a shorter packet.
    for (let n = 0; n < b.length; n++) {
      try {
        const q = decodeDhtPk(b.subarray(0, n));
        assert.ok(n >= 41 && q.nodes.length < p.nodes.length, `cut at ${n} decoded`);
      } catch (e) {
        assert.ok(e instanceof WireError, String(e));
      }
    }
    const f = b.slice();
    f[at % f.length]! ^= 1 << bit;
    only(f);
  }));
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (b) => only(new Uint8Array([0x9c, ...b]))),
  );
});

Deno.test("the DHT variant opens for the friend and checks the routed sender's DHT key", () => {
  const me = backend().keyPair(), friend = backend().keyPair(), myDht = backend().keyPair();
  const pkt = encodeDhtPk({ noReplay: 9n, dhtPublicKey: myDht.publicKey, nodes: [RELAY] });
  const data = sealDhtPkForDht(pkt, me, friend.publicKey);
  assert.equal(data.length, 32 + 24 + 16 + pkt.length);
  assert.deepEqual(data.subarray(0, 32), me.publicKey);
  const ok = openDhtPkFromDht(data, myDht.publicKey, friend.secretKey);
  assert.ok(ok.ok);
  assert.deepEqual(ok.senderRealPublicKey, me.publicKey);
  assert.equal(ok.packet.noReplay, 9n);
  assert.deepEqual(ok.packet.nodes, [RELAY]);
  const other = backend().keyPair().publicKey;
  assert.deepEqual(openDhtPkFromDht(data, other, friend.secretKey), {
    ok: false,
    reason: "sender_mismatch",
  });
  assert.deepEqual(openDhtPkFromDht(data, myDht.publicKey, me.secretKey), {
    ok: false,
    reason: "bad_mac",
  });
});

Deno.test("openDhtPkFromDht() never throws on truncated or bit-flipped data", () => {
  const me = backend().keyPair(), friend = backend().keyPair(), dht = backend().keyPair();
  const data = sealDhtPkForDht(
    encodeDhtPk({ noReplay: 1n, dhtPublicKey: dht.publicKey, nodes: [] }),
    me,
    friend.publicKey,
  );
  for (let n = 0; n < data.length; n++) {
    assert.equal(openDhtPkFromDht(data.subarray(0, n), dht.publicKey, friend.secretKey).ok, false);
  }
  for (let i = 0; i < data.length; i++) {
    const f = data.slice();
    f[i]! ^= 0x10;
    assert.equal(openDhtPkFromDht(f, dht.publicKey, friend.secretKey).ok, false, `flip ${i}`);
  }
});

Deno.test("DhtPkReplayGuard accepts only a no_replay greater than the last, per sender", () => {
  const g = new DhtPkReplayGuard();
  const a = new Uint8Array(32).fill(1), b = new Uint8Array(32).fill(2);
  assert.ok(g.accept(a, 10n));
  assert.ok(!g.accept(a, 10n));
  assert.ok(!g.accept(a, 3n));
  assert.ok(g.accept(b, 3n));
  assert.ok(g.accept(a, 11n));
  g.forget(a);
  assert.ok(g.accept(a, 1n));
});

Deno.test("friend request layout: [0x20][nospam 4][message]", () => {
  const b = encodeFriendRequest({
    nospam: new Uint8Array([0xde, 0xad, 0xbe, 0xef]),
    message: new TextEncoder().encode("hi"),
  });
  assert.equal(toHex(b), "20deadbeef6869");
  assert.throws(
    () => encodeFriendRequest({ nospam: new Uint8Array(4), message: new Uint8Array() }),
    RangeError,
  );
  assert.throws(
    () => encodeFriendRequest({ nospam: new Uint8Array(4), message: new Uint8Array(1017) }),
    RangeError,
  );
  assert.equal(
    encodeFriendRequest({ nospam: new Uint8Array(4), message: new Uint8Array(1016) }).length,
    1021,
  );
});

Deno.test("friend request round trip; decoder throws only WireError on truncation and noise", () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 4, maxLength: 4 }),
      fc.uint8Array({ minLength: 1, maxLength: 1016 }),
      (nospam, message) => {
        const b = encodeFriendRequest({ nospam, message });
        const back = decodeFriendRequest(b);
        assert.deepEqual([back.nospam, back.message], [nospam, message]);
        for (const n of [0, 1, 5]) {
          assert.throws(
            () => decodeFriendRequest(b.subarray(0, n)),
            WireError,
          );
        }
      },
    ),
    { numRuns: 50 },
  );
  fc.assert(fc.property(fc.uint8Array({ maxLength: 1100 }), (b) => {
    try {
      decodeFriendRequest(b);
    } catch (e) {
      assert.ok(e instanceof WireError);
    }
  }));
  assert.throws(() => decodeFriendRequest(new Uint8Array(1022).fill(0x20)), WireError);
});

Deno.test("FriendRequestFilter checks nospam and drops the last 32 senders' repeats", () => {
  const nospam = new Uint8Array([1, 2, 3, 4]);
  const f = new FriendRequestFilter(nospam);
  const req = { nospam, message: new Uint8Array([1]) };
  const key = (i: number) => new Uint8Array(32).fill(i);
  assert.equal(f.check(key(1), { nospam: new Uint8Array(4), message: req.message }), "bad_nospam");
  assert.equal(f.check(key(1), req), "accept");
  assert.equal(f.check(key(1), req), "repeat");
  for (let i = 2; i <= 32; i++) assert.equal(f.check(key(i), req), "accept");
  assert.equal(f.check(key(1), req), "repeat", "32 senders kept");
  assert.equal(f.check(key(33), req), "accept");
  assert.equal(f.check(key(1), req), "accept", "the oldest was pushed out");
  f.forget(key(33));
  assert.equal(f.check(key(33), req), "accept");
});
