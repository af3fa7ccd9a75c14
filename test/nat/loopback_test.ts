import assert from "node:assert/strict";
import { needs } from "../_support/env.ts";
import { discoverNat } from "../../lib/nat/driver.ts";
import { IP1, serveStun, startCoturn } from "./_loopback.ts";

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
    const child = new Deno.Command("stun", {
      args: [`${ours.primary.hostname}:${ours.primary.port}`, "-v"],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const killer = setTimeout(() => {
      try {
        child.kill("SIGKILL");
      } catch { /* gone */ }
    }, 20_000);
    const out = await child.output();
    clearTimeout(killer);
    const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
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
