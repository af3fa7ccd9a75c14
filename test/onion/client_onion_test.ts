import assert from "node:assert/strict";
import { closer, keyEquals } from "../../lib/dht/distance.ts";
import { ClientNet, eventsOf, type NetClient } from "./_client_net.ts";

function pair(net: ClientNet): [NetClient, NetClient] {
  const a = net.addClient(), b = net.addClient();
  a.client.addFriend(b.realKeyPair.publicKey);
  b.client.addFriend(a.realKeyPair.publicKey);
  return [a, b];
}

Deno.test("OnionClient announces itself on the nodes closest to its key", () => {
  const net = new ClientNet({ nodes: 40, seed: 11 });
  const a = net.addClient();
  const took = net.runUntil(() => eventsOf(a, "announced").length > 0, 20_000);
  assert.ok(took !== undefined, "announced within 20 s");
  net.run(20_000);
  // Every node answers with the 4 nodes closest to the key (the test network's nodes all
  // know each other), so those 4 must be in the list; the rest come from random probes.
  const closest = net.closest(a.realKeyPair.publicKey, 4).map((n) => n.publicKey);
  const list = a.client.announceNodes;
  assert.equal(list.length, 12);
  for (const k of closest) assert.ok(list.some((e) => keyEquals(k, e.publicKey)));
  for (let i = 1; i < list.length; i++) {
    assert.ok(closer(a.realKeyPair.publicKey, list[i - 1]!.publicKey, list[i]!.publicKey) < 0);
  }
  assert.ok(a.client.storedOn >= 10, `stored on ${a.client.storedOn}`);
  const storing = net.nodes.filter((n) => n.node.announceEntries > 0).length;
  assert.ok(storing >= 10);
  assert.equal(a.client.connectionStatus(net.clock.now()), "udp");
  net.stop();
});

Deno.test("OnionClient finds a friend's data key, then DHT-PK and a friend request reach it", () => {
  const net = new ClientNet({ nodes: 40, seed: 12 });
  const relay = {
    publicKey: new Uint8Array(32).fill(7),
    addr: { hostname: "127.0.0.1", port: 33445 },
    tcp: true,
  };
  const a = net.addClient();
  const b = net.addClient({ dhtPkNodes: () => [relay] });
  a.client.addFriend(b.realKeyPair.publicKey);
  b.client.addFriend(a.realKeyPair.publicKey);
  const sent = b.client.sendFriendRequest(
    a.realKeyPair.publicKey,
    a.client.nospam,
    new TextEncoder().encode("hello from b"),
    net.clock.now(),
  );
  assert.equal(sent, 0, "queued until A is found");
  const took = net.runUntil(() => eventsOf(a, "dhtpk").length > 0, 30_000);
  assert.ok(took !== undefined, "A got B's DHT-PK within 30 s");
  const found = eventsOf(b, "peer_found");
  assert.ok(found.length >= 1);
  assert.deepEqual(found[0]!.dataPublicKey, a.client.dataKeyPair.publicKey);
  const dhtpk = eventsOf(a, "dhtpk")[0]!;
  assert.deepEqual(dhtpk.publicKey, b.realKeyPair.publicKey);
  assert.deepEqual(dhtpk.dhtPublicKey, b.dhtKeyPair.publicKey);
  assert.deepEqual(dhtpk.nodes, [relay]);
  assert.equal(dhtpk.via, "onion");
  net.run(5_000);
  const reqs = eventsOf(a, "friend_request");
  assert.equal(reqs.length, 1, "copies through several announce nodes give one request");
  assert.equal(new TextDecoder().decode(reqs[0]!.message), "hello from b");
  assert.deepEqual(reqs[0]!.publicKey, b.realKeyPair.publicKey);
  assert.deepEqual(a.client.friendDhtKey(b.realKeyPair.publicKey), b.dhtKeyPair.publicKey);
  net.stop();
});

Deno.test("OnionClient rejects replayed DHT-PK packets and friend requests with a wrong nospam", () => {
  const net = new ClientNet({ nodes: 30, seed: 13 });
  const [a, b] = pair(net);
  assert.ok(net.runUntil(() => eventsOf(a, "dhtpk").length > 0, 30_000) !== undefined);
  const got = eventsOf(a, "dhtpk").length;
  const replays = a.client.stats.replays;
  for (const d of a.received) a.client.handlePacket(d, net.clock.now());
  net.flush(a);
  assert.equal(eventsOf(a, "dhtpk").length, got, "no new DHT-PK event from replays");
  assert.ok(a.client.stats.replays > replays);
  const wrong = a.client.nospam.map((x) => x ^ 1);
  b.client.sendFriendRequest(a.realKeyPair.publicKey, wrong, new Uint8Array([1]), net.clock.now());
  net.flush(b);
  net.run(3_000);
  assert.equal(eventsOf(a, "friend_request").length, 0);
  net.stop();
});

Deno.test("OnionClient sends DHT-PK again every 30 s and stops while the friend is connected", () => {
  const net = new ClientNet({ nodes: 30, seed: 14 });
  const [a, b] = pair(net);
  assert.ok(net.runUntil(() => eventsOf(a, "dhtpk").length > 0, 30_000) !== undefined);
  const first = eventsOf(a, "dhtpk").length;
  net.run(61_000);
  const later = eventsOf(a, "dhtpk").length;
  assert.ok(later - first >= 2 && later - first <= 3, `${later - first} more in 61 s`);
  b.client.setFriendConnected(a.realKeyPair.publicKey, true);
  net.run(61_000);
  assert.equal(eventsOf(a, "dhtpk").length, later);
  net.stop();
});

Deno.test("the DHT variant: B's routed DHT-PK opens at A only with B's DHT key as sender", () => {
  const net = new ClientNet({ nodes: 30, seed: 15 });
  const [a, b] = pair(net);
  assert.ok(
    net.runUntil(() => b.dht.length > 0, 40_000) !== undefined,
    "B routes DHT-PK once it knows A's DHT key",
  );
  const r = b.dht[0]!;
  assert.deepEqual(r.receiver, a.dhtKeyPair.publicKey);
  assert.equal(r.requestId, 0x9c);
  const before = eventsOf(a, "dhtpk").length;
  const dropped = a.client.stats.dropped;
  a.client.handleDhtRequest({
    requestId: 0x9c,
    data: r.data,
    senderPublicKey: a.dhtKeyPair.publicKey,
  }, 0);
  assert.equal(a.client.stats.dropped, dropped + 1, "sender mismatch dropped");
  a.client.handleDhtRequest({
    requestId: 0x9c,
    data: r.data,
    senderPublicKey: b.dhtKeyPair.publicKey,
  }, 0);
  net.flush(a);
  const ev = eventsOf(a, "dhtpk");
  assert.equal(ev.length, before + 1);
  assert.equal(ev[ev.length - 1]!.via, "dht");
  a.client.handleDhtRequest({
    requestId: 0x9c,
    data: r.data,
    senderPublicKey: b.dhtKeyPair.publicKey,
  }, 0);
  assert.ok(a.client.stats.replays >= 1);
  assert.equal(
    a.client.handleDhtRequest({
      requestId: 0xfe,
      data: r.data,
      senderPublicKey: b.dhtKeyPair.publicKey,
    }, 0),
    false,
  );
  net.stop();
});
