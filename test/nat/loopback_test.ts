import assert from "node:assert/strict";
import { needs } from "../_support/env.ts";
import { discoverNat } from "../../lib/nat/driver.ts";
import { IP1, runStunClient, serveStun, startCoturn } from "./_loopback.ts";
import { StunResponder } from "../../lib/nat/responder.ts";
import { StunResponderDriver } from "../../lib/nat/responder_driver.ts";
import { isStunPacket } from "../../lib/nat/wire.ts";
import { denoNetwork } from "../../lib/net/deno.ts";

const FAST = { rto: 100, attempts: 3, rm: 3 };

Deno.test("discoverNat() against our responder on loopback: no NAT in the way", async () => {
  await using stun = await serveStun();
  const r = await discoverNat({
    servers: [stun.primary],
    bind: { hostname: IP1, port: 0 },
    ...FAST,
  });
  assert.equal(r.udp, true);
  assert.equal(r.mapped?.hostname, IP1);
  assert.equal(r.mapped?.port, r.local?.port);
  assert.deepEqual(r.servers[0]?.other, stun.alternate);
  assert.equal(r.mapping, "endpoint-independent");
  assert.equal(r.filtering, "endpoint-independent");
  assert.equal(r.hairpinning, "yes");
  assert.equal(r.preservesPort, "yes");
  assert.ok(r.servers[0]!.rttMs! < 1000);
  // Tests I-III of mapping and II-III of filtering; the hairpin request comes back to us.
  assert.equal(stun.responder.stats.answered, 5);
});

Deno.test("discoverNat() to a port nobody serves: UDP blocked, after the bounded schedule", async () => {
  await using stun = await serveStun();
  const silent = { hostname: IP1, port: stun.primary.port };
  await stun[Symbol.asyncDispose]();
  const t0 = performance.now();
  const r = await discoverNat({ servers: [silent], bind: { hostname: IP1, port: 0 }, ...FAST });
  assert.equal(r.udp, false);
  assert.equal(r.mapping, "unknown");
  // 100 + 200 ms between requests, then 3 x 100 ms: about 600 ms.
  assert.ok(performance.now() - t0 < 3000);
});

Deno.test({
  name: "coturn on loopback: XOR-MAPPED-ADDRESS is our socket, OTHER-ADDRESS offered, no NAT",
  ...needs(["turnserver"]),
  async fn() {
    await using coturn = await startCoturn();
    const r = await discoverNat({
      servers: [coturn.primary],
      bind: { hostname: IP1, port: 0 },
      ...FAST,
    });
    assert.equal(r.udp, true, coturn.log().slice(-1000));
    assert.deepEqual(r.mapped, r.local);
    assert.deepEqual(r.servers[0]?.other, coturn.alternate);
    assert.match(r.servers[0]?.software ?? "", /Coturn/i);
    assert.equal(r.mapping, "endpoint-independent");
    assert.equal(r.filtering, "endpoint-independent");
    assert.equal(r.hairpinning, "yes");
    assert.equal(r.preservesPort, "yes");
  },
});

Deno.test({
  name: "coturn and our responder give the same verdicts on loopback",
  ...needs(["turnserver"]),
  async fn() {
    await using coturn = await startCoturn();
    await using ours = await serveStun();
    const bind = { hostname: IP1, port: 0 };
    const a = await discoverNat({ servers: [coturn.primary], bind, ...FAST });
    const b = await discoverNat({ servers: [ours.primary], bind, ...FAST });
    const verdict = (
      x: typeof a,
    ) => [x.udp, x.mapping, x.filtering, x.hairpinning, x.preservesPort];
    assert.deepEqual(verdict(b), verdict(a));
  },
});

Deno.test({
  name: "Debian's stun client gets correct answers from our responder",
  ...needs(["stun"]),
  async fn() {
    await using ours = await serveStun();
    const text = await runStunClient(`${ours.primary.hostname}:${ours.primary.port}`);
    assert.match(text, /Primary: Open/, text.slice(-2000));
    const alt = ours.alternate!;
    assert.ok(text.includes(`ChangedAddress = ${alt.hostname}:${alt.port}`), text.slice(-3000));
    assert.ok(
      text.includes(`SourceAddress = ${alt.hostname}:${ours.primary.port}`),
      text.slice(-3000),
    );
    assert.ok(ours.responder.stats.answered >= 3);
  },
});

Deno.test("discoverNat() over IPv6 loopback against a one-address responder", async () => {
  const responder = new StunResponder({ primary: { hostname: "::1", port: 0 } });
  await using d = await StunResponderDriver.bind(responder);
  const server = d.addresses[0]!;
  const r = await discoverNat({ servers: [server], bind: { hostname: "::1", port: 0 }, ...FAST });
  assert.equal(r.udp, true);
  assert.deepEqual(r.mapped, r.local);
  assert.equal(r.mapped?.hostname, "::1");
  assert.equal(r.servers[0]?.other, null);
  assert.equal(r.mapping, "unknown");
  assert.equal(r.filtering, "unknown");
  assert.equal(r.hairpinning, "yes");
  assert.equal(r.preservesPort, "yes");
});

Deno.test("a UDP port shared with the DHT: STUN goes to the responder, the rest elsewhere", async () => {
  const shared = await denoNetwork.bindDatagram({ hostname: IP1, port: 0 });
  const responder = new StunResponder({ primary: shared.localAddr });
  await using d = await StunResponderDriver.bind(responder, { shared });
  const other: Uint8Array[] = [];
  const owner = (async () => {
    for (;;) {
      const dg = await shared.receive().catch(() => null);
      if (!dg) return;
      if (isStunPacket(dg.data)) await d.handle(dg, shared.localAddr);
      else other.push(dg.data);
    }
  })();
  const ping = crypto.getRandomValues(new Uint8Array(82));
  ping[0] = 0x00;
  const client = await denoNetwork.bindDatagram({ hostname: IP1, port: 0 });
  await client.send(ping, shared.localAddr);
  const r = await discoverNat({
    servers: [shared.localAddr],
    bind: { hostname: IP1, port: 0 },
    ...FAST,
  });
  client.close();
  shared.close();
  await owner;
  assert.equal(r.udp, true);
  assert.equal(other.length, 1);
  assert.deepEqual(other[0], ping);
  assert.equal(responder.stats.malformed, 0);
  assert.equal(responder.stats.answered, 1);
  assert.equal(d.stats.sent, 1);
});

Deno.test("discoverNat() stops at once when its signal aborts", async () => {
  await using stun = await serveStun();
  const silent = { hostname: IP1, port: stun.primary.port };
  await stun[Symbol.asyncDispose]();
  const t0 = performance.now();
  // RFC 8489 defaults would wait 39.5 s for this silent port.
  const r = await discoverNat({
    servers: [silent],
    bind: { hostname: IP1, port: 0 },
    signal: AbortSignal.timeout(100),
  });
  assert.equal(r.udp, false);
  assert.ok(performance.now() - t0 < 2000);
});
