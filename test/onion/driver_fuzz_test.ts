/** OnionDriver under garbage: truncated and bit-flipped onion datagrams are counted, never thrown. */
import assert from "node:assert/strict";
import { backend } from "../../lib/crypto/mod.ts";
import { DhtDriver } from "../../lib/dht/driver.ts";
import { MemoryNetwork } from "../../lib/net/memory.ts";
import { ONION_CLIENT_KINDS, ONION_NODE_KINDS, OnionDriver } from "../../lib/onion/driver.ts";
import { seededRandom } from "../../lib/onion/client_paths.ts";

Deno.test("OnionDriver: truncated, bit-flipped and random onion datagrams are dropped and counted", async () => {
  const net = new MemoryNetwork();
  const socket = await net.bindDatagram({ hostname: "10.0.0.1", port: 1 });
  const dhtKeyPair = backend().keyPair();
  await using dht = new DhtDriver({ socket, node: { keyPair: dhtKeyPair } });
  await using onion = new OnionDriver({
    dht,
    dhtKeyPair,
    realKeyPair: backend().keyPair(),
    serveOnion: true,
  });
  const random = seededRandom(5);
  const from = { hostname: "10.0.0.2", port: 2 };
  const table = dht.host.table;
  let sent = 0;
  for (const kind of [...ONION_CLIENT_KINDS, ...ONION_NODE_KINDS]) {
    for (let i = 0; i < 200; i++) {
      const len = 1 + (random(2)[0]! * 4) % 700;
      const data = random(len);
      data[0] = kind;
      // Every length from 1 to len (truncation) for a few, bit flips for the rest.
      if (i < 5) {
        for (let n = 1; n <= data.length; n += 7) table.dispatch(data.subarray(0, n), from, i);
      } else {
        data[1 + (i % Math.max(1, len - 1))]! ^= 1 << (i % 8);
        table.dispatch(data, from, i);
      }
      sent++;
    }
  }
  assert.ok(sent > 0);
  assert.equal(table.stats.errors.size, 0, "no handler threw");
  assert.ok(onion.client.stats.dropped > 0, "client counted drops");
  assert.ok((onion.node?.stats.dropped ?? 0) > 0, "node counted drops");
});
