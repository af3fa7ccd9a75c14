/**
 * Low TTL on the first probes: the batched Linux socket sends one datagram with a chosen TTL
 * and restores the default; the punch driver uses it when the socket can, and counts the
 * probes as "unavailable" when it cannot (Deno's socket, the in-memory network,
 * `PEERKIT_NO_FFI=1`). The TTL on the wire is proven in the lab (test/lab/ttl_test.ts).
 */
import assert from "node:assert/strict";
import { backend } from "../../lib/crypto/mod.ts";
import { MemoryNetwork } from "../../lib/net/memory.ts";
import { bindLinuxUdp, canSetTtl } from "../../lib/net/udp_linux.ts";
import { denoBatchNetwork } from "../../lib/net/deno.ts";
import { UdpHost } from "../../lib/node/host.ts";
import { PunchAttempt } from "../../lib/punch/attempt.ts";
import { LOW_TTL_PROBES } from "../../lib/punch/constants.ts";
import { PunchDriver } from "../../lib/punch/driver.ts";
import { punchNetwork } from "../../lib/punch/ttl_network.ts";
import { realClock } from "../../lib/net/clock.ts";
import { CI } from "../_support/env.ts";

const probe = bindLinuxUdp({ hostname: "127.0.0.1", port: 0 });
await probe?.[Symbol.asyncDispose]();
const ignore = !probe && !CI;

function attempt(to: { hostname: string; port: number }) {
  const a = backend().keyPair(), b = backend().keyPair();
  return new PunchAttempt({
    selfPublicKey: a.publicKey,
    peerPublicKey: b.publicKey,
    sharedKey: backend().sharedKey(b.publicKey, a.secretKey),
    attemptId: new Uint8Array(8),
    peerEndpoints: [to],
    selfHard: false,
    peerHard: false,
    now: realClock.now(),
    budgetMs: 300,
  });
}

Deno.test({
  name:
    "LinuxUdpSocket.sendWithTtl(): the datagram goes out, queued sends first, and the default TTL is back after",
  ignore,
  async fn() {
    await using a = bindLinuxUdp({ hostname: "127.0.0.1", port: 0 })!;
    await using b = bindLinuxUdp({ hostname: "127.0.0.1", port: 0 })!;
    assert.ok(canSetTtl(a));
    const before = a.ttl();
    assert.ok(before > 3, `default TTL ${before}`);
    const queued = a.send(new Uint8Array([1]), b.localAddr);
    await a.sendWithTtl(new Uint8Array([2]), b.localAddr, 1);
    await queued;
    assert.equal(a.ttl(), before);
    assert.equal((await b.receive()).data[0], 1, "the queued datagram went first");
    assert.equal((await b.receive()).data[0], 2);
    await assert.rejects(a.sendWithTtl(new Uint8Array([3]), b.localAddr, 0), RangeError);
    await assert.rejects(a.sendWithTtl(new Uint8Array([3]), b.localAddr, 256), RangeError);
    a.close();
    await assert.rejects(a.sendWithTtl(new Uint8Array([3]), b.localAddr, 3));
  },
});

Deno.test({
  name: "LinuxUdpSocket.sendWithTtl(): an IPv6 socket sets the hop limit and restores it",
  ignore,
  async fn() {
    let s;
    try {
      s = bindLinuxUdp({ hostname: "::1", port: 0 });
    } catch {
      return; // no IPv6 loopback on this machine
    }
    if (!s || !canSetTtl(s)) return;
    await using _ = s;
    const before = s.ttl();
    await s.sendWithTtl(new Uint8Array([1]), s.localAddr, 2);
    assert.equal((await s.receive()).data[0], 1);
    assert.equal(s.ttl(), before);
  },
});

Deno.test({
  name:
    "PunchDriver: the first probes to an endpoint go with the low TTL on a socket that can set one",
  ignore,
  async fn() {
    await using peer = bindLinuxUdp({ hostname: "127.0.0.1", port: 0 })!;
    await using host = new UdpHost({
      socket: await denoBatchNetwork.bindDatagram({ hostname: "127.0.0.1", port: 0 }),
    });
    const d = new PunchDriver(attempt(peer.localAddr), [host]);
    // Probes arrive (loopback has no hop to drop them): the low-TTL ones and the later ones.
    for (let i = 0; i < LOW_TTL_PROBES + 1; i++) await peer.receive();
    await d.settled();
    d.close();
    assert.equal(d.lowTtl.applied, LOW_TTL_PROBES);
    assert.equal(d.lowTtl.unavailable, 0);
    assert.equal(d.lowTtl.failed, 0);
  },
});

Deno.test("PunchDriver: on a socket without TTL control the low-TTL probes are counted unavailable and still sent", async () => {
  const net = new MemoryNetwork();
  const peer = await net.bindDatagram({ hostname: "10.0.0.2", port: 1 });
  await using host = new UdpHost({
    socket: await net.bindDatagram({ hostname: "10.0.0.1", port: 1 }),
  });
  const d = new PunchDriver(attempt(peer.localAddr), [host]);
  for (let i = 0; i < LOW_TTL_PROBES + 1; i++) await peer.receive();
  await d.settled();
  d.close();
  assert.equal(d.lowTtl.unavailable, LOW_TTL_PROBES);
  assert.equal(d.lowTtl.applied, 0);
  peer.close();
});

Deno.test({
  name: "PEERKIT_NO_FFI=1: the batched network gives Deno's socket, which cannot set a TTL",
  ignore,
  async fn() {
    const code = `
      import { denoBatchNetwork } from "${new URL("../../lib/net/deno.ts", import.meta.url)}";
      import { canSetTtl } from "${new URL("../../lib/net/udp_linux.ts", import.meta.url)}";
      const s = await denoBatchNetwork.bindDatagram({ hostname: "127.0.0.1", port: 0 });
      console.log(canSetTtl(s) ? "ttl" : "no-ttl");
      s.close();`;
    const run = (env: Record<string, string>) =>
      new Deno.Command(Deno.execPath(), {
        args: ["eval", "--unstable-net", code],
        env,
        stdout: "piped",
        stderr: "piped",
      }).output();
    const off = await run({ PEERKIT_NO_FFI: "1" });
    assert.equal(
      new TextDecoder().decode(off.stdout).trim(),
      "no-ttl",
      new TextDecoder().decode(off.stderr),
    );
    const on = await run({ PEERKIT_NO_FFI: "0" });
    assert.equal(
      new TextDecoder().decode(on.stdout).trim(),
      "ttl",
      new TextDecoder().decode(on.stderr),
    );
  },
});

Deno.test({
  name:
    "punchNetwork(): the punch socket (bound first) can set a TTL, the birthday method's extra sockets are Deno's",
  ignore,
  async fn() {
    const net = punchNetwork();
    await using main = await net.bindDatagram({ hostname: "127.0.0.1", port: 0 });
    await using extra = await net.bindDatagram({ hostname: "127.0.0.1", port: 0 });
    assert.ok(canSetTtl(main));
    assert.ok(!canSetTtl(extra), "idle batched sockets would each hold a poll thread");
    await using again = await punchNetwork().bindDatagram({ hostname: "127.0.0.1", port: 0 });
    assert.ok(canSetTtl(again), "each session gets its own network");
  },
});
