/**
 * `peerkit punch` with several `--relay`: the meeting goes through every ready relay, the
 * first answer wins, and a relay that is not peerkit's or is dead first in the list stops
 * nothing. Two processes on loopback.
 */
import assert from "node:assert/strict";
import { punchTwo } from "./_cli_pair.ts";
import { needs } from "../_support/env.ts";
import { spawnLoopbackRelay } from "../_support/relay_serve.ts";
import { freePort, startBootstrapd } from "../_support/toxcore.ts";

/** Both sides punch with these `--relay`s; returns A's and B's documents. */
async function punchThrough(relays: string[]) {
  const { da, db } = await punchTwo([
    ...relays.flatMap((r) => ["--relay", r]),
    "--bind",
    "127.0.0.1:0",
    "--timeout",
    "15",
  ]);
  assert.equal(da.path, "direct");
  assert.equal(db.path, "direct");
  assert.equal(da.attemptId, db.attemptId, "both on the same relay's attempt");
  return { da, db };
}

Deno.test({
  name:
    "peerkit punch --relay x2: tox-bootstrapd first, peerkit's relay second: the second coordinates",
  ...needs(["tox-bootstrapd"]),
  async fn() {
    const d = await startBootstrapd();
    try {
      await using pk = await spawnLoopbackRelay();
      const { da, db } = await punchThrough([
        `127.0.0.1:${d.tcpPort}:${d.publicKeyHex}`,
        `127.0.0.1:${pk.tcpPort}:${pk.publicKeyHex}`,
      ]);
      assert.equal(da.meeting, "relay-coordinated");
      assert.equal(db.meeting, "relay-coordinated");
    } finally {
      await d.stop();
    }
  },
});

Deno.test("peerkit punch --relay x2: a dead first relay does not stop the meeting", async () => {
  await using pk = await spawnLoopbackRelay();
  const dead = `127.0.0.1:${freePort()}:${"CD".repeat(32)}`;
  const { da } = await punchThrough([dead, `127.0.0.1:${pk.tcpPort}:${pk.publicKeyHex}`]);
  assert.equal(da.meeting, "relay-coordinated");
});

Deno.test("peerkit punch --relay x2: two peerkit relays both offer an attempt, the peers agree on one", async () => {
  await using r1 = await spawnLoopbackRelay();
  await using r2 = await spawnLoopbackRelay();
  for (let i = 0; i < 2; i++) {
    const { da, db } = await punchThrough([
      `127.0.0.1:${r1.tcpPort}:${r1.publicKeyHex}`,
      `127.0.0.1:${r2.tcpPort}:${r2.publicKeyHex}`,
    ]);
    assert.equal(da.meeting, "relay-coordinated");
    assert.equal(db.meeting, "relay-coordinated");
  }
});
