/**
 * `peerkit lookup <Tox ID>` on loopback: a few `relay serve` processes are the onion network;
 * `peerkit bootstrap --stay` announces its identity on the onion; lookup reports it
 * announced, reports a key nobody runs as not announced, and refuses a bad checksum.
 */
import assert from "node:assert/strict";
import { peerkit } from "../_support/cli.ts";
import { type RelayServeProcess, spawnRelayServe } from "../_support/relay_serve.ts";
import { startOnionNet, until } from "./_onion_net.ts";
import { backend } from "../../lib/crypto/mod.ts";
import { formatToxId } from "../../lib/identity/tox_id.ts";
import { ONION_GRACE_MS } from "../../commands/_onion.ts";

Deno.test("lookup <Tox ID> says a 'bootstrap --stay' peer is announced on the onion, and an offline key is not", async () => {
  const net = await startOnionNet(4);
  const home = await Deno.makeTempDir({ prefix: "peerkit-home-" });
  let peer: RelayServeProcess | undefined;
  try {
    assert.equal((await peerkit(["keygen", "--home", home])).code, 0);
    const shown = await peerkit(["keygen", "--show", "--home", home]);
    const toxId = shown.stdout.split("\n")[1]!;
    const boot = net.specs.flatMap((s) => ["--bootstrap", s]);
    peer = await spawnRelayServe(["--home", home, "bootstrap", "--stay", "-t", "1", ...boot]);
    const announced = await until(() => peer!.err().includes("announced on the onion"), 30_000);
    assert.ok(announced, peer.err());
    const r = await peerkit(["--json", "lookup", toxId, ...boot, "-t", "15"]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const doc = JSON.parse(r.stdout);
    assert.equal(doc.toxId, toxId);
    assert.equal(doc.id, toxId.slice(0, 64));
    assert.equal(doc.onion.announced, true, r.stdout);
    assert.ok(doc.onion.elapsedMs <= 15_000);
    assert.equal(doc.onion.relayPaths, 0, "without --tcp-relay paths start with a UDP hop");

    // --tcp-relay: every onion path starts at the relay (relay packets 8 / 9).
    const t = await peerkit([
      "--json",
      "lookup",
      toxId,
      ...boot,
      "--tcp-relay",
      net.tcpSpecs[1]!,
      "-t",
      "15",
    ]);
    assert.equal(t.code, 0, t.stdout + t.stderr);
    const viaTcp = JSON.parse(t.stdout);
    assert.equal(viaTcp.onion.announced, true, t.stdout);
    assert.ok(viaTcp.onion.paths > 0 && viaTcp.onion.relayPaths === viaTcp.onion.paths, t.stdout);
    const dead = await peerkit([
      "lookup",
      toxId,
      ...boot,
      "--tcp-relay",
      `127.0.0.1:1:${"AB".repeat(32)}`,
    ]);
    assert.equal(dead.code, 1, dead.stdout + dead.stderr);
    assert.match(dead.stderr, /--tcp-relay: no relay reachable \(refused or closed/);
    assert.equal(dead.stderr.trim().split("\n").length, 1);
    // A key the DHT finds but the onion does not hold (a relay node is not announced): the
    // search stops once it has converged, well before the 10 s grace after the DHT find.
    const relayKey = net.specs[3]!.split(":").at(-1)!;
    const t0 = Date.now();
    const quiet = await peerkit(["--json", "lookup", relayKey, ...boot, "-t", "30"]);
    const wall = Date.now() - t0;
    assert.equal(quiet.code, 0, quiet.stdout + quiet.stderr);
    const q = JSON.parse(quiet.stdout);
    assert.equal(q.found, true);
    assert.equal(q.onion.announced, false);
    assert.ok(q.onion.searchNodes > 0, quiet.stdout);
    console.log(
      `DHT found in ${q.elapsedMs} ms, onion search ended after ${q.onion.elapsedMs} ms, wall ${wall} ms`,
    );
    assert.ok(q.onion.elapsedMs < q.elapsedMs + ONION_GRACE_MS - 500, quiet.stdout);
    const badSpec = await peerkit(["lookup", toxId, "--tcp-relay", "nope"]);
    assert.equal(badSpec.code, 2);

    const offline = formatToxId({
      publicKey: backend().keyPair().publicKey,
      nospam: new Uint8Array(4),
    });
    const o = await peerkit(["lookup", offline, ...boot, "-t", "4"]);
    assert.equal(o.code, 1, o.stdout + o.stderr);
    assert.match(o.stdout, /onion: not announced/);

    const bad = toxId.slice(0, 72) + (toxId.slice(72) === "0000" ? "0001" : "0000");
    const b = await peerkit(["lookup", bad, ...boot]);
    assert.equal(b.code, 2);
    assert.match(b.stderr, /checksum is wrong/);
    assert.equal(b.stderr.trim().split("\n").length, 1);
  } finally {
    await peer?.stop("SIGINT");
    for (const p of net.procs) await p.stop();
    await Deno.remove(home, { recursive: true });
  }
});
