/**
 * The identity on the wire: `bootstrap --stay` serves the DHT under the user's keygen
 * identity, so another user's `lookup <that id>` finds its address.
 */
import assert from "node:assert/strict";
import { peerkit } from "../_support/cli.ts";
import { spawnLoopbackRelay, spawnRelayServe } from "../_support/relay_serve.ts";

Deno.test("lookup <id of a keygen identity> finds the peer running bootstrap --stay under it", async () => {
  const homeA = await Deno.makeTempDir({ prefix: "peerkit-a-" });
  const homeB = await Deno.makeTempDir({ prefix: "peerkit-b-" });
  try {
    await using relay = await spawnLoopbackRelay();
    const relaySpec = `127.0.0.1:${relay.udpPort}:${relay.publicKeyHex}`;
    const id = await peerkit(["--home", homeA, "keygen"]);
    assert.equal(id.code, 0, id.stderr);
    const idA = id.stdout.trim();
    await using a = await spawnRelayServe([
      "--json",
      "--home",
      homeA,
      "bootstrap",
      "--stay",
      "--no-save",
      "-t",
      "1",
      relaySpec,
    ]);
    const report = JSON.parse(a.firstLine());
    assert.equal(report.ok, true, a.err());
    assert.equal(report.publicKey, idA);
    assert.equal(report.identity, "home");
    // The relay lists A once it has checked A's address with a ping of its own, which can
    // take a few seconds after A's first request: ask again, a bounded number of times.
    const lookup = ["--json", "--home", homeB, "lookup", idA, "-b", relaySpec, "-t", "2"];
    let r = await peerkit(lookup);
    for (let i = 0; i < 10 && r.code !== 0; i++) {
      await new Promise((res) => setTimeout(res, 1000));
      r = await peerkit(lookup);
    }
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const found = JSON.parse(r.stdout);
    assert.equal(found.found, true);
    assert.equal(found.address, report.localAddress);
    const status = await a.stop("SIGTERM");
    assert.equal(status.code, 0, a.err());
  } finally {
    await Deno.remove(homeA, { recursive: true });
    await Deno.remove(homeB, { recursive: true });
  }
});

Deno.test("bootstrap: --ephemeral and one-shot runs use a throwaway key; --key must exist", async () => {
  const home = await Deno.makeTempDir();
  try {
    await using relay = await spawnLoopbackRelay();
    const spec = `127.0.0.1:${relay.udpPort}:${relay.publicKeyHex}`;
    const idA = (await peerkit(["--home", home, "keygen"])).stdout.trim();
    const once = await peerkit([
      "--json",
      "--home",
      home,
      "bootstrap",
      "--no-save",
      "-t",
      "0.5",
      spec,
    ]);
    assert.equal(once.code, 0, once.stderr);
    const doc = JSON.parse(once.stdout);
    assert.equal(doc.identity, "ephemeral");
    assert.notEqual(doc.publicKey, idA);
    const keyed = await peerkit([
      "--json",
      "--home",
      home,
      "bootstrap",
      "--no-save",
      "-t",
      "0.5",
      "--key",
      `${home}/identity.key`,
      spec,
    ]);
    assert.equal(keyed.code, 0, keyed.stderr);
    assert.equal(JSON.parse(keyed.stdout).publicKey, idA);
    const missing = await peerkit([
      "--home",
      home,
      "bootstrap",
      "--stay",
      "--key",
      `${home}/typo.key`,
      spec,
    ]);
    assert.equal(missing.code, 1, missing.stderr);
    assert.match(missing.stderr, /no key file at .*typo\.key/);
    const both = await peerkit(["bootstrap", "--key", "k", "--ephemeral", spec]);
    assert.equal(both.code, 2, both.stderr);
    await using eph = await spawnRelayServe([
      "--json",
      "--home",
      home,
      "bootstrap",
      "--stay",
      "--ephemeral",
      "--no-save",
      "-t",
      "0.5",
      spec,
    ]);
    const e = JSON.parse(eph.firstLine());
    assert.equal(e.identity, "ephemeral");
    assert.notEqual(e.publicKey, idA);
    assert.equal((await eph.stop("SIGINT")).code, 0, eph.err());
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});
