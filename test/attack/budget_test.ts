import assert from "node:assert/strict";
import { backend, SharedKeyCache } from "../../lib/crypto/mod.ts";
import { KeyBudget } from "../../lib/crypto/key_budget.ts";
import { naclCipher } from "../../lib/dht/cipher.ts";
import { DhtNode } from "../../lib/dht/node.ts";
import { buildAnnounceRequest } from "../../lib/onion/client_packets.ts";
import { OnionNode } from "../../lib/onion/node.ts";
import { CONTROL_PACKET_COST } from "../../lib/relay/server.ts";
import { testNet } from "../relay/_harness.ts";
import { pingFrom } from "../../bench/_attack_packets.ts";

const b = backend();

function answers(node: DhtNode): number {
  let n = 0;
  for (let t = node.pollTransmit(); t; t = node.pollTransmit()) if (t.data[0] === 0x01) n++;
  return n;
}

Deno.test("KeyBudget refills with time, caps each source and all sources together", () => {
  const k = new KeyBudget({ perSecond: 10, burst: 10, perSourcePerSecond: 4, perSourceBurst: 4 });
  let ok = 0;
  for (let i = 0; i < 10; i++) if (k.take("10.0.0.1", 0)) ok++;
  assert.equal(ok, 4);
  for (let i = 0; i < 10; i++) if (k.take(`10.0.1.${i}`, 0)) ok++;
  assert.equal(ok, 10);
  assert.equal(k.refused, 10);
  assert.ok(!k.take("10.0.0.9", 50)); // half a token back in 50 ms
  assert.ok(k.take("10.0.0.9", 200));
  assert.throws(() => new KeyBudget({ perSecond: 0 }), RangeError);
});

Deno.test("KeyBudget's default burst is an eighth of its rate, so a flood cannot stall the loop", () => {
  const k = new KeyBudget({ perSecond: 800, perSourcePerSecond: 1000 });
  let ok = 0;
  for (let i = 0; i < 1000; i++) if (k.take(`10.0.${i >> 8}.${i & 255}`, 0)) ok++;
  assert.equal(ok, 100);
});

Deno.test("KeyBudget forgets the oldest source beyond maxSources", () => {
  const k = new KeyBudget({ perSecond: 1000, perSourcePerSecond: 1, maxSources: 2 });
  assert.ok(k.take("a", 0) && k.take("b", 0) && k.take("c", 0));
  assert.ok(k.take("a", 0), "a was forgotten, so it has a fresh bucket");
  assert.ok(!k.take("c", 0));
});

Deno.test("SharedKeyCache.has() tells a cached key without computing or counting", () => {
  const c = new SharedKeyCache(b.keyPair().secretKey, 4);
  const pk = b.keyPair().publicKey;
  assert.equal(c.has(pk), false);
  c.get(pk);
  assert.equal(c.has(pk), true);
  assert.equal(c.has(new Uint8Array(5)), false);
  assert.deepEqual([c.hits, c.misses], [0, 1]);
});

Deno.test("regression: DHT pings from many fresh keys are dropped beyond the key budget, known peers still answered", () => {
  const kp = b.keyPair();
  const node = new DhtNode({
    keyPair: kp,
    cipher: naclCipher(kp.secretKey),
    keyBudget: new KeyBudget({
      perSecond: 20,
      burst: 20,
      perSourcePerSecond: 20,
      perSourceBurst: 20,
    }),
    lanDiscovery: false,
  });
  const friend = b.keyPair();
  const from = (i: number) => ({ hostname: `10.0.${i >> 8}.${i & 255}`, port: 33445 });
  node.handlePacket(pingFrom(kp.publicKey, friend), { hostname: "10.9.9.9", port: 1 }, 0);
  assert.equal(answers(node), 1);
  for (let i = 0; i < 200; i++) node.handlePacket(pingFrom(kp.publicKey), from(i), 1);
  assert.equal(answers(node), 19);
  assert.equal(node.stats.dropBudget, 181);
  node.handlePacket(pingFrom(kp.publicKey, friend), { hostname: "10.9.9.9", port: 1 }, 2);
  assert.equal(answers(node), 1, "a peer whose key is cached costs no budget");
});

Deno.test("a DHT node without a key budget answers every fresh key, as c-toxcore", () => {
  const kp = b.keyPair();
  const node = new DhtNode({ keyPair: kp, cipher: naclCipher(kp.secretKey), lanDiscovery: false });
  for (let i = 0; i < 50; i++) {
    node.handlePacket(pingFrom(kp.publicKey), { hostname: `10.0.0.${i}`, port: 1 }, 0);
  }
  assert.equal(answers(node), 50);
  assert.equal(node.stats.dropBudget, 0);
});

Deno.test("regression: onion announce requests from fresh keys beyond the key budget are dropped before any X25519", () => {
  const kp = b.keyPair();
  const onion = new OnionNode({
    keyPair: kp,
    closestNodes: () => [],
    keyBudget: new KeyBudget({ perSecond: 5, burst: 5, perSourcePerSecond: 5, perSourceBurst: 5 }),
  });
  let answered = 0;
  for (let i = 0; i < 40; i++) {
    const req = buildAnnounceRequest({
      destPublicKey: kp.publicKey,
      sender: b.keyPair(),
      pingId: new Uint8Array(32),
      searchedPublicKey: b.randomBytes(32),
      dataPublicKey: b.randomBytes(32),
      sendback: b.randomBytes(8),
    });
    // Announce requests arrive wrapped by hop C: [0x83 ...][return 3 of 177 bytes].
    const wrapped = new Uint8Array(req.length + 177);
    wrapped.set(req);
    answered += onion.handleUdp(wrapped, { hostname: `10.0.0.${i}`, port: 1 }, 0).length;
  }
  assert.equal(onion.stats.overBudget, 35);
  assert.ok(answered <= 5);
});

Deno.test("regression: a relay client's onion requests cost the rate limit far more than their bytes", async () => {
  const net = await testNet({ rateBytesPerSecond: 1024 * 1024, onOnionRequest: () => {} });
  const a = net.peer().connect();
  // 64 onion requests of 300 bytes: 19 KiB of bytes, within the 256 KiB burst...
  for (let i = 0; i < 64; i++) a.send({ type: "onionRequest", data: new Uint8Array(300) });
  assert.equal(a.closed, null);
  // ...but 64 * 8 KiB of control cost: the reads pause.
  const expect = Math.ceil(
    ((64 * (CONTROL_PACKET_COST + 301) - 256 * 1024) * 1000) / (1024 * 1024),
  );
  assert.ok(Math.abs(net.server.readPauseMs(a.id, net.now) - expect) <= 1);
  // Pings (keep-alives) of the same number cost only their bytes.
  const c = net.peer().connect();
  for (let i = 0; i < 64; i++) c.send({ type: "ping", pingId: new Uint8Array(8).fill(1) });
  assert.equal(net.server.readPauseMs(c.id, net.now), 0);
});

Deno.test("regression: a bootstrap node with a bad key is refused at once, not kept to throw in a later timer", () => {
  const kp = b.keyPair();
  const node = new DhtNode({ keyPair: kp, cipher: naclCipher(kp.secretKey), lanDiscovery: false });
  assert.throws(
    () => node.bootstrap({ hostname: "10.0.0.1", port: 1 }, new Uint8Array(5), 0),
    TypeError,
  );
  // Re-bootstrapping (an empty close list) must not meet the bad key again.
  for (let t = 0; t <= 600_000; t += 1000) node.handleTimeout(t);
  assert.equal(node.stats.dropError, 0);
});
