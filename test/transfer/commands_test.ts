import assert from "node:assert/strict";
import { bufferIo, type GlobalOptions } from "../../commands/_io.ts";
import { createTransferReceiver } from "../../commands/_receive.ts";
import { runSend, sendOnChannel, sourceFor } from "../../commands/_send_run.ts";
import { parseSendOptions, parseSendPayload } from "../../commands/send.ts";
import { isTransferMessage } from "../../lib/transfer/wire.ts";
import { PeerkitError } from "../../lib/util/errors.ts";
import { channelPair } from "./_pair.ts";

const KA = "A1".repeat(32), KB = "B2".repeat(32);
const g = (over: Partial<GlobalOptions> = {}): GlobalOptions => ({
  json: false,
  quiet: false,
  verbose: false,
  home: "/nonexistent",
  ...over,
});

function listener(saveDir: string | undefined, gl = g()) {
  const pair = channelPair(KA, KB);
  const io = bufferIo();
  const r = createTransferReceiver(pair.b, { ...(saveDir ? { saveDir } : {}), g: gl, io });
  pair.b.onMessage((m) => isTransferMessage(m) && r.handle(m));
  return { pair, io, done: r.done };
}

Deno.test("parseSendPayload() takes exactly one of MESSAGE, --file or -", () => {
  assert.deepEqual(parseSendPayload("hi", {}), { kind: "message", text: "hi" });
  assert.deepEqual(parseSendPayload("-", { name: "x.tar" }), { kind: "stdin", name: "x.tar" });
  assert.deepEqual(parseSendPayload(undefined, { file: "a" }), { kind: "file", path: "a" });
  for (
    const [arg, o] of [
      ["hi", { file: "a" }],
      [undefined, {}],
      ["", {}],
      ["-", { name: "../x" }],
      ["hi", { name: "x" }],
    ] as const
  ) {
    assert.throws(() => parseSendPayload(arg, o), (e) => e instanceof PeerkitError && e.usage);
  }
});

Deno.test("sourceFor() says in one line when the file cannot be read or is not a regular file", async () => {
  const io = bufferIo();
  await assert.rejects(sourceFor({ kind: "file", path: "/nonexistent/x" }, io), /cannot read/);
  await assert.rejects(sourceFor({ kind: "file", path: "/tmp" }, io), /not a regular file/);
});

Deno.test("send prints a delivered line; the receiver prints the message on stdout", async () => {
  const l = listener(undefined);
  const io = bufferIo();
  const code = await sendOnChannel(
    l.pair.a,
    await sourceFor({ kind: "message", text: "ping" }, io),
    g(),
    io,
    null,
  );
  await l.done;
  assert.equal(code, 0);
  assert.equal(l.io.stdout(), "ping\n");
  assert.equal(l.io.stderr(), "");
  assert.match(
    io.stdout(),
    /^delivered message \(4 B\) to B2B2B2B2…: sha256 [0-9a-f]{16}… verified/,
  );
  l.pair.cut();
});

Deno.test("send --json prints one document; the receiver's --json lines say receiving and received", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = `${dir}/src.bin`;
    await Deno.writeFile(file, new Uint8Array(100_000).fill(7));
    const l = listener(`${dir}/in`, g({ json: true }));
    const io = bufferIo();
    const code = await sendOnChannel(
      l.pair.a,
      await sourceFor({ kind: "file", path: file }, io),
      g({ json: true }),
      io,
      null,
    );
    await l.done;
    assert.equal(code, 0);
    const doc = JSON.parse(io.stdout());
    assert.equal(doc.result, "delivered");
    assert.equal(doc.bytes, 100_000);
    assert.equal(doc.resumedFrom, 0);
    assert.equal(doc.sha256, doc.receiverSha256);
    assert.deepEqual(doc.paths, ["direct"]);
    assert.equal(doc.storedAs, "src.bin");
    const events = l.io.stderr().trim().split("\n").map((s) => JSON.parse(s));
    assert.deepEqual(events.map((e) => e.event), ["receiving", "received"]);
    assert.equal(events[1].path, `${dir}/in/src.bin`);
    l.pair.cut();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("send draws the progress bar on a terminal and clears it at the end", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = `${dir}/src.bin`;
    await Deno.writeFile(file, new Uint8Array(2_000_000).fill(1));
    const l = listener(`${dir}/in`);
    const io = bufferIo();
    let drawn = "";
    const term = { write: (s: string) => void (drawn += s), width: 100 };
    const code = await sendOnChannel(
      l.pair.a,
      await sourceFor({ kind: "file", path: file }, io),
      g(),
      io,
      term,
    );
    await l.done;
    assert.equal(code, 0);
    const ESC = String.fromCharCode(27);
    assert.ok(drawn.endsWith(`0:00 left${ESC}[K\r${ESC}[K`), JSON.stringify(drawn.slice(-40)));
    assert.match(drawn, /\r\[#+\] 100% {2}1\.9 MiB \/ 1\.9 MiB {2}[\d.]+ \w+\/s {2}0:00 left/);
    assert.match(
      l.io.stderr(),
      /^peerkit: received src\.bin \(1\.9 MiB\) from A1A1A1A1…: saved as /,
    );
    l.pair.cut();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("send exits 1 with one line when refused; the receiver says why on stderr", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeFile(`${dir}/f`, new Uint8Array(3));
    const l = listener(undefined);
    const io = bufferIo();
    const code = await sendOnChannel(
      l.pair.a,
      await sourceFor({ kind: "file", path: `${dir}/f` }, io),
      g(),
      io,
      null,
    );
    await l.done;
    assert.equal(code, 1);
    assert.equal(
      io.stderr(),
      "peerkit: send: f not delivered (refused): refused: this receiver takes no files (no --save-dir)\n",
    );
    assert.match(l.io.stderr(), /^peerkit: refused f from A1A1A1A1…: this receiver takes no files/);
    l.pair.cut();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("runSend() says a file cannot be read before it opens any link", async () => {
  const relay = "127.0.0.1:9:" + "CD".repeat(32); // nothing listens there: never dialled
  const o = await parseSendOptions(KB, undefined, { relay: [relay], file: "/nonexistent/f" });
  const t0 = Date.now();
  await assert.rejects(
    runSend(o.link, o.payload, g(), bufferIo()),
    /send: cannot read \/nonexistent\/f/,
  );
  assert.ok(Date.now() - t0 < 1000);
});
