import assert from "node:assert/strict";
import { peerkit } from "../_support/cli.ts";
import { needs } from "../_support/env.ts";
import { freePort, startBootstrapd } from "../_support/toxcore.ts";
import { loopbackNode as peerkitNode, nodeSpec as spec } from "../dht/_loopback.ts";
import { toHex } from "../../lib/util/bytes.ts";
import { BUILTIN_NODES, parseNodeSpec } from "../../commands/_nodes.ts";

Deno.test("bootstrap --json reports the answering node, its round trip, and saves good nodes", async () => {
  const home = await Deno.makeTempDir();
  await using a = await peerkitNode();
  await using b = await peerkitNode();
  a.bootstrap(b.localAddr, b.node.publicKey);
  await new Promise((r) => setTimeout(r, 200));
  try {
    const r = await peerkit(["--json", "bootstrap", "--bootstrap", spec(a), "--timeout", "1.5"], {
      PEERKIT_HOME: home,
    });
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.equal(j.ok, true);
    assert.equal(j.source, "arguments");
    assert.equal(j.nodes.length, 1);
    assert.equal(j.nodes[0].answered, true);
    assert.equal(typeof j.nodes[0].rttMs, "number");
    assert.ok(j.discovered >= 2, `discovered ${j.discovered}`); // a, and b listed by a
    const saved = JSON.parse(await Deno.readTextFile(`${home}/dht-nodes.json`));
    assert.ok(saved.nodes.some((n: { port: number }) => n.port === a.localAddr.port));
    // the next run starts from the saved nodes
    const again = await peerkit(["--json", "bootstrap", "--timeout", "1"], { PEERKIT_HOME: home });
    assert.equal(again.code, 0, again.stderr);
    assert.equal(JSON.parse(again.stdout).source, "saved");
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("bootstrap exits 1 when no bootstrap node answers, and prints a readable report", async () => {
  const home = await Deno.makeTempDir();
  try {
    const silent = `127.0.0.1:${freePort()}:${"11".repeat(32)}`;
    const r = await peerkit(["bootstrap", silent, "--timeout", "0.5"], { PEERKIT_HOME: home });
    assert.equal(r.code, 1);
    assert.match(r.stdout, /no answer/);
    assert.match(r.stdout, /0\/1 bootstrap nodes answered/);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("bootstrap reads a Tox nodes.json file", async () => {
  const home = await Deno.makeTempDir();
  await using a = await peerkitNode();
  try {
    const file = `${home}/nodes.json`;
    await Deno.writeTextFile(
      file,
      JSON.stringify({
        last_scan: 0,
        nodes: [{
          ipv4: "127.0.0.1",
          ipv6: "-",
          port: a.localAddr.port,
          public_key: toHex(a.node.publicKey).toUpperCase(),
          tcp_ports: [],
          maintainer: "test",
        }],
      }),
    );
    const r = await peerkit(
      ["--json", "bootstrap", "--nodes", file, "--timeout", "1", "--no-save"],
      {
        PEERKIT_HOME: home,
      },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).source, "file");
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("bootstrap rejects malformed node specs and nodes files with exit 2", async () => {
  const home = await Deno.makeTempDir();
  try {
    for (
      const args of [
        ["bootstrap", "127.0.0.1:33445:nothex"],
        ["bootstrap", "--bootstrap", "127.0.0.1:99999:" + "00".repeat(32)],
        ["bootstrap", "--timeout", "-1", "127.0.0.1:1:" + "00".repeat(32)],
      ]
    ) {
      const r = await peerkit(args, { PEERKIT_HOME: home });
      assert.equal(r.code, 2, args.join(" "));
      assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
    }
    await Deno.writeTextFile(`${home}/bad.json`, '{"nodes": [{"port": "x"}]}');
    const r = await peerkit(["bootstrap", "--nodes", `${home}/bad.json`], { PEERKIT_HOME: home });
    assert.equal(r.code, 2);
    assert.doesNotMatch(r.stderr, /at .*\.ts:\d+/);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("the built-in public node list parses (never contacted by tests)", () => {
  assert.ok(BUILTIN_NODES.length >= 4);
  for (const n of BUILTIN_NODES) {
    const p = parseNodeSpec(`${n.host}:${n.port}:${n.publicKey}`);
    assert.equal(p.publicKey, n.publicKey);
  }
});

Deno.test({
  name: "bootstrap from a real tox-bootstrapd: it answers and gets saved",
  ...needs(["tox-bootstrapd"]),
  async fn() {
    const home = await Deno.makeTempDir();
    await using d = await startBootstrapd({ tcpRelay: false });
    try {
      const r = await peerkit(
        ["--json", "bootstrap", "-b", `127.0.0.1:${d.udpPort}:${d.publicKeyHex}`, "-t", "2"],
        { PEERKIT_HOME: home },
      );
      assert.equal(r.code, 0, r.stderr);
      const j = JSON.parse(r.stdout);
      assert.equal(j.nodes[0].answered, true);
      assert.equal(j.nodes[0].publicKey, d.publicKeyHex);
      const saved = JSON.parse(await Deno.readTextFile(`${home}/dht-nodes.json`));
      assert.equal(saved.nodes[0].publicKey, d.publicKeyHex);
    } finally {
      await Deno.remove(home, { recursive: true });
    }
  },
});
