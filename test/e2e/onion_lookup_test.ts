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
