import assert from "node:assert/strict";
import { backend } from "../../lib/crypto/mod.ts";
import { RelayServerDriver } from "../../lib/relay/mod.ts";
import { linkedPair } from "./_harness.ts";

Deno.test("1,000 half-open handshakes do not stop a new client from linking and routing", async () => {
  const kills: string[] = [];
  await using relay = await RelayServerDriver.listen({
    keyPair: backend().keyPair(),
    onKill: (_c, reason) => void kills.push(reason),
  });
  const { hostname, port } = relay.addrs[0]!;
  const conns: Deno.TcpConn[] = [];
  try {
    for (let i = 0; i < 1000; i++) {
      const c = await Deno.connect({ hostname, port });
      await c.write(new Uint8Array(64)); // half a handshake
      conns.push(c);
    }
    await using _pair = await linkedPair(relay, 5000);
    assert.ok(kills.filter((k) => k === "pending_evicted").length >= 1000 - 256);
    assert.ok(relay.core.stats().pending <= 256);
  } finally {
    for (const c of conns) {
      try {
        c.close();
      } catch { /* already closed by the relay */ }
    }
  }
});

Deno.test("a malformed frame closes only its own connection on real sockets", async () => {
  await using relay = await RelayServerDriver.listen({ keyPair: backend().keyPair() });
  await using pair = await linkedPair(relay);
  const { a, b } = pair;
  const bad = await Deno.connect(relay.addrs[0]!);
  try {
    await bad.write(new Uint8Array(128).fill(1)); // a handshake that does not open
    const buf = new Uint8Array(16);
    assert.equal(await bad.read(buf), null); // closed by the relay
  } finally {
    bad.close();
  }
  const got = Promise.withResolvers<string>();
  b.onData = (_p, d) => got.resolve(new TextDecoder().decode(d));
  assert.ok(a.send(b.publicKey, new TextEncoder().encode("still here")));
  assert.equal(await got.promise, "still here");
  assert.equal(relay.core.stats().kills.bad_handshake, 1);
});

Deno.test("the rate limit slows a sender through back-pressure and loses nothing", async () => {
  await using relay = await RelayServerDriver.listen({
    keyPair: backend().keyPair(),
    rateBytesPerSecond: 64 * 1024,
    rateBurstBytes: 16 * 1024,
  });
  await using pair = await linkedPair(relay);
  const { a, b } = pair;
  let received = 0;
  b.onData = (_p, d) => void (received += d.length);
  const chunk = new Uint8Array(1000);
  for (let i = 0; i < 128; i++) assert.ok(a.send(b.publicKey, chunk));
  const t0 = Date.now();
  await new Promise((r) => setTimeout(r, 500));
  // At 64 KiB/s with a 16 KiB burst, well under the 128 kB sent can have passed in 0.5 s.
  assert.ok(received < 100_000, `received ${received} bytes in 0.5 s`);
  while (received < 128_000 && Date.now() - t0 < 15_000) {
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal(received, 128_000);
  assert.equal(relay.core.stats().drops.queue_full, 0);
});
