import assert from "node:assert/strict";
import { tweetnaclBackend as nacl } from "../../lib/crypto/backend.ts";
import { RelayNode } from "../../lib/relay/node.ts";

Deno.test("relay serve's one UDP socket: unknown kinds are counted in the metrics, the DHT still answers", async () => {
  await using n = await RelayNode.start({ keyPair: nacl.keyPair() });
  const probe = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  try {
    const to = { transport: "udp" as const, hostname: "127.0.0.1", port: n.udpAddr.port };
    for (const k of [0x77, 0x99, 0xfe]) await probe.send(new Uint8Array([k, 1, 2]), to);
    const end = Date.now() + 3000;
    while (n.dht.host.table.stats.unknown < 3 && Date.now() < end) {
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.match(n.metrics(), /^peerkit_udp_unknown_total 3$/m);
    assert.match(n.metrics(), /^peerkit_udp_handler_errors_total 0$/m);
    assert.equal(n.dht.host.table.route(new Uint8Array([0x83]))?.layer, "onion");
    assert.equal(n.dht.host.table.route(new Uint8Array([0x02]))?.layer, "dht");
  } finally {
    probe.close();
  }
});
