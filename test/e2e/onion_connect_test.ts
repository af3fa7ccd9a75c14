/**
 * `peerkit connect <Tox ID> --bootstrap ... --onion` on loopback: `relay serve` processes
 * are the DHT and onion network; the listener announces itself and sends its DHT-PK to
 * the key it allows, the dialler knows only the listener's Tox ID, finds its DHT key and
 * address through the onion and the DHT, and bytes pass both ways.
 */
import assert from "node:assert/strict";
import { peerkit } from "../_support/cli.ts";
import { startOnionNet } from "./_onion_net.ts";

Deno.test("connect and send <Tox ID> --onion: found through the onion, a line each way, a message delivered", async () => {
  const net = await startOnionNet(4);
  const homes: string[] = [];
  try {
    const ids = [];
    for (let i = 0; i < 4; i++) {
      const home = await Deno.makeTempDir({ prefix: "peerkit-onion-connect-" });
      homes.push(home);
      assert.equal((await peerkit(["keygen", "--home", home])).code, 0);
      const shown = (await peerkit(["keygen", "--show", "--home", home])).stdout.split("\n");
      ids.push({ home, key: shown[0]!.trim(), toxId: shown[1]!.trim() });
    }
    const [a, b, c, d] = [ids[0]!, ids[1]!, ids[2]!, ids[3]!];
    const common = ["--bootstrap", net.specs[0]!, "--onion", "--bind", "127.0.0.1:0", "-t", "40"];
    // regression: the second session between the same two keys through the same nodes, right
    // after the first ended, is found and connects too (it timed out: the nodes kept the first
    // listener's port for its key).
    for (const round of ["first", "second"]) {
      const listener = peerkit(
        ["--home", b.home, "-v", "connect", "--listen", "--allow", a.key, ...common],
        {},
        { stdin: `${round} from the listener\n` },
      );
      const dialler = await peerkit(
        ["--home", a.home, "-v", "connect", b.toxId, ...common],
        {},
        { stdin: `${round} from the dialler\n` },
      );
      const l = await listener;
      assert.equal(dialler.code, 0, `${round}: ${dialler.stderr}\n--- listener ---\n${l.stderr}`);
      assert.equal(l.code, 0, `${round}: ${l.stderr}`);
      assert.equal(dialler.stdout, `${round} from the listener\n`);
      assert.equal(l.stdout, `${round} from the dialler\n`);
      assert.match(dialler.stderr, /its DHT-PK came/);
    }
    // send <Tox ID> --onion (two fresh keys): a message found the same way, proven by its hash.
    const receiver = peerkit([
      "--home",
      d.home,
      "connect",
      "--listen",
      "--allow",
      c.key,
      ...common,
    ]);
    const sent = await peerkit([
      "--home",
      c.home,
      "--json",
      "send",
      d.toxId,
      "by Tox ID",
      ...common,
    ]);
    const got = await receiver;
    assert.equal(sent.code, 0, sent.stderr + sent.stdout + got.stderr);
    assert.equal(got.code, 0, got.stderr);
    assert.equal(got.stdout, "by Tox ID\n");
    const doc = JSON.parse(sent.stdout);
    assert.equal(doc.delivered, true);
    assert.match(doc.sha256, /^[0-9a-f]{64}$/i);
    assert.equal(doc.receiverSha256, doc.sha256);
    const bad = b.toxId.slice(0, 72) + (b.toxId.slice(72) === "0000" ? "0001" : "0000");
    const r = await peerkit(["--home", a.home, "connect", bad, ...common]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /checksum/);
  } finally {
    for (const p of net.procs) await p.stop();
    for (const h of homes) await Deno.remove(h, { recursive: true });
  }
});
