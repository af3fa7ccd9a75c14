import assert from "node:assert/strict";
import { backend } from "../../lib/crypto/mod.ts";
import type { ListNode } from "../../lib/onion/client_list.ts";
import { ClientNet } from "./_client_net.ts";

/** Pings sent to the nodes of `list()` during `ms`, sampled once per virtual second. */
function pingsDuring(net: ClientNet, list: () => readonly ListNode[], ms: number): number {
  let pings = 0;
  for (let t = 0; t < ms; t += 1000) {
    net.run(1000);
    // Rounds run on whole seconds from the start; a ping made in this second is at most 1 s old.
    pings += list().filter((e) =>
      e.lastPinged !== undefined && net.clock.now() - e.lastPinged < 1000
    ).length;
  }
  return pings;
}

Deno.test("searches for an absent friend run every 3 s for 17 rounds, then every 90 s", () => {
  const net = new ClientNet({ nodes: 30, seed: 51 });
  const b = net.addClient();
  const absent = backend().keyPair().publicKey;
  b.client.addFriend(absent);
  const list = () => b.client.searchNodes(absent);
  const early = pingsDuring(net, list, 15_000);
  assert.equal(list().length, 8);
  assert.ok(early >= 8 * 3, `${early} search pings in the first 15 s`);
  net.run(10_000);
  const late = pingsDuring(net, list, 90_000);
  // 8 nodes at 90 s plus about one random ping per 90 / 8 s; the 3 s schedule would be 240.
  assert.ok(late >= 8 && late <= 30, `${late} search pings in 90 s after the fast rounds`);
  net.stop();
});

Deno.test("no searches while the friend is marked connected; going offline restarts them", () => {
  const net = new ClientNet({ nodes: 30, seed: 52 });
  const b = net.addClient();
  const friend = backend().keyPair().publicKey;
  b.client.addFriend(friend);
  net.run(5_000);
  b.client.setFriendConnected(friend, true, net.clock.now());
  const list = () => b.client.searchNodes(friend);
  assert.equal(pingsDuring(net, list, 30_000), 0);
  b.client.setFriendConnected(friend, false, net.clock.now());
  assert.ok(pingsDuring(net, list, 6_000) >= 8, "fast searches again");
  net.stop();
});

Deno.test("announces to nodes that store us slow from 3 s to 15 s, then 120 s once stable", () => {
  const net = new ClientNet({ nodes: 30, seed: 53 });
  const a = net.addClient();
  const list = () => a.client.announceNodes;
  net.run(20_000);
  assert.ok(a.client.storedOn >= 10);
  const settled = pingsDuring(net, list, 60_000);
  // 12 nodes every 15 s: about 48 in 60 s (3 s would be 240).
  assert.ok(settled >= 30 && settled <= 70, `${settled} announces in 60 s while settling`);
  net.run(60_000);
  const stable = pingsDuring(net, list, 120_000);
  // 12 nodes every 120 s plus one random announce per 15 s quiet spell.
  assert.ok(stable <= 30, `${stable} announces in 120 s once stable`);
  assert.ok(a.client.storedOn >= 10, "still stored");
  net.stop();
});

Deno.test("a node that missed 3 pings is not pinged again and leaves the list 15 s later", () => {
  const net = new ClientNet({ nodes: 30, seed: 54 });
  // Pings every 3 s, faster than the 15 s timeout: without the rule the dead node would be
  // pinged for ever and never time out.
  const a = net.addClient({ timings: { nodePingIntervalMs: 3_000 } });
  net.run(20_000);
  const node = a.client.announceNodes[0]!;
  const target = net.nodes.find((n) =>
    n.keyPair.publicKey.every((b, i) => b === node.publicKey[i])
  )!;
  target.alive = false;
  const pings = new Set<number>();
  let goneAt: number | undefined;
  for (let t = 0; t < 90; t++) {
    net.run(1000);
    if (node.lastPinged !== undefined) pings.add(node.lastPinged);
    if (goneAt === undefined && !a.client.announceNodes.includes(node)) goneAt = net.clock.now();
  }
  const before = [...pings].filter((x) => x < goneAt!);
  // The ping in flight when it died may be among them: at most one more than the limit.
  assert.ok(before.length >= 3 && before.length <= 4, `${before.length} pings after it died`);
  assert.ok(goneAt !== undefined, "dropped from the list");
  assert.ok(goneAt! - Math.max(...before) >= 15_000, "15 s after the last ping");
  assert.ok(a.client.storedOn >= 10, "the others still store us");
  net.stop();
});
