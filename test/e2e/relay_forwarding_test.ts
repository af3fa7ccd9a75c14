/**
 * `peerkit relay serve` forwards as tox-bootstrapd does: a 0x90 for a node it knows goes on
 * as 0x91, and the node's 0x92 reply comes back to the requester as `0x91 [0][reply]`.
 */
import assert from "node:assert/strict";
import { tweetnaclBackend as nacl } from "../../lib/crypto/backend.ts";
import { DhtDriver } from "../../lib/dht/driver.ts";
import { decodeForwardPacket, encodeForwardPacket } from "../../lib/dht/forwarding_wire.ts";
import { denoNetwork } from "../../lib/net/deno.ts";
import { fromHex } from "../../lib/util/bytes.ts";
import { spawnLoopbackRelay } from "../_support/relay_serve.ts";

Deno.test("relay serve forwards a 0x90 to a DHT node it knows and brings the 0x92 reply back", async () => {
  await using relay = await spawnLoopbackRelay();
  const relayAddr = { hostname: "127.0.0.1", port: relay.udpPort };
  const socket = await denoNetwork.bindDatagram({ hostname: "127.0.0.1", port: 0 });
  let forwarded = 0;
  const dest: DhtDriver = new DhtDriver({
    socket,
    node: { keyPair: nacl.keyPair() },
    onOtherPacket: (data, from) => {
      const p = data[0] === 0x91 ? decodeForwardPacket(data) : null;
      if (p?.type !== "forwarding") return;
      forwarded++;
      dest.send(encodeForwardPacket({ type: "reply", sendback: p.sendback, data: p.data }), from);
    },
  });
  await using _dest = dest;
  dest.start();
  dest.bootstrap(relayAddr, fromHex(relay.publicKeyHex));
  const request = encodeForwardPacket({
    type: "request",
    dest: dest.node.publicKey,
    data: Uint8Array.of(0x42),
  });
  const c = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  let answer: Uint8Array | null = null;
  const reading = (async () => {
    try {
      for (;;) {
        const [d] = await c.receive();
        if (d[0] === 0x91) return void (answer = d);
      }
    } catch { /* closed */ }
  })();
  try {
    // The relay adds the destination once it has answered its ping: retry until then.
    const end = Date.now() + 15_000;
    while (!answer && Date.now() < end) {
      await c.send(request, { transport: "udp", ...relayAddr });
      await new Promise((r) => setTimeout(r, 300));
    }
  } finally {
    c.close();
    await reading;
  }
  assert.ok(answer, relay.process.err());
  assert.deepEqual(answer, Uint8Array.of(0x91, 0, 0x42));
  assert.ok(forwarded >= 1);
});
