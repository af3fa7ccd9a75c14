import assert from "node:assert/strict";
import { sha256 } from "../../lib/crypto/hash.ts";
import { type ReceiveResult, receiveTransfer } from "../../lib/transfer/receive_driver.ts";
import { sendOverChannel } from "../../lib/transfer/send_driver.ts";
import { fileSource, messageSource, type Source, streamSource } from "../../lib/transfer/source.ts";
import { isTransferMessage } from "../../lib/transfer/wire.ts";
import { toHex } from "../../lib/util/bytes.ts";
import { type ChannelPair, channelPair } from "./_pair.ts";

const KA = "A1".repeat(32), KB = "B2".repeat(32);

function content(n: number, seed = 1): Uint8Array {
  const b = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) b[i] = (x = (x * 1103515245 + 12345) >>> 0) >>> 24;
  return b;
}

/** Runs the receiving end on `pair.b` the way `connect --listen` does. */
function listen(pair: ChannelPair, saveDir?: string) {
  const texts: string[] = [];
  const r = receiveTransfer({
    peer: KA,
    send: (m) => pair.b.send(m),
    ...(saveDir !== undefined ? { saveDir } : {}),
    onText: (t) => void texts.push(t),
    ended: pair.b.ended,
  });
  pair.b.onMessage((m) => isTransferMessage(m) && r.handle(m));
  return { texts, done: r.done };
}

async function withDir(fn: (dir: string, src: string) => Promise<void>) {
  const dir = await Deno.makeTempDir(), src = await Deno.makeTempDir();
  try {
    await fn(dir, src);
  } finally {
    await Deno.remove(dir, { recursive: true });
    await Deno.remove(src, { recursive: true });
  }
}

Deno.test("send: a message is delivered, printed once, and proven by the receiver's hash", async () => {
  const pair = channelPair(KA, KB);
  const l = listen(pair);
  const rep = await sendOverChannel(pair.a, messageSource("hello, peer"));
  const got = await l.done;
  assert.equal(rep.delivered, true, rep.why);
  assert.deepEqual(l.texts, ["hello, peer"]);
  assert.equal(rep.receiverSha256, toHex(sha256(new TextEncoder().encode("hello, peer"))));
  assert.equal(got.kind, "message");
  assert.equal(got.ok, true);
  pair.cut();
});

Deno.test("send: a file arrives byte-exact under its base name; a second copy gets a numbered name", async () => {
  await withDir(async (dir, srcDir) => {
    const data = content(300_000);
    await Deno.writeFile(`${srcDir}/data.bin`, data);
    for (const want of ["data.bin", "data (1).bin"]) {
      const pair = channelPair(KA, KB);
      const l = listen(pair, dir);
      const rep = await sendOverChannel(pair.a, await fileSource(`${srcDir}/data.bin`));
      const got = await l.done;
      assert.equal(rep.delivered, true, rep.why);
      assert.equal(rep.storedAs, want);
      assert.equal(rep.bytes, data.length);
      assert.equal(got.path, `${dir}/${want}`);
      assert.deepEqual(await Deno.readFile(`${dir}/${want}`), data);
      pair.cut();
    }
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name).sort(), [
      "data (1).bin",
      "data.bin",
    ]);
  });
});

Deno.test("send: a stream of unknown size is stored and verified by the hash sent at the end", async () => {
  await withDir(async (dir) => {
    const data = content(50_000, 3);
    const pair = channelPair(KA, KB);
    const l = listen(pair, dir);
    const src = streamSource(ReadableStream.from([data.subarray(0, 7), data.subarray(7)]), "piped");
    const rep = await sendOverChannel(pair.a, src);
    await l.done;
    assert.equal(rep.delivered, true, rep.why);
    assert.equal(rep.size, data.length);
    assert.deepEqual(await Deno.readFile(`${dir}/piped`), data);
    pair.cut();
  });
});

Deno.test("send: a name with a path, .. or a control character is refused and the sender told why", async () => {
  await withDir(async (dir, srcDir) => {
    await Deno.writeFile(`${srcDir}/f`, content(10));
    for (const name of ["../escape", "a/b", "x\u0007y", ""]) {
      const pair = channelPair(KA, KB);
      const l = listen(pair, dir);
      const rep = await sendOverChannel(pair.a, await fileSource(`${srcDir}/f`, name));
      const got = await l.done;
      assert.equal(rep.delivered, false);
      assert.equal(rep.failure, "refused");
      assert.match(rep.why!, /^refused: the name/);
      assert.equal(got.kind, "refused");
      pair.cut();
    }
    assert.deepEqual([...Deno.readDirSync(dir)], []);
  });
});

Deno.test("send: a receiver without a save dir refuses files", async () => {
  await withDir(async (_dir, srcDir) => {
    await Deno.writeFile(`${srcDir}/f`, content(10));
    const pair = channelPair(KA, KB);
    listen(pair);
    const rep = await sendOverChannel(pair.a, await fileSource(`${srcDir}/f`));
    assert.equal(rep.failure, "refused");
    assert.match(rep.why!, /no --save-dir/);
    pair.cut();
  });
});

/** Sends `src` and breaks the channel once `after` content bytes have gone out. */
async function interrupted(dir: string, src: Source, after: number): Promise<ReceiveResult> {
  const pair = channelPair(KA, KB);
  const l = listen(pair, dir);
  const rep = await sendOverChannel(pair.a, src, {
    onProgress: (sent) => sent >= after && pair.cut(),
  });
  assert.equal(rep.delivered, false);
  assert.equal(rep.failure, "interrupted");
  return await l.done;
}

Deno.test("send: a transfer broken off leaves no file under the final name, and a second send sends only the rest", async () => {
  await withDir(async (dir, srcDir) => {
    const data = content(3_500_000, 5);
    await Deno.writeFile(`${srcDir}/big.bin`, data);
    const first = await interrupted(dir, await fileSource(`${srcDir}/big.bin`), 1_000_000);
    assert.equal(first.ok, false);
    const names = [...Deno.readDirSync(dir)].map((e) => e.name);
    assert.ok(!names.includes("big.bin"), names.join());
    assert.ok(names.some((n) => n.endsWith(".part")));
    const pair = channelPair(KA, KB);
    const l = listen(pair, dir);
    const rep = await sendOverChannel(pair.a, await fileSource(`${srcDir}/big.bin`));
    const got = await l.done;
    assert.equal(rep.delivered, true, rep.why);
    assert.ok(rep.resumedFrom >= 500_000, `resumed from ${rep.resumedFrom}`);
    assert.equal(rep.bytes, data.length - rep.resumedFrom);
    assert.equal(got.resumedFrom, rep.resumedFrom);
    assert.deepEqual(await Deno.readFile(`${dir}/big.bin`), data);
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["big.bin"]);
    pair.cut();
  });
});

Deno.test("send: a held prefix that differs from the sender's makes it start again from 0", async () => {
  await withDir(async (dir, srcDir) => {
    const data = content(2_000_000, 9);
    await Deno.writeFile(`${srcDir}/p.bin`, data);
    await interrupted(dir, await fileSource(`${srcDir}/p.bin`), 1_000_000);
    const part = [...Deno.readDirSync(dir)].find((e) => e.name.endsWith(".part"))!.name;
    const f = await Deno.open(`${dir}/${part}`, { write: true });
    await f.write(new Uint8Array([0xde, 0xad]));
    f.close();
    const pair = channelPair(KA, KB);
    const l = listen(pair, dir);
    const rep = await sendOverChannel(pair.a, await fileSource(`${srcDir}/p.bin`));
    await l.done;
    assert.equal(rep.delivered, true, rep.why);
    assert.equal(rep.resumedFrom, 0);
    assert.equal(rep.bytes, data.length);
    assert.deepEqual(await Deno.readFile(`${dir}/p.bin`), data);
    pair.cut();
  });
});

Deno.test("send: an offer of a file still held by a broken transfer waits for it, then resumes", async () => {
  await withDir(async (dir, srcDir) => {
    const data = content(6_000_000, 11);
    await Deno.writeFile(`${srcDir}/w.bin`, data);
    const old = channelPair(KA, KB);
    const oldEnd = listen(old, dir);
    let second: Promise<unknown> | null = null;
    const fresh = channelPair(KA, KB);
    const freshEnd = listen(fresh, dir);
    const src = await fileSource(`${srcDir}/w.bin`);
    const first = sendOverChannel(old.a, src, {
      onProgress: (sent) => {
        if (sent < 1_000_000 || second) return;
        second = sendOverChannel(fresh.a, src);
        // Break the old transfer only once the new offer has reached the receiver.
        fresh.b.onMessage(() => setTimeout(() => old.cut(), 50));
      },
    });
    assert.equal((await first).failure, "interrupted");
    await oldEnd.done;
    const rep = (await second!) as Awaited<ReturnType<typeof sendOverChannel>>;
    await freshEnd.done;
    assert.equal(rep.delivered, true, rep.why);
    assert.ok(rep.resumedFrom > 0);
    assert.deepEqual(await Deno.readFile(`${dir}/w.bin`), data);
    fresh.cut();
  });
});
