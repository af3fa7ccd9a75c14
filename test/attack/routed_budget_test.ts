import assert from "node:assert/strict";
import { backend } from "../../lib/crypto/mod.ts";
import { KeyBudget } from "../../lib/crypto/key_budget.ts";
import { naclCipher } from "../../lib/dht/cipher.ts";
import { DhtNode } from "../../lib/dht/node.ts";
import { sealRoutedPacket } from "../../lib/dht/wire.ts";
import type { Addr } from "../../lib/net/addr.ts";
import { RelayNode } from "../../lib/relay/node.ts";
import { answersTo } from "./_udp_answers.ts";

const b = backend();
const budget = () =>
  new KeyBudget({ perSecond: 20, burst: 20, perSourcePerSecond: 20, perSourceBurst: 20 });
const from = (i: number): Addr => ({ hostname: `10.0.${i >> 8}.${i & 255}`, port: 33445 });

/** A routed request (0x20) to `receiver` from a fresh sender key. */
function routed(receiver: Uint8Array): Uint8Array {
  const sender = b.keyPair();
  const key = b.sharedKey(receiver, sender.secretKey);
  return sealRoutedPacket(
    receiver,
    sender.publicKey,
    0x40,
    new Uint8Array(9),
    key,
    b.randomBytes(24),
  );
}

function drain(node: DhtNode): number {
  let n = 0;
  while (node.pollTransmit()) n++;
  return n;
}

/** A node `relay` with `peer` in its close list (it answered the relay's nodes request). */
function relayKnowingPeer(keyBudget?: KeyBudget) {
  const kp = b.keyPair();
  const relay = new DhtNode({
    keyPair: kp,
    cipher: naclCipher(kp.secretKey),
    lanDiscovery: false,
    ...(keyBudget ? { keyBudget } : {}),
  });
  const peerAddr = { hostname: "10.9.0.2", port: 1 }, relayAddr = { hostname: "10.9.0.1", port: 1 };
  const peer = new DhtNode({ keyPair: b.keyPair(), selfAddr: peerAddr, lanDiscovery: false });
  relay.bootstrap(peerAddr, peer.publicKey, 0);
  for (let t; (t = relay.pollTransmit());) peer.handlePacket(t.data, relayAddr, 0);
  for (let t; (t = peer.pollTransmit());) relay.handlePacket(t.data, peerAddr, 1);
  assert.equal(relay.closestNodes(peer.publicKey, 1).length, 1);
  return { relay, peer };
}

Deno.test("regression: routed requests to us from fresh keys cost the key budget before their X25519", () => {
  const kp = b.keyPair();
  const seen: number[] = [];
  const node = new DhtNode({
    keyPair: kp,
    cipher: naclCipher(kp.secretKey),
    keyBudget: budget(),
    lanDiscovery: false,
    onRoutedRequest: (r) => void seen.push(r.requestId),
  });
  for (let i = 0; i < 200; i++) node.handlePacket(routed(kp.publicKey), from(i), 0);
  assert.equal(seen.length, 20);
  assert.equal(node.stats.routedToUs, 20);
  assert.equal(node.stats.dropBudget, 180);
  assert.equal(node.keyCacheStats()!.misses, 20, "no X25519 beyond the budget");
  node.handlePacket(routed(kp.publicKey), from(0), 1000); // the budget refills with time
  assert.equal(seen.length, 21);
});

Deno.test("regression: a flood of routed requests to forward is bounded by the key budget", () => {
  const { relay, peer } = relayKnowingPeer(budget());
  const before = relay.stats.routedForwarded;
  for (let i = 0; i < 300; i++) relay.handlePacket(routed(peer.publicKey), from(i), 2);
  assert.equal(relay.stats.routedForwarded - before, 20);
  assert.equal(relay.stats.dropBudget, 280);
  assert.equal(drain(relay), 20);
  // One source alone gets no more than its own share, however large the shared budget.
  const one = relayKnowingPeer(
    new KeyBudget({ perSecond: 1000, burst: 100, perSourcePerSecond: 5, perSourceBurst: 5 }),
  );
  for (let i = 0; i < 50; i++) one.relay.handlePacket(routed(one.peer.publicKey), from(7), 2);
  assert.equal(one.relay.stats.dropBudget, 45);
});

Deno.test("a node without a key budget forwards every routed request, as c-toxcore", () => {
  const { relay, peer } = relayKnowingPeer();
  const before = relay.stats.routedForwarded;
  for (let i = 0; i < 100; i++) relay.handlePacket(routed(peer.publicKey), from(i), 2);
  assert.equal(relay.stats.routedForwarded - before, 100);
  assert.equal(relay.stats.dropBudget, 0);
});

Deno.test("regression: a relay node's routed requests from fresh keys share its key budget and its metric", async () => {
  const kp = b.keyPair();
  await using n = await RelayNode.start({
    keyPair: kp,
    keyBudget: new KeyBudget({ perSecond: 100, perSourcePerSecond: 4, perSourceBurst: 4 }),
  });
  const packets = Array.from({ length: 30 }, () => routed(kp.publicKey));
  await answersTo(n.udpAddr.port, packets, 300);
  const s = n.dht.node.stats;
  assert.equal(s.routedToUs + s.dropBudget, 30, JSON.stringify(s));
  assert.equal(s.routedToUs, 4);
  assert.match(n.metrics(), /peerkit_key_budget_refused_total 26\b/);
});
