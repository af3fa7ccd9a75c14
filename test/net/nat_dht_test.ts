import assert from "node:assert/strict";
import { type Endpoint, formatAddr, MemoryNetwork, Nat, VirtualClock } from "../../lib/net/mod.ts";
import { DhtNode } from "../../lib/dht/node.ts";
import { simulationCipher } from "../../lib/dht/cipher.ts";

Deno.test("a DHT node behind a port-restricted NAT joins a public one; each sees the other's public address", () => {
  const clock = new VirtualClock();
  const net = new MemoryNetwork({ clock, latencyMs: 10 });
  const nat = new Nat(net, { publicIp: "203.0.113.1", preset: "port-restricted" });
  let n = 0;
  const random = (k: number) =>
    new Uint8Array(k).map(() => (n = (n * 1103515245 + 12345) >>> 0) >>> 24);
  const make = (on: { attach: MemoryNetwork["attach"] }, hostname: string, fill: number) => {
    const publicKey = new Uint8Array(32).fill(fill);
    const node = new DhtNode({
      keyPair: { publicKey, secretKey: new Uint8Array(32).fill(fill + 1) },
      cipher: simulationCipher(publicKey),
      random,
      lanDiscovery: false,
    });
    const flush = () => {
      for (let t; (t = node.pollTransmit());) ep.send(t.data, t.to);
    };
    const ep: Endpoint = on.attach({ hostname, port: 33445 }, (d, from) => {
      node.handlePacket(d, from, clock.now());
      flush();
    });
    return { node, ep, flush };
  };
  const pub = make(net, "203.0.113.10", 1);
  const priv = make(nat, "10.0.1.2", 7);
  priv.node.bootstrap(pub.ep.addr, pub.node.publicKey, clock.now());
  priv.flush();
  for (let s = 0; s < 20; s++) {
    clock.advance(1000);
    for (const x of [pub, priv]) {
      x.node.handleTimeout(clock.now());
      x.flush();
    }
  }
  const seenByPub = pub.node.closestNodes(priv.node.publicKey, 1)[0];
  assert.equal(seenByPub && formatAddr(seenByPub.addr), "203.0.113.1:33445");
  const seenByPriv = priv.node.closestNodes(pub.node.publicKey, 1)[0];
  assert.equal(seenByPriv && formatAddr(seenByPriv.addr), "203.0.113.10:33445");
  assert.ok(nat.stats.inbound > 0 && nat.stats.outbound > 0);
});
