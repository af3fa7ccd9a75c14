import assert from "node:assert/strict";
import { backend } from "../../lib/crypto/mod.ts";
import { RelayClient, RelayNode } from "../../lib/relay/mod.ts";

Deno.test("a relay node bootstraps its DHT from another and relays clients on two TCP ports", async () => {
  await using first = await RelayNode.start({ keyPair: backend().keyPair() });
  await using second = await RelayNode.start({
    keyPair: backend().keyPair(),
    tcpPorts: [0, 0],
    bootstrap: [{ addr: first.udpAddr, publicKey: first.publicKey }],
  });
  assert.equal(second.tcpAddrs.length, 2);
  const deadline = Date.now() + 5000;
  while (first.dht.node.closeListSize().entries === 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.ok(first.dht.node.closeListSize().entries >= 1);
  assert.ok(second.dht.node.closeListSize().entries >= 1);
  await using a = new RelayClient({ keyPair: backend().keyPair() });
  await using b = new RelayClient({ keyPair: backend().keyPair() });
  a.addRelay(second.tcpAddrs[0]!, second.publicKey);
  b.addRelay(second.tcpAddrs[1]!, second.publicKey);
  a.addPeer(b.publicKey);
  b.addPeer(a.publicKey);
  await a.waitForPeer(b.publicKey, 3000);
  assert.match(second.metrics(), /^peerkit_relay_online_routes 2$/m);
  assert.match(second.metrics(), /^peerkit_dht_close_nodes [1-9]/m);
});

Deno.test("an onion request through the relay reaches the onion layer (TCP id 8)", async () => {
  await using node = await RelayNode.start({ keyPair: backend().keyPair() });
  await using a = new RelayClient({ keyPair: backend().keyPair() });
  a.addRelay(node.tcpAddrs[0]!, node.publicKey);
  await a.waitForRelays(1, 3000);
  // A request that does not open at the next hop: the onion layer sees and drops it.
  const deadline = Date.now() + 3000;
  while (node.onion.stats.dropped === 0 && Date.now() < deadline) {
    a.sendOnionRequest(node.publicKey, new Uint8Array(300).fill(1));
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.ok(node.onion.stats.dropped >= 1);
  assert.equal(node.relay.core.stats().drops.no_onion, 0);
  assert.equal(a.relays()[0]!.state, "ready");
});

Deno.test("regression: a relay node that fails after binding (bad bootstrap key) closes its sockets", async () => {
  const kp = backend().keyPair();
  await assert.rejects(
    RelayNode.start({
      keyPair: kp,
      bootstrap: [{ addr: { hostname: "127.0.0.1", port: 33445 }, publicKey: new Uint8Array(5) }],
    }),
  );
  // The sanitizers fail this test if the UDP socket, the TCP listener or a loop was left open;
  // and the same key can start a node at once.
  await using again = await RelayNode.start({ keyPair: kp });
  assert.equal(again.tcpAddrs.length, 1);
});
