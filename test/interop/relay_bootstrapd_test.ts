/**
 * peerkit relay clients against a real c-toxcore relay (tox-bootstrapd 0.2.18).
 */
import assert from "node:assert/strict";
import { backend } from "../../lib/crypto/mod.ts";
import { RelayClient } from "../../lib/relay/mod.ts";
import { equals } from "../../lib/util/bytes.ts";
import { needs } from "../_support/env.ts";
import { startBootstrapd } from "../_support/toxcore.ts";

const enc = new TextEncoder(), dec = new TextDecoder();

function collect(c: RelayClient): string[] {
  const got: string[] = [];
  c.onData = (_peer, data) => void got.push(dec.decode(data));
  return got;
}

async function until(ok: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

Deno.test({
  name: "two peerkit clients route data and out-of-band packets through tox-bootstrapd",
  ...needs(["tox-bootstrapd"]),
  async fn() {
    await using d = await startBootstrapd();
    const addr = { hostname: "127.0.0.1", port: d.tcpPort };
    await using a = new RelayClient({ keyPair: backend().keyPair() });
    await using b = new RelayClient({ keyPair: backend().keyPair() });
    const ga = collect(a), gb = collect(b);
    const oob: { sender: Uint8Array; text: string }[] = [];
    b.onOob = (sender, data) => void oob.push({ sender, text: dec.decode(data) });
    a.addRelay(addr, d.publicKey);
    b.addRelay(addr, d.publicKey);
    await a.waitForRelays(1, 5000);
    await b.waitForRelays(1, 5000);
    // Out of band first: b is known to the relay once its first packet (a ping) arrived.
    for (let i = 0; i < 50 && oob.length === 0; i++) {
      a.sendOob(b.publicKey, enc.encode("oob hello"));
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(oob[0]?.text, "oob hello");
    assert.ok(equals(oob[0]!.sender, a.publicKey));

    a.addPeer(b.publicKey);
    b.addPeer(a.publicKey);
    await a.waitForPeer(b.publicKey, 5000);
    await b.waitForPeer(a.publicKey, 5000);
    const big = new Uint8Array(2000).fill(0x41);
    assert.ok(a.send(b.publicKey, enc.encode("to b")));
    assert.ok(a.send(b.publicKey, big));
    assert.ok(b.send(a.publicKey, enc.encode("to a")));
    await until(() => gb.length >= 2 && ga.length >= 1, 5000, "relayed data");
    assert.equal(gb[0], "to b");
    assert.equal(gb[1], "A".repeat(2000));
    assert.equal(ga[0], "to a");

    // A peer that drops its route: the other side sees it go offline.
    const offline = Promise.withResolvers<void>();
    b.onPeer = (_p, online) => online ? undefined : offline.resolve();
    a.removePeer(b.publicKey);
    await offline.promise;
    assert.equal(b.isOnline(a.publicKey), false);
  },
});

Deno.test({
  name:
    "a peerkit client on tox-bootstrapd and a peerkit relay keeps its peer when the daemon dies",
  ...needs(["tox-bootstrapd"]),
  async fn() {
    const { RelayServerDriver } = await import("../../lib/relay/mod.ts");
    const d = await startBootstrapd();
    try {
      await using ours = await RelayServerDriver.listen({ keyPair: backend().keyPair() });
      await using a = new RelayClient({ keyPair: backend().keyPair(), reconnectMs: 200 });
      await using b = new RelayClient({ keyPair: backend().keyPair(), reconnectMs: 200 });
      const gb = collect(b);
      const offline: boolean[] = [];
      a.onPeer = (_p, online) => void (online || offline.push(online));
      for (const c of [a, b]) {
        c.addRelay({ hostname: "127.0.0.1", port: d.tcpPort }, d.publicKey);
        c.addRelay(ours.addrs[0]!, ours.core.publicKey);
      }
      a.addPeer(b.publicKey);
      b.addPeer(a.publicKey);
      await until(
        () => a.relays().every((r) => r.onlinePeers === 1),
        5000,
        "routes on both relays",
      );
      await d.stop();
      await until(() => a.relays()[0]!.state !== "ready", 5000, "tox-bootstrapd link down");
      assert.ok(a.isOnline(b.publicKey));
      assert.deepEqual(offline, []);
      assert.ok(a.send(b.publicKey, enc.encode("moved to the peerkit relay")));
      await until(() => gb.length === 1, 5000, "data after failover");
      assert.equal(gb[0], "moved to the peerkit relay");
    } finally {
      await d.stop();
    }
  },
});
