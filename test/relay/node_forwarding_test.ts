import assert from "node:assert/strict";
import { backend } from "../../lib/crypto/mod.ts";
import { decodeForwardPacket, encodeForwardPacket } from "../../lib/dht/forwarding_wire.ts";
import { RelayNode } from "../../lib/relay/mod.ts";
import { rawClient } from "./_raw_client.ts";

Deno.test("a relay node with forwarding sends a TCP forward request (id 10) on and the 0x92 reply back as id 11", async () => {
  await using node = await RelayNode.start({ keyPair: backend().keyPair(), forwarding: true });
  const dest = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const destPort = (dest.addr as Deno.NetAddr).port;
  const c = await rawClient(node);
  try {
    await c.send({ type: "ping", pingId: new Uint8Array(8).fill(1) });
    assert.ok(await c.next("pong"));
    await c.send({
      type: "forwardRequest",
      addr: { hostname: "127.0.0.1", port: destPort },
      data: Uint8Array.of(0x93, 1),
    });
    const [d, from] = await dest.receive();
    const p = decodeForwardPacket(d);
    assert.ok(p.type === "forwarding");
    assert.deepEqual(p.data, Uint8Array.of(0x93, 1));
    const reply = encodeForwardPacket({
      type: "reply",
      sendback: p.sendback,
      data: Uint8Array.of(0x94, 2),
    });
    await dest.send(reply, from);
    const back = await c.next("forwarding");
    assert.deepEqual(back, { type: "forwarding", data: Uint8Array.of(0x94, 2) });
    assert.equal(node.relay.core.stats().drops.no_forwarding, 0);
    assert.match(node.metrics(), /^peerkit_forwarding_replies_total 1$/m);
  } finally {
    c.close();
    dest.close();
  }
});
