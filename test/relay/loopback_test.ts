import assert from "node:assert/strict";
import { backend } from "../../lib/crypto/mod.ts";
import { RelayClient, RelayServerDriver } from "../../lib/relay/mod.ts";
import { equals } from "../../lib/util/bytes.ts";

const enc = new TextEncoder(), dec = new TextDecoder();

function inbox(c: RelayClient) {
  const got: { peer: Uint8Array; text: string }[] = [];
  const waiters: (() => void)[] = [];
  c.onData = (peer, data) => {
    got.push({ peer, text: dec.decode(data) });
    for (const w of waiters.splice(0)) w();
  };
  return {
    got,
    async next(ms = 3000): Promise<string> {
      const deadline = Date.now() + ms;
      while (got.length === 0) {
        if (Date.now() > deadline) throw new Error("no data");
        await new Promise<void>((r) => {
          const t = setTimeout(r, 50);
          waiters.push(() => (clearTimeout(t), r()));
        });
      }
      return got.shift()!.text;
    },
  };
}

Deno.test("two clients reach each other through a loopback relay and exchange data", async () => {
  await using relay = await RelayServerDriver.listen({ keyPair: backend().keyPair() });
  const addr = relay.addrs[0]!;
  await using a = new RelayClient({ keyPair: backend().keyPair() });
  await using b = new RelayClient({ keyPair: backend().keyPair() });
  const ia = inbox(a), ib = inbox(b);
  a.addRelay(addr, relay.core.publicKey);
  b.addRelay(addr, relay.core.publicKey);
  a.addPeer(b.publicKey);
  b.addPeer(a.publicKey);
  await a.waitForPeer(b.publicKey, 3000);
  await b.waitForPeer(a.publicKey, 3000);
  assert.ok(a.send(b.publicKey, enc.encode("hello b")));
  assert.equal(await ib.next(), "hello b");
  assert.ok(b.send(a.publicKey, enc.encode("hello a")));
  assert.equal(await ia.next(), "hello a");
  const s = relay.core.stats();
  assert.equal(s.clients, 2);
  assert.equal(s.onlineRoutes, 2);
  assert.equal(s.packetsRelayed, 2);
});

Deno.test("out-of-band packets reach a client that has no route yet", async () => {
  await using relay = await RelayServerDriver.listen({ keyPair: backend().keyPair() });
  const addr = relay.addrs[0]!;
  await using a = new RelayClient({ keyPair: backend().keyPair() });
  await using b = new RelayClient({ keyPair: backend().keyPair() });
  const got = Promise.withResolvers<{ sender: Uint8Array; text: string }>();
  b.onOob = (sender, data) => got.resolve({ sender, text: dec.decode(data) });
  a.addRelay(addr, relay.core.publicKey);
  b.addRelay(addr, relay.core.publicKey);
  await a.waitForRelays(1, 3000);
  await b.waitForRelays(1, 3000);
  // The relay knows b only once b's first packet arrived: retry, bounded.
  const box: { r: { sender: Uint8Array; text: string } | null } = { r: null };
  got.promise.then((v) => box.r = v);
  for (let i = 0; i < 30 && !box.r; i++) {
    assert.equal(a.sendOob(b.publicKey, enc.encode("knock")), 1);
    await new Promise((res) => setTimeout(res, 100));
  }
  const r = box.r;
  assert.ok(r !== null);
  assert.equal(r.text, "knock");
  assert.ok(equals(r.sender, a.publicKey));
});
