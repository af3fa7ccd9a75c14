/**
 * `peerkit punch` end to end on loopback: two processes meet through a real relay
 * (`peerkit relay serve`, and tox-bootstrapd when installed) and open a direct path.
 */
import assert from "node:assert/strict";
import { peerkit } from "../_support/cli.ts";
import { spawnLoopbackRelay } from "../_support/relay_serve.ts";
import { needs } from "../_support/env.ts";
import { startBootstrapd } from "../_support/toxcore.ts";
import { makeFriends, startToxClient } from "../_support/toxclient.ts";

async function keyOf(home: string): Promise<string> {
  const r = await peerkit(["--json", "keygen"], { PEERKIT_HOME: home });
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout).publicKey;
}

async function punchPair(relay: string, extra: string[] = []) {
  const homeA = await Deno.makeTempDir({ prefix: "peerkit-punch-a-" });
  const homeB = await Deno.makeTempDir({ prefix: "peerkit-punch-b-" });
  try {
    const [ka, kb] = [await keyOf(homeA), await keyOf(homeB)];
    const common = ["--relay", relay, "--bind", "127.0.0.1:0", "--timeout", "15", ...extra];
    const [b, a] = await Promise.all([
      peerkit(["--json", "punch", "--listen", "--allow", ka, ...common], { PEERKIT_HOME: homeB }),
      peerkit(["--json", "punch", kb, ...common], { PEERKIT_HOME: homeA }),
    ]);
    const beliefs = JSON.parse(await Deno.readTextFile(`${homeA}/beliefs.json`));
    return { a, b, ka, kb, beliefs };
  } finally {
    await Deno.remove(homeA, { recursive: true });
    await Deno.remove(homeB, { recursive: true });
  }
}

function checkDirect(
  r: Awaited<ReturnType<typeof punchPair>>,
  meeting: "relay-coordinated" | "peer-exchange",
): void {
  assert.equal(r.a.code, 0, r.a.stderr + r.a.stdout);
  assert.equal(r.b.code, 0, r.b.stderr + r.b.stdout);
  const da = JSON.parse(r.a.stdout), db = JSON.parse(r.b.stdout);
  assert.equal(da.path, "direct");
  assert.equal(db.path, "direct");
  assert.equal(da.peer, r.kb);
  assert.equal(db.peer, r.ka);
  assert.equal(da.attemptId, db.attemptId);
  assert.equal(da.meeting, meeting);
  assert.equal(db.meeting, meeting);
  assert.equal(da.attempt.mode, "direct");
  assert.ok(da.attempt.probes >= 1);
  // The first probes asked for a low TTL; the batched socket applies it (PEERKIT_NO_FFI: none).
  const ttl = da.attempt.lowTtl;
  assert.ok(ttl.applied + ttl.unavailable >= 1, JSON.stringify(ttl));
  assert.equal(ttl.failed, 0);
  if (Deno.env.get("PEERKIT_NO_FFI") !== "1") assert.ok(ttl.applied >= 1, JSON.stringify(ttl));
  assert.equal(typeof da.timeToFirstRoundTripMs, "number");
  assert.equal(da.remote.path, db.self.endpoints[0]);
  assert.ok(da.plan.length >= 1 && da.beliefs.length >= 1);
  assert.ok(r.beliefs.peers[r.kb].direct.a > 1, "the direct success is in the saved beliefs");
}

Deno.test("peerkit punch: two processes meet through relay serve's coordination and open a direct path", async () => {
  await using relay = await spawnLoopbackRelay();
  checkDirect(
    await punchPair(`127.0.0.1:${relay.tcpPort}:${relay.publicKeyHex}`),
    "relay-coordinated",
  );
});

Deno.test({
  name: "peerkit punch: through tox-bootstrapd's relay the peers fall back to exchanging endpoints",
  ...needs(["tox-bootstrapd"]),
  fn: async () => {
    const d = await startBootstrapd();
    try {
      checkDirect(await punchPair(`127.0.0.1:${d.tcpPort}:${d.publicKeyHex}`), "peer-exchange");
    } finally {
      await d.stop();
    }
  },
});

Deno.test("peerkit punch: usage errors exit 2 with one line", async () => {
  for (
    const args of [
      ["punch"],
      ["punch", "--listen", "--relay", "127.0.0.1:1:" + "AB".repeat(32)],
      ["punch", "AB".repeat(32)],
      ["punch", "AB".repeat(32), "--relay", "nonsense"],
    ]
  ) {
    const r = await peerkit(args, { PEERKIT_HOME: "/nonexistent-peerkit" });
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
  }
});

Deno.test("peerkit punch: no peer answering exits 1 and says why", async () => {
  await using relay = await spawnLoopbackRelay();
  const home = await Deno.makeTempDir({ prefix: "peerkit-punch-" });
  try {
    const r = await peerkit([
      "--json",
      "punch",
      "CD".repeat(32),
      "--relay",
      `127.0.0.1:${relay.tcpPort}:${relay.publicKeyHex}`,
      "--timeout",
      "2",
    ], { PEERKIT_HOME: home });
    assert.equal(r.code, 1, r.stderr);
    const d = JSON.parse(r.stdout);
    assert.equal(d.path, "none");
    assert.match(d.why, /did not answer/);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test({
  name:
    "peerkit punch: c-toxcore TCP-only clients on the same relay keep messaging while peers meet",
  ...needs(["tox-bootstrapd", "gcc", "pkg-config"]),
  fn: async () => {
    await using relay = await spawnLoopbackRelay();
    const node = {
      host: "127.0.0.1",
      udpPort: relay.udpPort,
      tcpPort: relay.tcpPort,
      publicKeyHex: relay.publicKeyHex,
    };
    await using alice = await startToxClient({ udp: false, name: "alice" });
    await using bob = await startToxClient({ udp: false, name: "bob" });
    for (const c of [alice, bob]) await c.useNode(node);
    await Promise.all([alice.waitForOnline(30_000), bob.waitForOnline(30_000)]);
    const [bobOnAlice, aliceOnBob] = await makeFriends(alice, bob, {
      timeoutMs: 30_000,
      status: "tcp",
    });
    const punching = punchPair(`127.0.0.1:${relay.tcpPort}:${relay.publicKeyHex}`);
    await alice.send(bobOnAlice, "during the punch");
    await bob.waitForMessage(aliceOnBob, "during the punch", 30_000);
    checkDirect(await punching, "relay-coordinated");
    await bob.send(aliceOnBob, "after the punch");
    await alice.waitForMessage(bobOnAlice, "after the punch", 30_000);
    assert.equal((await alice.status()).friends.get(bobOnAlice), "tcp");
  },
});

Deno.test("peerkit punch --hold: the open path stays open with keep-alives while the command runs", async () => {
  await using relay = await spawnLoopbackRelay();
  const r = await punchPair(`127.0.0.1:${relay.tcpPort}:${relay.publicKeyHex}`, ["--hold", "11"]);
  checkDirect(r, "relay-coordinated");
  for (const out of [r.a.stdout, r.b.stdout]) {
    const d = JSON.parse(out);
    assert.ok(d.hold.ms >= 11_000, JSON.stringify(d.hold));
    assert.ok(d.hold.keepalives >= 1, JSON.stringify(d.hold));
    assert.equal(d.hold.state, "open");
  }
});
