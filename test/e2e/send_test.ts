/**
 * `peerkit send` end to end: real `relay serve`, real `connect --listen` receivers and real
 * `send` processes on loopback. One test with steps, so the slow 64 MiB transfer over the
 * relay (a third identity, to a listener taking any peer) runs alongside the others.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { needs } from "../_support/env.ts";
import { spawnLoopbackRelay } from "../_support/relay_serve.ts";
import {
  keygen,
  partialIn,
  type PeerkitProcess,
  spawnReceiver,
  spawnSend,
  waitForBytes,
  writePattern,
} from "../transfer/_procs.ts";

const MiB = 1 << 20;
const BIG = 64 * MiB;
/** The resumed file, also the one shown with a progress bar. */
const MID = 24 * MiB;

async function fileHash(path: string): Promise<string> {
  const h = createHash("sha256");
  using f = await Deno.open(path);
  for await (const c of f.readable) h.update(c);
  return h.digest("hex");
}

const names = (dir: string) => [...Deno.readDirSync(dir)].map((e) => e.name).sort();

async function finished(p: PeerkitProcess) {
  const s = await p.status;
  return { code: s.code, out: p.out(), err: p.err() };
}

function doc(r: { code: number; out: string; err: string }) {
  try {
    return JSON.parse(r.out);
  } catch {
    throw new Error(`no JSON document (exit ${r.code}): ${r.out}\n${r.err}`);
  }
}

Deno.test({
  name: "peerkit send end to end: relay serve, connect --listen and send as processes",
  ...needs(["tmux"]),
  async fn(t) {
    const root = await Deno.makeTempDir({ prefix: "peerkit-send-e2e-" });
    await using relayNode = await spawnLoopbackRelay(["--rate", "0"]);
    const relay = `127.0.0.1:${relayNode.tcpPort}:${relayNode.publicKeyHex}`;
    const dhtNode = `127.0.0.1:${relayNode.udpPort}:${relayNode.publicKeyHex}`;
    const home = (n: string) => `${root}/${n}`;
    const [ka, kb, , ke] = (await Promise.all(["a", "b", "c", "e"].map((n) =>
      keygen(home(n))
    ))) as [
      string,
      string,
      string,
      string,
    ];
    const inbox = `${root}/inbox`, src = `${root}/src`;
    await Deno.mkdir(inbox);
    await Deno.mkdir(src);
    await writePattern(`${src}/big.bin`, BIG, 7);
    const bigHash = await fileHash(`${src}/big.bin`);
    await writePattern(`${src}/mid.bin`, MID, 3);
    const midHash = await fileHash(`${src}/mid.bin`);
    const common = ["--relay", relay, "--bind", "127.0.0.1:0", "--timeout", "20"];
    const send = (who: string, args: string[], stdin?: Uint8Array) =>
      spawnSend(home(who), kb, [...args, ...common], stdin);
    // Bob: one listener for everything but the direct path and the kill.
    await using bob = spawnReceiver(home("b"), inbox, "any", ["--keep-open", ...common]);
    await bob.waitErr(/listening as/, 20_000);
    try {
      // Carol's 64 MiB over the relay only; checked in the last step.
      await writePattern(`${src}/relayed.bin`, BIG, 9);
      const relayedHash = await fileHash(`${src}/relayed.bin`);
      const relayed = send("c", ["--file", `${src}/relayed.bin`, "--no-punch", "--timeout", "60"]);

      await t.step("a message prints on the receiver's stdout and send exits 0", async () => {
        const r = await finished(send("a", ["hello bob, from alice", "--no-punch"]));
        assert.equal(r.code, 0, r.err);
        assert.equal(doc(r).result, "delivered");
        assert.equal(doc(r).receiverSha256, doc(r).sha256);
        for (let i = 0; i < 100 && !bob.out().includes("\n"); i++) {
          await new Promise((res) => setTimeout(res, 20));
        }
        assert.equal(bob.out(), "hello bob, from alice\n");
      });

      await t.step(
        "a file whose name has a control character is refused and send exits 1",
        async () => {
          await Deno.writeTextFile(`${src}/bad\u0001name`, "x");
          const r = await finished(send("a", ["--file", `${src}/bad\u0001name`, "--no-punch"]));
          assert.equal(r.code, 1);
          assert.equal(doc(r).result, "refused");
          assert.match(doc(r).why, /refused: the name has a control character/);
          assert.ok(!names(inbox).some((n) => n.includes("name")), names(inbox).join());
        },
      );

      await t.step("stdin (send -) of unknown size is saved under --name", async () => {
        const text = new TextEncoder().encode("line one\nline two\n".repeat(1000));
        const r = await finished(send("a", ["-", "--name", "notes.txt", "--no-punch"], text));
        assert.equal(r.code, 0, r.out + r.err);
        assert.equal(doc(r).storedAs, "notes.txt");
        assert.equal(doc(r).size, text.length);
        assert.deepEqual(await Deno.readFile(`${inbox}/notes.txt`), text);
      });

      await t.step(
        "a sender stopped mid-file and started again sends only what is missing",
        async () => {
          const first = send("a", ["--file", `${src}/mid.bin`]);
          await waitForBytes(() => partialIn(inbox, "mid.bin"), 4 * MiB, 30_000);
          await first.stop("SIGTERM");
          const r1 = await finished(first);
          assert.equal(r1.code, 1, r1.out + r1.err);
          assert.equal(doc(r1).result, "interrupted");
          assert.ok(!names(inbox).includes("mid.bin"));
          const r = await finished(send("a", ["--file", `${src}/mid.bin`]));
          assert.equal(r.code, 0, r.out + r.err);
          const d = doc(r);
          assert.ok(d.resumedFrom > 0, `resumedFrom ${d.resumedFrom}`);
          assert.equal(d.bytes, MID - d.resumedFrom);
          assert.equal(d.storedAs, "mid.bin");
          assert.equal(await fileHash(`${inbox}/mid.bin`), midHash);
          assert.equal(d.receiverSha256, midHash);
        },
      );

      await t.step(
        "the progress bar shows on a terminal (tmux) and is cleared at the end",
        async () => {
          const session = `peerkit-send-${Deno.pid}`;
          const deno = Deno.execPath(), cli = new URL("../../cli.ts", import.meta.url).pathname;
          const cmd = [
            deno,
            "run",
            "-A",
            "--quiet",
            cli,
            "--home",
            home("a"),
            "send",
            kb,
            "--file",
            `${src}/mid.bin`,
            ...common,
          ].map((a) => `'${a}'`).join(" ");
          const tmux = (...args: string[]) =>
            new Deno.Command("tmux", { args, stdout: "piped", stderr: "null" }).output();
          await tmux(
            "new-session",
            "-d",
            "-x",
            "120",
            "-y",
            "30",
            "-s",
            session,
            // The bar is off under NO_COLOR (cli.ts), which a test runner may have set.
            `env -u NO_COLOR ${cmd}; echo "exit=$?"; sleep 30`,
          );
          try {
            let bar = "", screen = "";
            for (let i = 0; i < 600 && !screen.includes("exit="); i++) {
              screen = new TextDecoder().decode(
                (await tmux("capture-pane", "-p", "-t", session)).stdout,
              );
              bar ||=
                screen.split("\n").find((l) =>
                  / \d+% {2}.* \/ 24\.0 MiB {2}.*\/s {2}.* left/.test(l)
                ) ??
                  "";
              await new Promise((r) => setTimeout(r, 50));
            }
            assert.match(
              bar,
              /^\[[#·]+\] +\d+% {2}[\d.]+ \w+ \/ 24\.0 MiB {2}[\d.]+ \w+\/s {2}[\d:-]+ left$/,
              screen,
            );
            assert.match(
              screen,
              /delivered mid\.bin \(24\.0 MiB\) to .* as mid \(1\)\.bin: .* verified by the receiver/,
            );
            assert.match(screen, /exit=0/);
            assert.doesNotMatch(screen, /% .* left/, "the bar is cleared");
          } finally {
            await tmux("kill-session", "-t", session);
          }
        },
      );

      await t.step("a receiver killed mid-file leaves no file under the final name", async () => {
        const eveInbox = `${root}/eve-inbox`;
        await Deno.mkdir(eveInbox);
        const eve = spawnReceiver(home("e"), eveInbox, ka, common);
        await eve.waitErr(/listening as/, 20_000);
        const s = spawnSend(home("a"), ke, ["--file", `${src}/big.bin`, ...common]);
        try {
          await waitForBytes(() => partialIn(eveInbox, "big.bin"), 4 * MiB, 30_000);
          await eve.stop("SIGKILL");
          assert.ok(!names(eveInbox).includes("big.bin"), names(eveInbox).join());
          assert.ok(
            names(eveInbox).every((n) => n.startsWith(".peerkit-")),
            names(eveInbox).join(),
          );
        } finally {
          await s.stop("SIGTERM");
          await eve.stop("SIGKILL");
        }
        assert.equal((await s.status).code, 1);
      });

      await t.step(
        "64 MiB over a direct path (met through the DHT) arrives byte-exact",
        async () => {
          const directInbox = `${root}/direct-inbox`;
          await Deno.mkdir(directInbox);
          const boot = ["--bootstrap", dhtNode, "--bind", "127.0.0.1:0", "--timeout", "30"];
          await using dan = spawnReceiver(home("e"), directInbox, ka, boot);
          const r = await finished(spawnSend(home("a"), ke, ["--file", `${src}/big.bin`, ...boot]));
          assert.equal(r.code, 0, r.out + r.err + dan.err());
          assert.deepEqual(doc(r).paths, ["direct"]);
          assert.equal(doc(r).bytes, BIG);
          assert.equal(await fileHash(`${directInbox}/big.bin`), bigHash);
        },
      );

      await t.step("64 MiB over the relay only arrives byte-exact", async () => {
        const r = await finished(relayed);
        assert.equal(r.code, 0, r.out + r.err);
        assert.deepEqual(doc(r).paths, ["relay"]);
        assert.equal(doc(r).receiverSha256, relayedHash);
        assert.equal(await fileHash(`${inbox}/relayed.bin`), relayedHash);
      });
    } finally {
      await bob.stop();
      await Deno.remove(root, { recursive: true });
    }
  },
});
