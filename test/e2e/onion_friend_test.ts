/**
 * `peerkit friend add` / `friend listen` on loopback, with `relay serve` processes as the
 * whole onion network: a request with a message reaches an allowed listener, one from a key
 * not allowed is reported on stderr only; and a real c-toxcore client bootstrapped only from
 * `relay serve` receives `friend add <its Tox ID> "hello"` with our key and the text.
 */
import assert from "node:assert/strict";
import { peerkit } from "../_support/cli.ts";
import { needs } from "../_support/env.ts";
import { type RelayServeProcess, spawnRelayServe } from "../_support/relay_serve.ts";
import { startToxClient } from "../_support/toxclient.ts";
import { startOnionNet, until } from "./_onion_net.ts";

async function identity(): Promise<{ home: string; key: string }> {
  const home = await Deno.makeTempDir({ prefix: "peerkit-home-" });
  const r = await peerkit(["keygen", "--home", home]);
  assert.equal(r.code, 0, r.stderr);
  return { home, key: r.stdout.trim() };
}

Deno.test("friend add delivers a request with its message to an allowed 'friend listen'; others are ignored", async () => {
  const net = await startOnionNet(4);
  const listener = await identity(), friend = await identity(), stranger = await identity();
  const boot = net.specs.flatMap((s) => ["--bootstrap", s]);
  let listen: RelayServeProcess | undefined;
  try {
    listen = await spawnRelayServe([
      "--home",
      listener.home,
      "friend",
      "listen",
      "--allow",
      friend.key,
      ...boot,
    ]);
    const toxId = /to ([0-9A-F]{76})/.exec(listen.firstLine())?.[1];
    assert.ok(toxId, listen.firstLine());
    const shown = await peerkit(["keygen", "--show", "--home", listener.home]);
    assert.equal(shown.stdout.split("\n")[1], toxId, "the Tox ID keygen --show prints");
    assert.ok(await until(() => listen!.err().includes("announced on the onion"), 30_000));

    const sent = await peerkit([
      "--home",
      friend.home,
      "--json",
      "friend",
      "add",
      toxId,
      "hello from peerkit",
      ...boot,
      "-t",
      "20",
    ]);
    assert.equal(sent.code, 0, sent.stdout + sent.stderr);
    assert.equal(JSON.parse(sent.stdout).sent, true);
    const line = `friend request from ${friend.key}: "hello from peerkit"`;
    assert.ok(await until(() => listen!.out().includes(line), 10_000), listen.out());

    const other = await peerkit([
      "--home",
      stranger.home,
      "friend",
      "add",
      toxId,
      "let me in",
      ...boot,
      "-t",
      "20",
    ]);
    assert.equal(other.code, 0, other.stdout + other.stderr);
    const ignored = `ignored a friend request from ${stranger.key}`;
    assert.ok(await until(() => listen!.err().includes(ignored), 10_000), listen.err());
    assert.ok(!listen.out().includes("let me in"));

    const bad = await peerkit(["friend", "add", toxId.slice(0, 72) + "ZZZZ", "x", ...boot]);
    assert.equal(bad.code, 2);
    assert.equal(bad.stderr.trim().split("\n").length, 1);
    const noAllow = await peerkit(["friend", "listen", ...boot]);
    assert.equal(noAllow.code, 2);
  } finally {
    await listen?.stop("SIGINT");
    for (const p of net.procs) await p.stop();
    for (const h of [listener, friend, stranger]) await Deno.remove(h.home, { recursive: true });
  }
});

Deno.test({
  name:
    "interop: a c-toxcore client bootstrapped only from relay serve gets 'friend add' with our key and text",
  ...needs(["gcc", "pkg-config"]),
  async fn() {
    const net = await startOnionNet(4);
    const me = await identity();
    try {
      await using carol = await startToxClient({ name: "carol" });
      for (const s of net.specs) {
        const [host, port, key] = s.split(":");
        await carol.bootstrap(host!, Number(port), key!);
      }
      await carol.waitForOnline(30_000);
      const boot = net.specs.flatMap((s) => ["--bootstrap", s]);
      const sent = await peerkit([
        "--home",
        me.home,
        "friend",
        "add",
        carol.toxId,
        "hello",
        ...boot,
        "-t",
        "40",
      ]);
      assert.equal(sent.code, 0, sent.stdout + sent.stderr);
      const req = await carol.waitFor((e) => e.kind === "friend_request", 20_000);
      assert.ok(req.kind === "friend_request");
      assert.equal(req.publicKey, me.key);
      assert.equal(req.text, "hello");
    } finally {
      for (const p of net.procs) await p.stop();
      await Deno.remove(me.home, { recursive: true });
    }
  },
});
