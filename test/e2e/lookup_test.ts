import assert from "node:assert/strict";
import { peerkit } from "../_support/cli.ts";
import { needs } from "../_support/env.ts";
import { startBootstrapd } from "../_support/toxcore.ts";
import type { DhtDriver } from "../../lib/dht/driver.ts";
import { loopbackNode as peerkitNode, nodeSpec as spec } from "../dht/_loopback.ts";
import { toHex } from "../../lib/util/bytes.ts";

Deno.test("lookup finds a key two hops away in a small peerkit testnet (--json)", async () => {
  const home = await Deno.makeTempDir();
  const nodes: DhtDriver[] = [];
  try {
    for (let i = 0; i < 6; i++) nodes.push(await peerkitNode());
    // a chain: each node knows only the previous one
    for (let i = 1; i < nodes.length; i++) {
      nodes[i]!.bootstrap(nodes[i - 1]!.localAddr, nodes[i - 1]!.node.publicKey);
    }
    await new Promise((r) => setTimeout(r, 2500));
    const target = nodes[5]!;
    const r = await peerkit(
      [
        "--json",
        "lookup",
        toHex(target.node.publicKey),
        "--bootstrap",
        spec(nodes[0]!),
        "-t",
        "60",
      ],
      { PEERKIT_HOME: home },
    );
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const j = JSON.parse(r.stdout);
    assert.equal(j.found, true);
    // The target is not announced on the onion; once the DHT found it the onion search gets
    // a 10 s grace, not the rest of the 60 s timeout.
    assert.equal(j.onion.announced, false);
    assert.ok(j.onion.elapsedMs < 30_000, `onion search ran ${j.onion.elapsedMs} ms`);
    assert.equal(j.address, `127.0.0.1:${target.localAddr.port}`);
    assert.ok(j.requests >= 2);
    assert.ok(j.hops >= 1);
    assert.equal(typeof j.elapsedMs, "number");
    assert.ok(j.closest.length >= 1);
  } finally {
    for (const n of nodes) await n.close();
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("lookup of an absent key exits 1 and prints the closest nodes seen", async () => {
  const home = await Deno.makeTempDir();
  await using a = await peerkitNode();
  await using b = await peerkitNode();
  b.bootstrap(a.localAddr, a.node.publicKey);
  try {
    await new Promise((r) => setTimeout(r, 300));
    const r = await peerkit(["lookup", "42".repeat(32), "-b", spec(a), "-t", "3"], {
      PEERKIT_HOME: home,
    });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /not found/);
    assert.match(r.stdout, /closest nodes seen/);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("lookup: a malformed id exits 2 with one line; no nodes at all exits 1", async () => {
  const home = await Deno.makeTempDir();
  try {
    for (const id of ["abc", "zz".repeat(32), "00".repeat(33)]) {
      const r = await peerkit(["lookup", id], { PEERKIT_HOME: home });
      assert.equal(r.code, 2, id);
      assert.equal(r.stderr.trim().split("\n").length, 1);
    }
    const r = await peerkit(["--json", "lookup", "00".repeat(32)], { PEERKIT_HOME: home });
    assert.equal(r.code, 1);
    assert.equal(JSON.parse(r.stdout).error, "NO_NODES");
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test({
  name: "lookup of a tox-bootstrapd's key returns its address, starting from saved nodes",
  ...needs(["tox-bootstrapd"]),
  async fn() {
    const home = await Deno.makeTempDir();
    await using d = await startBootstrapd({ tcpRelay: false });
    try {
      const b = await peerkit(
        ["--json", "bootstrap", `127.0.0.1:${d.udpPort}:${d.publicKeyHex}`, "-t", "1.5"],
        { PEERKIT_HOME: home },
      );
      assert.equal(b.code, 0, b.stderr);
      const r = await peerkit(["--json", "lookup", d.publicKeyHex, "-t", "10"], {
        PEERKIT_HOME: home,
      });
      assert.equal(r.code, 0, r.stdout + r.stderr);
      const j = JSON.parse(r.stdout);
      assert.equal(j.source, "saved");
      assert.equal(j.address, `127.0.0.1:${d.udpPort}`);
    } finally {
      await Deno.remove(home, { recursive: true });
    }
  },
});
