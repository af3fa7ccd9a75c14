import assert from "node:assert/strict";
import { backend } from "../../lib/crypto/mod.ts";
import { RelayNode } from "../../lib/relay/node.ts";
import { RelayClient } from "../../lib/relay/client_driver.ts";
import { decodeControl, encodeControl } from "../../lib/punch/rendezvous.ts";
import { toHex } from "../../lib/util/bytes.ts";

Deno.test("relay node: an out-of-band packet to the relay's own key reaches the punch rendezvous, which answers from the relay's key", async () => {
  const node = await RelayNode.start({ keyPair: backend().keyPair() });
  const client = new RelayClient({ keyPair: backend().keyPair() });
  try {
    client.addRelay(node.tcpAddrs[0]!, node.publicKey);
    await client.waitForRelays(1, 5000);
    const got: { from: string; data: Uint8Array }[] = [];
    client.on("oob", (from, data) => got.push({ from: toHex(from), data }));
    const absent = "cd".repeat(32);
    client.sendOob(
      node.publicKey,
      encodeControl({ t: "meet", peer: absent, nat: "easy" }),
      node.publicKey,
    );
    for (let i = 0; i < 200 && got.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(got.length, 1);
    assert.equal(got[0]!.from, toHex(node.publicKey));
    assert.deepEqual(decodeControl(got[0]!.data), {
      t: "refused",
      peer: absent,
      why: "peer not connected to this relay",
    });
  } finally {
    await client.close();
    await node.close();
  }
});
