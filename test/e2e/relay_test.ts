/**
 * `peerkit relay serve` as a user runs it: flags, start-up output, metrics, clients relayed
 * through it, clean stops on SIGINT and SIGTERM, one-line errors on bad input.
 */
import assert from "node:assert/strict";
import { backend } from "../../lib/crypto/mod.ts";
import { encodeKeyFile } from "../../lib/identity/mod.ts";
import { RelayClient } from "../../lib/relay/mod.ts";
import { fromHex, toHex } from "../../lib/util/bytes.ts";
import { peerkit } from "../_support/cli.ts";
import { spawnRelayServe } from "../_support/relay_serve.ts";
import { freePort } from "../_support/toxcore.ts";

Deno.test("relay serve --json prints its key and addresses, relays clients, serves metrics, stops on SIGTERM", async () => {
  const dir = await Deno.makeTempDir();
  const keyFile = `${dir}/keys`;
  const kp = backend().keyPair();
  await Deno.writeFile(keyFile, encodeKeyFile(kp), { mode: 0o600 });
  const udp = freePort(), tcp1 = freePort(), tcp2 = freePort(), metrics = freePort();
  const s = await spawnRelayServe([
    "--json",
    "relay",
    "serve",
    "--key",
    keyFile,
    "--host",
    "127.0.0.1",
    "--udp-port",
    String(udp),
    "--tcp-port",
    String(tcp1),
    "--tcp-port",
    String(tcp2),
    "--metrics",
    `127.0.0.1:${metrics}`,
    "--rate",
    "0",
  ]);
  try {
    const doc = JSON.parse(s.firstLine());
    assert.equal(doc.publicKey, toHex(kp.publicKey).toUpperCase());
    assert.equal(doc.udp, `127.0.0.1:${udp}`);
    assert.deepEqual(doc.tcp, [`127.0.0.1:${tcp1}`, `127.0.0.1:${tcp2}`]);
    assert.equal(doc.rate, 0);
    // One client on each port: they still reach each other.
    await using a = new RelayClient({ keyPair: backend().keyPair() });
    await using b = new RelayClient({ keyPair: backend().keyPair() });
    a.addRelay({ hostname: "127.0.0.1", port: tcp1 }, fromHex(doc.publicKey));
    b.addRelay({ hostname: "127.0.0.1", port: tcp2 }, fromHex(doc.publicKey));
    a.addPeer(b.publicKey);
    b.addPeer(a.publicKey);
    await a.waitForPeer(b.publicKey, 5000);
    const got = Promise.withResolvers<string>();
    b.onData = (_p, d) => got.resolve(new TextDecoder().decode(d));
    a.send(b.publicKey, new TextEncoder().encode("via the CLI relay"));
    assert.equal(await got.promise, "via the CLI relay");
    const text = await (await fetch(`http://127.0.0.1:${metrics}/metrics`)).text();
    assert.match(text, /^peerkit_relay_clients 2$/m);
    assert.match(text, /^peerkit_relay_online_routes 2$/m);
    assert.match(text, /^peerkit_relay_relayed_bytes_total 17$/m);
    assert.match(text, /^peerkit_relay_drops_total\{reason="queue_full"\} 0$/m);
    assert.match(text, /^peerkit_dht_close_nodes \d+$/m);
    const notFound = await fetch(`http://127.0.0.1:${metrics}/other`);
    assert.equal(notFound.status, 404);
    await notFound.body?.cancel();
  } finally {
    const status = await s.stop("SIGTERM");
    await Deno.remove(dir, { recursive: true });
    assert.equal(status.code, 0, s.err());
  }
  assert.match(s.err(), /relay stopping/);
});

Deno.test("relay serve creates a missing key in the state directory and stops on SIGINT", async () => {
  const home = await Deno.makeTempDir();
  const s = await spawnRelayServe([
    "--home",
    home,
    "relay",
    "serve",
    "--host",
    "127.0.0.1",
    "--udp-port",
    "0",
    "--tcp-port",
    "0",
  ]);
  try {
    assert.match(s.out(), /^public key: [0-9A-F]{64}$/m);
    const info = await Deno.stat(`${home}/relay.key`);
    assert.equal(info.mode! & 0o777, 0o600);
  } finally {
    const status = await s.stop("SIGINT");
    await Deno.remove(home, { recursive: true });
    assert.equal(status.code, 0, s.err());
  }
  assert.match(s.out(), /^tcp \(relay\): 127\.0\.0\.1:\d+$/m);
});

Deno.test("relay serve rejects bad flags with one line and exit 2, a bad key file with exit 1", async () => {
  for (
    const args of [
      ["--udp-port", "70000"],
      ["--tcp-port", "x"],
      ["--bootstrap", "127.0.0.1:33445"],
      ["--bootstrap", "127.0.0.1:99999:" + "AB".repeat(32)],
      ["--rate", "fast"],
      ["--metrics", "nowhere"],
      ["--max-clients", "0"],
    ]
  ) {
    const r = await peerkit(["relay", "serve", ...args]);
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
    assert.doesNotMatch(r.stderr, /\bat .*\.ts:\d+/);
  }
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeFile(`${dir}/keys`, new Uint8Array(64), { mode: 0o644 });
    const r = await peerkit(["relay", "serve", "--key", `${dir}/keys`, "--host", "127.0.0.1"]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /too open/);
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("regression: relay serve reports a busy --metrics port or an unusable --host in one line, exit 1", async () => {
  using busy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const cases = [
    ["--host", "127.0.0.1", "--metrics", `127.0.0.1:${busy.addr.port}`],
    ["--host", "192.0.2.1"],
  ];
  const dir = await Deno.makeTempDir();
  try {
    for (const args of cases) {
      const r = await peerkit([
        "--home",
        dir,
        "relay",
        "serve",
        "--udp-port",
        "0",
        "--tcp-port",
        "0",
        ...args,
      ]);
      assert.equal(r.code, 1, `${args.join(" ")}: ${r.stderr}`);
      const lines = r.stderr.trim().split("\n").filter((l) => !/created relay key/.test(l));
      assert.equal(lines.length, 1, r.stderr);
      assert.match(lines[0]!, /^peerkit: relay serve: cannot bind /);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("regression: relay serve with a state directory it cannot create fails in one line, exit 1", async () => {
  const r = await peerkit([
    "--home",
    "/proc/peerkit-cannot-exist",
    "relay",
    "serve",
    "--host",
    "127.0.0.1",
    "--udp-port",
    "0",
    "--tcp-port",
    "0",
  ]);
  assert.equal(r.code, 1, r.stderr);
  assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
  assert.match(r.stderr, /^peerkit: cannot create \/proc\/peerkit-cannot-exist/);
});
