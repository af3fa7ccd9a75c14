import assert from "node:assert/strict";
import { backend } from "../../lib/crypto/mod.ts";
import { VirtualClock } from "../../lib/net/clock.ts";
import { MemoryNetwork } from "../../lib/net/memory.ts";
import type { Stream } from "../../lib/net/types.ts";
import { RelayClient, RelayServerDriver } from "../../lib/relay/mod.ts";
import { withAccept } from "./_harness.ts";

/** A memory network whose accepted streams can be told to fail their writes. */
function failingNetwork(net: MemoryNetwork) {
  const accepted: { stream: Stream; fail: boolean }[] = [];
  const network = withAccept(net, async (l) => {
    const s = await l.accept();
    const entry = { stream: s, fail: false };
    accepted.push(entry);
    return {
      localAddr: s.localAddr,
      remoteAddr: s.remoteAddr,
      read: (b) => s.read(b),
      write: (d) => entry.fail ? Promise.reject(new Error("reset")) : s.write(d),
      close: () => s.close(),
      [Symbol.asyncDispose]: () => Promise.resolve(s.close()),
    };
  });
  return { network, accepted };
}

Deno.test("regression: a failed write tells the client's peers at once, not at the next tick", async () => {
  const net = new MemoryNetwork();
  const { network, accepted } = failingNetwork(net);
  // The driver's clock never advances: only the write-failure path can send the notification.
  await using relay = await RelayServerDriver.listen({
    keyPair: backend().keyPair(),
    hostname: "10.0.0.1",
    ports: [33445],
    network,
    clock: new VirtualClock(),
    rateBytesPerSecond: 0,
  });
  const addr = relay.addrs[0]!;
  await using a = new RelayClient({ keyPair: backend().keyPair(), network: net });
  // b does not redial soon: a new connection would also make the driver flush.
  await using b = new RelayClient({
    keyPair: backend().keyPair(),
    network: net,
    reconnectMs: 60_000,
  });
  a.addRelay(addr, relay.core.publicKey);
  await a.waitForRelays(1, 3000);
  b.addRelay(addr, relay.core.publicKey);
  await b.waitForRelays(1, 3000);
  a.addPeer(b.publicKey);
  b.addPeer(a.publicKey);
  await a.waitForPeer(b.publicKey, 3000);
  assert.equal(accepted.length, 2);
  accepted[1]!.fail = true; // b's socket at the relay
  assert.ok(a.send(b.publicKey, new Uint8Array([1, 2, 3])));
  const deadline = Date.now() + 2000;
  while (a.isOnline(b.publicKey) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.equal(a.isOnline(b.publicKey), false);
  assert.equal(relay.core.stats().clients, 1);
});
