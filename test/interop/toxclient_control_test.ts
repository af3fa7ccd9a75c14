/**
 * Control scenario for relay interop: two real c-toxcore clients befriend each other and
 * exchange messages through a real tox-bootstrapd (DHT node and TCP relay). If this fails,
 * the harness or the machine is at fault, not peerkit.
 */
import assert from "node:assert/strict";
import { needs } from "../_support/env.ts";
import { startBootstrapd } from "../_support/toxcore.ts";
import { makeFriends, startToxClient, withOneRetry } from "../_support/toxclient.ts";

const STEP_MS = 30_000;
const gate = needs(["tox-bootstrapd", "gcc", "pkg-config"]);

async function twoClientsThroughBootstrapd(udp: boolean): Promise<void> {
  await using node = await startBootstrapd();
  await using alice = await startToxClient({ udp, name: "alice" });
  await using bob = await startToxClient({ udp, name: "bob" });
  if (!udp) {
    assert.equal(alice.udpPort, 0);
    assert.equal(bob.udpPort, 0);
  }
  // TCP-only clients need the UDP bootstrap too: it gives the onion its path nodes.
  for (const c of [alice, bob]) await c.useNode(node);
  await Promise.all([alice.waitForOnline(STEP_MS), bob.waitForOnline(STEP_MS)]);

  const [bobOnAlice, aliceOnBob] = await makeFriends(alice, bob, {
    timeoutMs: STEP_MS,
    status: udp ? undefined : "tcp",
  });
  if (udp) {
    await Promise.all([
      alice.waitForFriend(bobOnAlice, { status: "udp", timeoutMs: STEP_MS }),
      bob.waitForFriend(aliceOnBob, { status: "udp", timeoutMs: STEP_MS }),
    ]);
  }
  const expected = udp ? "udp" : "tcp";
  assert.equal((await alice.status()).friends.get(bobOnAlice), expected);
  assert.equal((await bob.status()).friends.get(aliceOnBob), expected);

  const toBob = `hello bob from alice (${udp ? "udp" : "tcp"}) \u00e9\\ \n end`;
  await alice.send(bobOnAlice, toBob);
  await bob.waitForMessage(aliceOnBob, toBob, STEP_MS);
  const toAlice = `hello alice from bob (${udp ? "udp" : "tcp"})`;
  await bob.send(aliceOnBob, toAlice);
  await alice.waitForMessage(bobOnAlice, toAlice, STEP_MS);
}

Deno.test({
  name: "c-toxcore TCP-only clients befriend and message each other through tox-bootstrapd's relay",
  ...gate,
  fn: () => withOneRetry("tcp-only control", () => twoClientsThroughBootstrapd(false)),
});

Deno.test({
  name:
    "c-toxcore UDP clients befriend and message each other after bootstrapping from tox-bootstrapd",
  ...gate,
  fn: () => withOneRetry("udp control", () => twoClientsThroughBootstrapd(true)),
});

Deno.test({
  name: "toxclient answers every command in order and rejects bad ones with a clear error",
  ...needs(["gcc", "pkg-config"]),
  fn: async () => {
    await using c = await startToxClient({ udp: false, name: "lonely" });
    assert.match(c.toxId, /^[0-9A-F]{76}$/);
    assert.equal(c.toxId.slice(0, 64), c.publicKey);
    assert.notEqual(c.dhtPublicKey, c.publicKey);
    await assert.rejects(c.send(0, "nobody"), /send failed: error send code/);
    await assert.rejects(c.addFriendNoRequest("00"), /usage: friend_add_norequest/);
    const friend = await c.addFriendNoRequest("11".repeat(32));
    assert.equal(friend, 0);
    const status = await c.status();
    assert.equal(status.self, "none");
    assert.deepEqual([...status.friends], [[0, "none"]]);
    await assert.rejects(c.waitFor(/^message /, 50), /no event matching/);
  },
});
