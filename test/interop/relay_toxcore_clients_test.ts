/**
 * Two real c-toxcore clients in TCP-only mode befriend each other and exchange messages
 * using `peerkit relay serve` as their only bootstrap node and relay (the same scenario as
 * toxclient_control_test.ts, with tox-bootstrapd replaced by peerkit).
 */
import assert from "node:assert/strict";
import { needs } from "../_support/env.ts";
import { spawnLoopbackRelay } from "../_support/relay_serve.ts";
import { freePort } from "../_support/toxcore.ts";
import { makeFriends, startToxClient, type ToxNode, withOneRetry } from "../_support/toxclient.ts";

const STEP_MS = 30_000;

interface Served extends AsyncDisposable {
  node: ToxNode;
  stderr(): string;
  metrics(): Promise<string>;
}

/** Spawns `peerkit relay serve --json` and waits for its start-up document. */
async function serve(): Promise<Served> {
  const metricsPort = freePort();
  const r = await spawnLoopbackRelay(["--metrics", `127.0.0.1:${metricsPort}`], {
    killAfterMs: 3000,
  });
  const s = r.process;
  return {
    node: {
      host: "127.0.0.1",
      udpPort: r.udpPort,
      tcpPort: r.tcpPort,
      publicKeyHex: r.publicKeyHex,
    },
    stderr: () => s.err(),
    metrics: async () => {
      const r = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
      return await r.text();
    },
    [Symbol.asyncDispose]: async () => {
      const status = await s.stop();
      assert.equal(status.code, 0, `relay serve exited with ${status.code}:\n${s.err()}`);
    },
  };
}

Deno.test({
  name:
    "c-toxcore UDP clients befriend and message each other after bootstrapping from peerkit relay serve",
  ...needs(["tox-bootstrapd", "gcc", "pkg-config"]),
  fn: () =>
    withOneRetry("udp through peerkit", async () => {
      await using relay = await serve();
      await using alice = await startToxClient({ udp: true, name: "alice" });
      await using bob = await startToxClient({ udp: true, name: "bob" });
      for (const c of [alice, bob]) await c.useNode(relay.node);
      await Promise.all([alice.waitForOnline(STEP_MS), bob.waitForOnline(STEP_MS)]);
      const [bobOnAlice, aliceOnBob] = await makeFriends(alice, bob, { timeoutMs: STEP_MS });
      await alice.send(bobOnAlice, "hello bob over udp");
      await bob.waitForMessage(aliceOnBob, "hello bob over udp", STEP_MS);
      await bob.send(aliceOnBob, "hello alice over udp");
      await alice.waitForMessage(bobOnAlice, "hello alice over udp", STEP_MS);
    }),
});

Deno.test({
  name: "c-toxcore TCP-only clients befriend and message each other through peerkit relay serve",
  ...needs(["tox-bootstrapd", "gcc", "pkg-config"]),
  fn: () =>
    withOneRetry("tcp-only through peerkit", async () => {
      await using relay = await serve();
      await using alice = await startToxClient({ udp: false, name: "alice" });
      await using bob = await startToxClient({ udp: false, name: "bob" });
      for (const c of [alice, bob]) await c.useNode(relay.node);
      await Promise.all([alice.waitForOnline(STEP_MS), bob.waitForOnline(STEP_MS)]);
      const [bobOnAlice, aliceOnBob] = await makeFriends(alice, bob, {
        timeoutMs: STEP_MS,
        status: "tcp",
      });
      assert.equal((await alice.status()).friends.get(bobOnAlice), "tcp");
      const toBob = "hello bob, through peerkit's relay";
      await alice.send(bobOnAlice, toBob);
      await bob.waitForMessage(aliceOnBob, toBob, STEP_MS);
      const toAlice = "hello alice, through peerkit's relay";
      await bob.send(aliceOnBob, toAlice);
      await alice.waitForMessage(bobOnAlice, toAlice, STEP_MS);
      const m = await relay.metrics();
      assert.match(m, /^peerkit_relay_clients [1-9]/m);
      assert.match(m, /^peerkit_relay_relayed_packets_total [1-9]/m);
      // Their friend connection runs over a route both asked for (data ids 16+).
      assert.match(m, /^peerkit_relay_online_routes [2-9]/m);
      // TCP-only clients announce through the relay's onion (TCP id 8 -> 0x83 -> id 9).
      assert.match(m, /^peerkit_onion_announces_total [1-9]/m);
      assert.match(m, /^peerkit_relay_drops_total\{reason="no_onion"\} 0$/m);
    }),
});
