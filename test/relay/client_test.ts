import assert from "node:assert/strict";
import { backend } from "../../lib/crypto/mod.ts";
import { PeerkitError } from "../../lib/util/errors.ts";
import {
  acceptClientHandshake,
  FrameCodec,
  RelayClient,
  RelayClientConnection,
  RelayServerDriver,
} from "../../lib/relay/mod.ts";

const enc = new TextEncoder(), dec = new TextDecoder();

/** A client link wired to a bare server-side codec, to feed it arbitrary packets. */
function linked() {
  const server = backend().keyPair();
  const c = new RelayClientConnection({
    keyPair: backend().keyPair(),
    serverPublicKey: server.publicKey,
    now: 0,
  });
  const acc = acceptClientHandshake(server, c.takeOutput()!)!;
  c.receive(acc.reply, 0);
  const codec = new FrameCodec(acc.session);
  return { c, push: (plain: number[]) => c.receive(codec.seal(Uint8Array.from(plain)), 0) };
}

Deno.test("client link: ready after the server handshake, then confirms with a ping", () => {
  const { c } = linked();
  assert.equal(c.state, "ready");
  assert.deepEqual(c.pollEvents(), [{ type: "ready" }]);
  assert.equal(c.takeOutput()?.length, 2 + 16 + 9);
});

Deno.test("client link: ids a client never expects, and one-byte packets, end the link", () => {
  for (
    const bad of [
      [0, ...new Uint8Array(32)],
      [6, ...new Uint8Array(33)],
      [8, 1],
      [10, 2],
      [12, 0],
      [16],
    ]
  ) {
    const { c, push } = linked();
    c.pollEvents();
    push(bad);
    assert.equal(c.state, "closed", String(bad.slice(0, 2)));
  }
});

Deno.test("client link: answers server pings, reports data, times out without a pong", () => {
  const { c, push } = linked();
  c.pollEvents();
  c.takeOutput();
  push([4, 1, 2, 3, 4, 5, 6, 7, 8]);
  assert.equal(c.takeOutput()?.length, 2 + 16 + 9);
  push([17, 0xaa]);
  assert.deepEqual(c.pollEvents(), [{ type: "data", connId: 17, data: new Uint8Array([0xaa]) }]);
  c.handleTimeout(10_000); // the confirming ping is unanswered
  assert.equal(c.state, "closed");
});

Deno.test("a client survives the loss of one of two relays without losing its peer", async () => {
  await using r1 = await RelayServerDriver.listen({ keyPair: backend().keyPair() });
  await using r2 = await RelayServerDriver.listen({ keyPair: backend().keyPair() });
  await using a = new RelayClient({ keyPair: backend().keyPair(), reconnectMs: 100 });
  await using b = new RelayClient({ keyPair: backend().keyPair(), reconnectMs: 100 });
  const got: string[] = [];
  b.onData = (_p, d) => void got.push(dec.decode(d));
  const offline: string[] = [];
  a.onPeer = (_p, online) => online ? undefined : void offline.push("b");
  for (const c of [a, b]) {
    c.addRelay(r1.addrs[0]!, r1.core.publicKey);
    c.addRelay(r2.addrs[0]!, r2.core.publicKey);
  }
  a.addPeer(b.publicKey);
  b.addPeer(a.publicKey);
  await a.waitForPeer(b.publicKey, 3000);
  const deadline = Date.now() + 3000;
  while (a.relays().some((r) => r.onlinePeers === 0) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.deepEqual(a.relays().map((r) => r.onlinePeers), [1, 1]);
  await r1.close();
  const deadline2 = Date.now() + 3000;
  while (a.relays()[0]!.state === "ready" && Date.now() < deadline2) {
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.equal(a.isOnline(b.publicKey), true);
  assert.deepEqual(offline, []);
  assert.ok(a.send(b.publicKey, enc.encode("after failover")));
  const deadline3 = Date.now() + 3000;
  while (got.length === 0 && Date.now() < deadline3) await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(got, ["after failover"]);
  assert.ok(r2.core.stats().packetsRelayed >= 1);
});

Deno.test("a relay that comes back is rejoined and its routes restored", async () => {
  const kp = backend().keyPair();
  let relay = await RelayServerDriver.listen({ keyPair: kp });
  const addr = relay.addrs[0]!;
  await using a = new RelayClient({ keyPair: backend().keyPair(), reconnectMs: 100 });
  await using b = new RelayClient({ keyPair: backend().keyPair(), reconnectMs: 100 });
  try {
    for (const c of [a, b]) c.addRelay(addr, kp.publicKey);
    a.addPeer(b.publicKey);
    b.addPeer(a.publicKey);
    await a.waitForPeer(b.publicKey, 3000);
    await relay.close();
    const deadline = Date.now() + 3000;
    while (a.isOnline(b.publicKey) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.equal(a.isOnline(b.publicKey), false);
    relay = await RelayServerDriver.listen({ keyPair: kp, ports: [addr.port] });
    await a.waitForPeer(b.publicKey, 5000);
    await b.waitForPeer(a.publicKey, 5000);
    assert.ok(a.send(b.publicKey, enc.encode("x")));
  } finally {
    await relay.close();
  }
});

Deno.test("regression: closing a RelayClient rejects its waits at once and leaves no timer", async () => {
  const c = new RelayClient({ keyPair: backend().keyPair() });
  const relays = c.waitForRelays(1, 60_000);
  const peer = c.waitForPeer(backend().keyPair().publicKey, 60_000);
  const started = Date.now();
  await c.close();
  for (const p of [relays, peer]) {
    await assert.rejects(p, (e: PeerkitError) => e.code === "RELAY_CLOSED");
  }
  assert.ok(Date.now() - started < 5000);
  await assert.rejects(c.waitForRelays(1, 60_000), (e: PeerkitError) => e.code === "RELAY_CLOSED");
});
