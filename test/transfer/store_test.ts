import assert from "node:assert/strict";
import { sha256 } from "../../lib/crypto/hash.ts";
import { badName, numberedName } from "../../lib/transfer/names.ts";
import { openStore, type StoreRequest } from "../../lib/transfer/store.ts";

const SENDER = "C3".repeat(32);
const data = new TextEncoder().encode("the quick brown fox jumps over the lazy dog");
const req = (over: Partial<StoreRequest> = {}): StoreRequest => ({
  sender: SENDER,
  name: "fox.txt",
  size: data.length,
  hash: sha256(data),
  ...over,
});
const names = (dir: string) => [...Deno.readDirSync(dir)].map((e) => e.name).sort();

async function inDir(fn: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir();
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("badName() refuses paths, .., control characters, empty, over-long and store names", () => {
  for (
    const n of [
      "",
      ".",
      "..",
      "a/b",
      "/etc",
      "a\\b",
      "x..y",
      "a\u0000",
      "tab\there",
      "\u007f",
      ".peerkit-x.part",
      "é".repeat(128),
    ]
  ) {
    assert.notEqual(badName(n), null, JSON.stringify(n));
  }
  for (const n of ["a", ".bashrc", "report 2024.pdf", "é".repeat(127), "日本語.txt"]) {
    assert.equal(badName(n), null, n);
  }
});

Deno.test("numberedName() puts the number before the last extension", () => {
  assert.equal(numberedName("x.tar.gz", 12), "x.tar (12).gz");
  assert.equal(numberedName("noext", 1), "noext (1)");
});

Deno.test("store: nothing stands under the final name until commit, and commit never overwrites", async () => {
  await inDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/fox.txt`, "older file");
    const store = await openStore(dir);
    const inc = await store.open(req());
    await inc.write(data);
    assert.equal(await Deno.readTextFile(`${dir}/fox.txt`), "older file");
    assert.equal(names(dir).filter((n) => n.startsWith(".peerkit-")).length, 2);
    assert.equal(await inc.commit(), `${dir}/fox (1).txt`);
    assert.equal(await Deno.readTextFile(`${dir}/fox.txt`), "older file");
    assert.deepEqual(await Deno.readFile(`${dir}/fox (1).txt`), data);
    assert.deepEqual(names(dir), ["fox (1).txt", "fox.txt"]);
  });
});

Deno.test("store: a kept partial resumes for the same sender and content, not for another sender", async () => {
  await inDir(async (dir) => {
    const store = await openStore(dir);
    const a = await store.open(req());
    await a.write(data.subarray(0, 10));
    await a.keep();
    const other = await store.open(req({ sender: "D4".repeat(32) }));
    assert.equal(other.offset, 0);
    await other.discard();
    const b = await store.open(req());
    assert.equal(b.offset, 10);
    assert.deepEqual(b.prefixHash, sha256(data.subarray(0, 10)));
    await assert.rejects(store.open(req()), /already being received/);
    await b.write(data.subarray(10));
    assert.deepEqual(new Uint8Array(b.hasher.update(data.subarray(10)).digest()), sha256(data));
    await b.commit();
    assert.deepEqual(names(dir), ["fox.txt"]);
  });
});

Deno.test("store: metadata that fails validation or names other content means starting at 0", async () => {
  await inDir(async (dir) => {
    const store = await openStore(dir);
    const a = await store.open(req());
    await a.write(data.subarray(0, 10));
    await a.keep();
    const meta = names(dir).find((n) => n.endsWith(".json"))!;
    const good = JSON.parse(await Deno.readTextFile(`${dir}/${meta}`));
    for (
      const bad of [
        "{not json",
        JSON.stringify({ ...good, size: -1 }),
        JSON.stringify({ ...good, extra: 1 }),
        JSON.stringify({ ...good, sha256: "00".repeat(32) }),
      ]
    ) {
      await Deno.writeTextFile(`${dir}/${meta}`, bad);
      const b = await store.open(req());
      assert.equal(b.offset, 0, bad);
      await b.write(data.subarray(0, 10));
      await b.keep();
    }
  });
});

Deno.test("store: a stream's partial file is removed when it breaks off", async () => {
  await inDir(async (dir) => {
    const store = await openStore(dir);
    const s = await store.open(req({ size: null, hash: null, name: "in" }));
    await s.write(data);
    await s.keep();
    assert.deepEqual(names(dir), []);
  });
});
