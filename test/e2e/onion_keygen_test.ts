/** `peerkit keygen --show` prints the Tox ID: key, a nospam kept once per identity, checksum. */
import assert from "node:assert/strict";
import { peerkit } from "../_support/cli.ts";
import { readKeyFile } from "../../lib/identity/mod.ts";
import { parseToxId } from "../../lib/identity/tox_id.ts";
import { toHex } from "../../lib/util/bytes.ts";

Deno.test("keygen --show prints the key and a Tox ID whose nospam is made once, 0600, and kept", async () => {
  const home = await Deno.makeTempDir({ prefix: "peerkit-home-" });
  try {
    assert.equal((await peerkit(["keygen", "--home", home])).code, 0);
    const first = await peerkit(["keygen", "--show", "--home", home]);
    assert.equal(first.code, 0, first.stderr);
    const [key, toxId, rest] = first.stdout.split("\n");
    assert.match(toxId!, /^[0-9A-F]{76}$/);
    assert.equal(rest, "");
    const kp = await readKeyFile(`${home}/identity.key`);
    assert.equal(key, toHex(kp.publicKey).toUpperCase());
    const id = parseToxId(toxId!);
    assert.deepEqual(id.publicKey, kp.publicKey);
    const st = await Deno.stat(`${home}/nospam`);
    assert.equal(st.mode! & 0o777, 0o600);
    assert.equal(
      (await Deno.readTextFile(`${home}/nospam`)).trim(),
      toHex(id.nospam).toUpperCase(),
    );
    assert.match(first.stderr, /nospam [0-9A-F]{8} \+ checksum [0-9A-F]{4}/);
    const again = await peerkit(["keygen", "--show", "--home", home]);
    assert.equal(again.stdout, first.stdout);
    const json = await peerkit(["--json", "keygen", "--show", "--home", home]);
    const doc = JSON.parse(json.stdout);
    assert.equal(doc.toxId, toxId);
    assert.equal(doc.nospam, toxId!.slice(64, 72));
    assert.equal(doc.publicKey, key);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("keygen --show gives each key file its own nospam, and a malformed nospam file is one line, exit 1", async () => {
  const dir = await Deno.makeTempDir({ prefix: "peerkit-home-" });
  try {
    await peerkit(["keygen", "--out", `${dir}/a.key`]);
    await peerkit(["keygen", "--out", `${dir}/b.key`]);
    const a = await peerkit(["keygen", "--show", `${dir}/a.key`, "--home", dir]);
    assert.equal(a.code, 0, a.stderr);
    assert.ok(await Deno.stat(`${dir}/a.key.nospam`));
    const b = await peerkit(["keygen", "--show", `${dir}/b.key`, "--home", dir]);
    assert.notEqual(a.stdout.split("\n")[1], b.stdout.split("\n")[1]);
    await Deno.writeTextFile(`${dir}/a.key.nospam`, "not hex\n");
    const bad = await peerkit(["keygen", "--show", `${dir}/a.key`]);
    assert.equal(bad.code, 1);
    assert.equal(bad.stderr.trim().split("\n").length, 1);
    assert.match(bad.stderr, /must hold 8 hex characters/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
