/**
 * The CLI with a real c-toxcore 0.2.18 client as its peer, found through the onion alone
 * on five tox-bootstrapd daemons (no address or DHT key given to either side):
 *
 * - `peerkit send <Tox ID> "text" --onion` arrives as a friend message (the C client's
 *   on_message prints it) and exits 0 once net_crypto acknowledged it; a file is refused;
 * - a message the C client sends is one line on `peerkit connect --listen --onion` stdout;
 * - both again with the C client in TCP-only mode, through the TCP relay its DHT-PK lists.
 *
 * The C client has both peerkit keys as friends (`tox_friend_add_norequest`), as a Tox user
 * who accepted their requests would.
 */
import assert from "node:assert/strict";
import { peerkit } from "../_support/cli.ts";
import { needs } from "../_support/env.ts";
import { startToxClient, type ToxClient } from "../_support/toxclient.ts";
import { type Bootstrapd, startBootstrapd } from "../_support/toxcore.ts";

const STEP_MS = 30_000;
const CLI = new URL("../../cli.ts", import.meta.url).pathname;

async function startDaemons(firstRelay = false): Promise<Bootstrapd[]> {
  const first = await startBootstrapd({ tcpRelay: firstRelay });
  const entry = { host: "127.0.0.1", port: first.udpPort, publicKeyHex: first.publicKeyHex };
  const rest = await Promise.all(
    [0, 1, 2, 3].map(() => startBootstrapd({ tcpRelay: false, bootstrap: [entry] })),
  );
  return [first, ...rest];
}

async function identity(): Promise<{ home: string; key: string }> {
  const home = await Deno.makeTempDir({ prefix: "peerkit-cli-tox-" });
  assert.equal((await peerkit(["keygen", "--home", home])).code, 0);
  const shown = (await peerkit(["keygen", "--show", "--home", home])).stdout.split("\n");
  return { home, key: shown[0]!.trim() };
}

/** Reads `stream` as text until `ok(text)` or `ms` pass; returns what came. */
async function readUntil(
  stream: ReadableStream<Uint8Array>,
  ok: (t: string) => boolean,
  ms: number,
): Promise<string> {
  const reader = stream.getReader();
  const dec = new TextDecoder();
  let text = "";
  const timer = setTimeout(() => reader.cancel().catch(() => {}), ms);
  try {
    for (let i = 0; i < 10_000 && !ok(text); i++) {
      const r = await reader.read();
      if (r.done) break;
      text += dec.decode(r.value, { stream: true });
    }
  } finally {
    clearTimeout(timer);
    reader.releaseLock();
  }
  return text;
}

/**
 * `connect --listen --allow <tox> …common` as identity `me`: the C client (which has `me`
 * as a friend) comes online to it over `kind` and two messages it sends are two stdout lines.
 */
async function listenFor(
  tox: ToxClient,
  me: { home: string; key: string },
  common: string[],
  kind: "udp" | "tcp",
): Promise<void> {
  const friend = await tox.addFriendNoRequest(me.key);
  const args = ["--home", me.home, "connect", "--listen", "--recv-only", "--allow", tox.publicKey];
  const listener = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", CLI, ...args, ...common],
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  try {
    assert.equal(await tox.waitForFriend(friend, { timeoutMs: STEP_MS }), kind);
    await tox.send(friend, "hello peerkit from toxcore");
    await tox.send(friend, "second\nline");
    const out = await readUntil(listener.stdout, (t) => t.includes("second line\n"), STEP_MS);
    assert.equal(out, "hello peerkit from toxcore\nsecond line\n");
  } finally {
    listener.kill("SIGTERM");
    const st = await listener.status;
    const err = await new Response(listener.stderr).text();
    assert.equal(st.code, 0, err);
  }
}

Deno.test({
  name: "interop: send and connect --listen with a c-toxcore client as the peer, over the onion",
  ...needs(["tox-bootstrapd", "gcc", "pkg-config"]),
  async fn() {
    const daemons = await startDaemons();
    const homes: string[] = [];
    try {
      await using tox = await startToxClient({ name: "tox-cli-peer" });
      for (const d of daemons) await tox.bootstrap("127.0.0.1", d.udpPort, d.publicKeyHex);
      await tox.waitForOnline(STEP_MS);
      const [a, b] = [await identity(), await identity()];
      homes.push(a.home, b.home);
      const common = [
        ...daemons.flatMap((d) => ["--bootstrap", `127.0.0.1:${d.udpPort}:${d.publicKeyHex}`]),
        "--onion",
        "--bind",
        "127.0.0.1:0",
        "-t",
        "40",
      ];
      // send <Tox ID> "text": a friend message, acknowledged.
      const fa = await tox.addFriendNoRequest(a.key);
      const sent = await peerkit(
        ["--home", a.home, "--json", "send", tox.toxId, "hello Tox from peerkit", ...common],
        {},
        { timeoutMs: 50_000 },
      );
      assert.equal(sent.code, 0, sent.stderr + sent.stdout);
      const doc = JSON.parse(sent.stdout);
      assert.equal(doc.delivered, true);
      assert.equal(doc.peerKind, "tox");
      assert.equal(doc.messages, 1);
      await tox.waitForMessage(fa, "hello Tox from peerkit", STEP_MS);
      // a file to a Tox client: one line, exit 1.
      const file = await Deno.makeTempFile({ dir: a.home });
      await Deno.writeTextFile(file, "bytes");
      const refused = await peerkit(
        ["--home", a.home, "send", tox.toxId, "--file", file, ...common],
        {},
        { timeoutMs: 50_000 },
      );
      assert.equal(refused.code, 1, refused.stderr);
      assert.match(refused.stderr, /Tox client.*file transfer is not built/);
      assert.equal(refused.stderr.trim().split("\n").length, 1, refused.stderr);
      // connect --listen: the C client's message is a line on stdout.
      await listenFor(tox, b, common, "udp");
    } finally {
      for (const d of daemons) await d.stop();
      for (const h of homes) await Deno.remove(h, { recursive: true });
    }
  },
});

Deno.test({
  name: "interop: send and connect --listen with a TCP-only c-toxcore client, through its relay",
  ...needs(["tox-bootstrapd", "gcc", "pkg-config"]),
  async fn() {
    const daemons = await startDaemons(true);
    const first = daemons[0]!;
    const homes: string[] = [];
    try {
      await using tox = await startToxClient({ udp: false, name: "tox-cli-tcp" });
      await tox.useNode({
        udpPort: first.udpPort,
        tcpPort: first.tcpPort,
        publicKeyHex: first.publicKeyHex,
      });
      for (const d of daemons.slice(1)) {
        await tox.bootstrap("127.0.0.1", d.udpPort, d.publicKeyHex);
      }
      assert.equal(await tox.waitForOnline(STEP_MS), "tcp");
      const a = await identity();
      homes.push(a.home);
      const fa = await tox.addFriendNoRequest(a.key);
      const boot = daemons.flatMap((d) => [
        "--bootstrap",
        `127.0.0.1:${d.udpPort}:${d.publicKeyHex}`,
      ]);
      const sent = await peerkit(
        [
          "--home",
          a.home,
          "--json",
          "send",
          tox.toxId,
          "over the relay",
          ...boot,
          "--onion",
          "--bind",
          "127.0.0.1:0",
          "-t",
          "40",
        ],
        {},
        { timeoutMs: 50_000 },
      );
      assert.equal(sent.code, 0, sent.stderr + sent.stdout);
      const doc = JSON.parse(sent.stdout);
      assert.equal(doc.peerKind, "tox");
      assert.deepEqual(doc.paths, ["relay"]);
      await tox.waitForMessage(fa, "over the relay", STEP_MS);
      // connect --listen: it says hello on the relay the client's DHT-PK lists; lines come.
      const b = await identity();
      homes.push(b.home);
      await listenFor(tox, b, [...boot, "--onion", "--bind", "127.0.0.1:0", "-t", "40"], "tcp");
    } finally {
      for (const d of daemons) await d.stop();
      for (const h of homes) await Deno.remove(h, { recursive: true });
    }
  },
});
