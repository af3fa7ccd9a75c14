import assert from "node:assert/strict";
import { keyEquals } from "../../lib/dht/distance.ts";
import type { RelayEntry } from "../../lib/onion/client_paths.ts";
import { ClientNet, eventsOf, type NetClient } from "./_client_net.ts";

function befriend(a: NetClient, b: NetClient): void {
  a.client.addFriend(b.realKeyPair.publicKey);
  b.client.addFriend(a.realKeyPair.publicKey);
}

Deno.test("OnionClient replaces a path whose hop died and stays reachable", () => {
  const net = new ClientNet({ nodes: 40, seed: 21 });
  const a = net.addClient(), b = net.addClient();
  befriend(a, b);
  assert.ok(net.runUntil(() => eventsOf(a, "dhtpk").length > 0, 30_000) !== undefined);
  const now = net.clock.now();
  const path = a.client.livePaths(now).find((p) => p.set === "announce")!;
  const hop = net.nodes.find((n) => keyEquals(n.keyPair.publicKey, path.nodes[0]!))!;
  hop.alive = false;
  const created = a.client.stats.pathsCreated;
  // Nodes whose announces went through the broken path stop answering; they are pinged again
  // in the same slot until the path is dead (4 unanswered uses, 4-10 s) and replaced, or they
  // drop out of the list (3 missed pings). Stored nodes are pinged every 15 s: give it 90 s.
  net.run(90_000);
  const later = net.clock.now();
  const stale = a.client.announceNodes.filter((e) => e.pathId === path.id);
  assert.deepEqual(stale, [], "no announce node still relies on the broken path");
  const dead = hop.keyPair.publicKey;
  const live = a.client.livePaths(later);
  for (const e of a.client.announceNodes.filter((e) => e.isStored === 2)) {
    const p = live.find((x) => x.id === e.pathId);
    if (p) assert.ok(!p.nodes.some((k) => keyEquals(k, dead)), "no stored node via the dead hop");
  }
  assert.ok(a.client.stats.pathsCreated > created, "a new path was made");
  assert.ok(a.client.storedOn >= 8, `still stored on ${a.client.storedOn} nodes`);
  assert.ok(b.client.sendData(a.realKeyPair.publicKey, new Uint8Array([0x42, 7]), later) > 0);
  net.flush(b);
  net.run(2_000);
  const data = eventsOf(a, "data");
  assert.equal(data.length >= 1, true, "data still reaches A");
  assert.deepEqual([data[0]!.id, ...data[0]!.data], [0x42, 7]);
  net.stop();
});

Deno.test("OnionClient pairs still find each other with 5 % datagram loss", () => {
  const net = new ClientNet({ nodes: 60, seed: 22, loss: 0.05 });
  const pairs: [NetClient, NetClient][] = [];
  for (let i = 0; i < 5; i++) {
    const a = net.addClient(), b = net.addClient();
    befriend(a, b);
    pairs.push([a, b]);
  }
  const both = () =>
    pairs.every(([a, b]) => eventsOf(a, "dhtpk").length > 0 && eventsOf(b, "dhtpk").length > 0);
  const took = net.runUntil(both, 120_000);
  assert.ok(took !== undefined, "every pair exchanged DHT-PK within 120 s");
  assert.ok(net.net.stats.lost > 0, "the loss model dropped datagrams");
  net.stop();
});

Deno.test("OnionClient with UDP blocked announces and is reached through a TCP relay as hop A", () => {
  const net = new ClientNet({ nodes: 30, seed: 23 });
  const links: RelayEntry[] = [];
  const a = net.addClient({ udp: false, relays: () => links });
  links.push(net.relayFor(0, a));
  const b = net.addClient();
  befriend(a, b);
  b.client.sendFriendRequest(
    a.realKeyPair.publicKey,
    a.client.nospam,
    new Uint8Array([104, 105]),
    net.clock.now(),
  );
  assert.ok(net.runUntil(() => eventsOf(a, "friend_request").length > 0, 30_000) !== undefined);
  assert.ok(eventsOf(a, "announced").length === 1);
  assert.equal(a.sent.udp, 0, "nothing went out over UDP");
  assert.ok(a.sent.relay > 0);
  assert.ok(a.client.livePaths(net.clock.now()).every((p) => p.relay === "relay0"));
  assert.equal(a.client.connectionStatus(net.clock.now()), "tcp");
  assert.ok(
    net.runUntil(() => eventsOf(b, "dhtpk").length > 0, 30_000) !== undefined,
    "B hears A's DHT-PK",
  );
  net.stop();
});

Deno.test("OnionClient goes offline 75 s after the last onion answer", () => {
  const net = new ClientNet({ nodes: 20, seed: 24 });
  const a = net.addClient();
  assert.ok(
    net.runUntil(() => a.client.connectionStatus(net.clock.now()) === "udp", 10_000) !== undefined,
  );
  for (const n of net.nodes) n.alive = false;
  const t0 = net.clock.now();
  net.run(70_000);
  assert.equal(a.client.connectionStatus(net.clock.now()), "udp");
  net.run(6_000);
  assert.equal(a.client.connectionStatus(net.clock.now()), "offline");
  assert.ok(net.clock.now() - t0 < 80_000);
  assert.equal(a.client.storedOn, 0, "dead announce nodes were dropped");
  net.stop();
});
