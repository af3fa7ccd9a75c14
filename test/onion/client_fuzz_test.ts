import assert from "node:assert/strict";
import fc from "fast-check";
import { backend } from "../../lib/crypto/mod.ts";
import { OnionClient } from "../../lib/onion/client.ts";
import { openOnionDataInner, sealOnionDataInner } from "../../lib/onion/client_data.ts";
import { ClientNet, eventsOf } from "./_client_net.ts";

function lone(): OnionClient {
  return new OnionClient({
    realKeyPair: backend().keyPair(),
    dhtKeyPair: backend().keyPair(),
    nodes: () => [],
  });
}

Deno.test("OnionClient.handlePacket() never throws on random 0x84/0x86 datagrams and counts drops", () => {
  const c = lone();
  let n = 0;
  fc.assert(
    fc.property(fc.constantFrom(0x84, 0x86), fc.uint8Array({ maxLength: 1500 }), (k, body) => {
      n++;
      assert.equal(c.handlePacket(new Uint8Array([k, ...body]), 0), true);
    }),
    { numRuns: 300 },
  );
  assert.equal(c.stats.dropped, n);
  assert.equal(c.handlePacket(new Uint8Array([0x83, 1]), 0), false);
  assert.equal(c.handlePacket(new Uint8Array(), 0), false);
  assert.equal(c.pollEvent(), undefined);
});

Deno.test("OnionClient.handleRelayPacket() and handleDhtRequest() never throw on random input", () => {
  const c = lone();
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 600 }),
      fc.uint8Array({ minLength: 32, maxLength: 32 }),
      (b, pk) => {
        c.handleRelayPacket(new Uint8Array([9, ...b]), 0);
        c.handleDhtRequest({ requestId: 0x9c, data: b, senderPublicKey: pk }, 0);
      },
    ),
    { numRuns: 200 },
  );
  assert.equal(c.pollEvent(), undefined);
  assert.equal(c.handleRelayPacket(new Uint8Array([8, 1]), 0), false);
});

Deno.test("OnionClient drops bit-flipped and truncated copies of real announce and data responses", () => {
  const net = new ClientNet({ nodes: 20, seed: 31 });
  const a = net.addClient(), b = net.addClient();
  a.client.addFriend(b.realKeyPair.publicKey);
  b.client.addFriend(a.realKeyPair.publicKey);
  assert.ok(net.runUntil(() => a.received.length > 0, 30_000) !== undefined);
  const good = a.received[0]!;
  const events = a.events.length;
  const dropped = a.client.stats.dropped;
  let tried = 0;
  for (let i = 1; i < good.length; i += 3) {
    const f = good.slice();
    f[i]! ^= 0x01;
    a.client.handlePacket(f, net.clock.now());
    a.client.handlePacket(good.subarray(0, i), net.clock.now());
    tried += 2;
  }
  net.flush(a);
  assert.equal(a.events.length, events, "no event from damaged packets");
  assert.equal(a.client.stats.dropped - dropped, tried);
  // Announce responses: the sendback was consumed, so even an intact copy is dropped.
  const before = a.client.stats.dropped;
  a.client.handlePacket(new Uint8Array([0x84, ...new Uint8Array(81)]), net.clock.now());
  assert.equal(a.client.stats.dropped, before + 1);
  assert.ok(eventsOf(a, "announced").length === 1);
  net.stop();
});

Deno.test("onion data inner layer: round trip, wrong key and truncation give null", () => {
  const a = backend().keyPair(), b = backend().keyPair(), nonce = backend().randomBytes(24);
  const payload = new Uint8Array([0x20, 1, 2, 3, 4, 5]);
  const inner = sealOnionDataInner(payload, a, b.publicKey, nonce);
  assert.equal(inner.length, 32 + 16 + payload.length);
  assert.deepEqual(inner.subarray(0, 32), a.publicKey);
  const opened = openOnionDataInner(inner, b.secretKey, nonce);
  assert.deepEqual(opened?.payload, payload);
  assert.deepEqual(opened?.sender, a.publicKey);
  assert.equal(openOnionDataInner(inner, a.secretKey, nonce), null);
  for (let n = 0; n < inner.length; n++) {
    assert.equal(openOnionDataInner(inner.subarray(0, n), b.secretKey, nonce), null);
  }
  assert.throws(() => sealOnionDataInner(new Uint8Array(1022), a, b.publicKey, nonce), RangeError);
  assert.equal(sealOnionDataInner(new Uint8Array(1021), a, b.publicKey, nonce).length, 1069);
});
