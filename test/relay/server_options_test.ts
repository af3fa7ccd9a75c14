import assert from "node:assert/strict";
import {
  backend,
  type CryptoBackend,
  type KeyPair,
  loadSodium,
  tweetnaclBackend,
} from "../../lib/crypto/mod.ts";
import { acceptClientHandshake, createClientHandshake, RelayServer } from "../../lib/relay/mod.ts";
import { toHex } from "../../lib/util/bytes.ts";
import { testNet } from "./_harness.ts";

/** A seeded random source (splitmix32), so a run can be replayed. */
function seeded(seed: number): (n: number) => Uint8Array {
  let s = seed >>> 0;
  return (n) => {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      out[i] = (z ^ (z >>> 16)) & 0xff;
    }
    return out;
  };
}

/** A backend that counts its X25519 operations. */
function counting(b: CryptoBackend): CryptoBackend & { shared: number } {
  const c = {
    ...b,
    shared: 0,
    sharedKey(pk: Uint8Array, sk: Uint8Array) {
      c.shared++;
      return b.sharedKey(pk, sk);
    },
  };
  return c;
}

const backends: CryptoBackend[] = [tweetnaclBackend, await loadSodium()];

Deno.test("regression: sendPacket() to a full queue starts the slow-reader grace at now, not at 0", async () => {
  const net = await testNet({
    maxQueueBytes: 100,
    slowReaderTimeoutMs: 10_000,
    pingIntervalMs: 1e9,
  });
  const a = net.peer().connect();
  net.advance(50_000);
  const big = new Uint8Array(200);
  big[0] = 9; // onion response
  assert.equal(net.server.sendPacket(a.id, big, net.now), true);
  assert.equal(net.server.sendPacket(a.id, big, net.now), false); // queue full from here
  net.server.handleTimeout(net.now + 1000);
  assert.deepEqual(net.server.pollClosed(), []); // within the grace period
  net.server.handleTimeout(net.now + 10_000);
  assert.deepEqual(net.server.pollClosed(), [{ id: a.id, reason: "slow_reader" }]);
});

Deno.test("regression: sendPacket() without now uses the time of the server's last event", async () => {
  const net = await testNet({ maxQueueBytes: 100, pingIntervalMs: 1e9 });
  const a = net.peer().connect();
  net.advance(50_000);
  const big = new Uint8Array(200);
  big[0] = 9;
  net.server.sendPacket(a.id, big);
  net.server.sendPacket(a.id, big);
  net.server.handleTimeout(net.now + 1000);
  assert.deepEqual(net.server.pollClosed(), []);
});

for (
  const [what, send] of [
    [
      "pings",
      (p: ReturnType<Awaited<ReturnType<typeof testNet>>["peer"]>) => {
        for (let i = 0; i < 20; i++) p.send({ type: "ping", pingId: new Uint8Array(8).fill(2) });
      },
    ],
    [
      "routing requests",
      (p: ReturnType<Awaited<ReturnType<typeof testNet>>["peer"]>) => {
        for (let i = 0; i < 6; i++) {
          p.send({ type: "routingRequest", publicKey: backend().randomBytes(32) });
        }
      },
    ],
    [
      "onion requests",
      (p: ReturnType<Awaited<ReturnType<typeof testNet>>["peer"]>) => {
        p.send({ type: "onionRequest", data: new Uint8Array(300) });
      },
    ],
  ] as const
) {
  Deno.test(`rate limit: ${what} count against the client's rate`, async () => {
    const onions: number[] = [];
    const net = await testNet({
      rateBytesPerSecond: 1000,
      rateBurstBytes: 100,
      onOnionRequest: (d) => void onions.push(d.length),
    });
    const a = net.peer().connect();
    assert.equal(net.server.readPauseMs(a.id, net.now), 0);
    send(a);
    assert.equal(a.closed, null);
    assert.ok(net.server.readPauseMs(a.id, net.now) > 0, `${what} were not metered`);
  });
}

for (const b of backends) {
  Deno.test(`${b.name}: a handshake from a low-order key is a counted bad handshake, not a throw`, () => {
    const s = new RelayServer({ keyPair: b.keyPair(), crypto: b });
    const id = s.accept({ hostname: "127.0.0.1", port: 1 }, 0);
    s.receive(id, new Uint8Array(128), 0); // all-zero public key
    assert.deepEqual(s.pollClosed(), [{ id, reason: "bad_handshake" }]);
    assert.equal(s.stats().kills.bad_handshake, 1);
    assert.equal(s.stats().kills.peer_closed, 0);
  });

  Deno.test(`${b.name}: a valid box carrying a low-order temporary key is a bad handshake`, () => {
    const server = b.keyPair(), client = b.keyPair();
    const nonce = b.randomBytes(24);
    const plain = new Uint8Array(56); // temporary key all zero, then the base nonce
    const sealed = b.seal(plain, nonce, b.sharedKey(server.publicKey, client.secretKey));
    const hello = new Uint8Array(128);
    hello.set(client.publicKey, 0);
    hello.set(nonce, 32);
    hello.set(sealed, 56);
    assert.equal(acceptClientHandshake(server, hello, { crypto: b }), null);
  });
}

Deno.test("acceptClientHandshake() does two X25519s (long-term once, session once)", () => {
  const b = counting(backend());
  const server = backend().keyPair();
  const hello = createClientHandshake(backend().keyPair(), server.publicKey);
  assert.ok(acceptClientHandshake(server, hello.bytes, { crypto: b }));
  assert.equal(b.shared, 2);
});

Deno.test("RelayServer uses the crypto backend from its options for handshake and frames", async () => {
  const b = counting(backend());
  const net = await testNet({ crypto: b });
  net.peer().connect();
  assert.equal(b.shared, 2);
});

function replay(seed: number, server: KeyPair, client: KeyPair): string[] {
  const s = new RelayServer({ keyPair: server, random: seeded(seed) });
  const hello = createClientHandshake(client, server.publicKey, { random: seeded(seed + 1) });
  const id = s.accept({ hostname: "127.0.0.1", port: 1 }, 0);
  s.receive(id, hello.bytes, 0);
  return [toHex(hello.bytes), toHex(s.takeOutput(id)!)];
}

Deno.test("a seeded random source gives identical handshake bytes on both sides", () => {
  const server = backend().keyPair(), client = backend().keyPair();
  const first = replay(7, server, client), again = replay(7, server, client);
  assert.deepEqual(again, first);
  assert.equal(first[1]!.length, 96 * 2);
  const other = replay(8, server, client);
  assert.notEqual(other[0], first[0]);
  assert.notEqual(other[1], first[1]);
});

Deno.test("packets opened in the shared buffer reach handlers intact, several per read", async () => {
  const got: string[] = [];
  const net = await testNet({ onOnionRequest: (d) => void got.push(toHex(d)) });
  const a = net.peer().connect();
  const one = new Uint8Array(200).fill(1), two = new Uint8Array(300).fill(2);
  one[0] = two[0] = 8; // onion request
  const frames = [a.codec!.seal(one), a.codec!.seal(two)];
  const joined = new Uint8Array(frames[0]!.length + frames[1]!.length);
  joined.set(frames[0]!, 0);
  joined.set(frames[1]!, frames[0]!.length);
  net.server.receive(a.id, joined, net.now);
  assert.deepEqual(got, [toHex(one.subarray(1)), toHex(two.subarray(1))]);
});
