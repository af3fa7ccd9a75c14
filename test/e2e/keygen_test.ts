import assert from "node:assert/strict";
import { peerkit } from "../_support/cli.ts";
import { needs } from "../_support/env.ts";
import { startBootstrapd } from "../_support/toxcore.ts";
import { readKeyFile } from "../../lib/identity/mod.ts";
import { toHex } from "../../lib/util/bytes.ts";

async function tempHome(): Promise<string> {
  return await Deno.makeTempDir({ prefix: "peerkit-home-" });
}

Deno.test("keygen writes a 64-byte identity with mode 0600 and prints its public key", async () => {
  const home = await tempHome();
  try {
    const r = await peerkit(["keygen"], { PEERKIT_HOME: home });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^[0-9A-F]{64}\n$/);
    const st = await Deno.stat(`${home}/identity.key`);
    assert.equal(st.size, 64);
    assert.equal(st.mode! & 0o777, 0o600);
    const kp = await readKeyFile(`${home}/identity.key`);
    assert.equal(toHex(kp.publicKey).toUpperCase(), r.stdout.trim());
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("keygen --json prints exactly one document with publicKey and path", async () => {
  const home = await tempHome();
  try {
    const r = await peerkit(["keygen", "--json", "--home", home]);
    assert.equal(r.code, 0);
    const doc = JSON.parse(r.stdout);
    assert.deepEqual(Object.keys(doc).sort(), ["path", "publicKey"]);
    assert.equal(doc.path, `${home}/identity.key`);
    assert.match(doc.publicKey, /^[0-9A-F]{64}$/);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("keygen never overwrites without --force, and --force replaces atomically", async () => {
  const home = await tempHome();
  try {
    const first = await peerkit(["keygen", "--home", home]);
    const before = await Deno.readFile(`${home}/identity.key`);
    const again = await peerkit(["keygen", "--home", home]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /exists; use --force/);
    assert.deepEqual(await Deno.readFile(`${home}/identity.key`), before);
    const forced = await peerkit(["keygen", "--home", home, "--force"]);
    assert.equal(forced.code, 0);
    assert.notEqual(forced.stdout, first.stdout);
    assert.equal((await Deno.stat(`${home}/identity.key`)).mode! & 0o777, 0o600);
    const leftovers = [...Deno.readDirSync(home)].map((e) => e.name);
    assert.deepEqual(leftovers, ["identity.key"], "no temporary files left behind");
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("keygen --out writes elsewhere and --show prints the same key", async () => {
  const dir = await tempHome();
  try {
    const made = await peerkit(["keygen", "--out", `${dir}/sub/node.key`]);
    assert.equal(made.code, 0, made.stderr);
    const shown = await peerkit(["keygen", "--show", `${dir}/sub/node.key`]);
    assert.equal(shown.code, 0);
    assert.equal(shown.stdout.split("\n")[0], made.stdout.trim());
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("commands refuse a key file that others can read, with a one-line explanation", async () => {
  const home = await tempHome();
  try {
    await peerkit(["keygen", "--home", home]);
    await Deno.chmod(`${home}/identity.key`, 0o644);
    const r = await peerkit(["keygen", "--show", "--home", home]);
    assert.equal(r.code, 1);
    assert.equal(r.stderr.trim().split("\n").length, 1);
    assert.match(r.stderr, /permissions 0644 .* too open.*chmod 600/);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("keygen --show of a missing or malformed file fails with exit 1 and one line", async () => {
  const dir = await tempHome();
  try {
    const missing = await peerkit(["keygen", "--show", `${dir}/none.key`]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /no key file at/);
    await Deno.writeFile(`${dir}/short.key`, new Uint8Array(10), { mode: 0o600 });
    const short = await peerkit(["keygen", "--show", `${dir}/short.key`]);
    assert.equal(short.code, 1);
    assert.match(short.stderr, /is 10 bytes; a key file is exactly 64 bytes/);
    const json = await peerkit(["--json", "keygen", "--show", `${dir}/short.key`]);
    assert.equal(JSON.parse(json.stdout).error, "KEY_FILE_INVALID");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("keygen rejects conflicting options as usage errors", async () => {
  const r = await peerkit(["keygen", "--show", "--force"]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--show cannot be combined/);
});

Deno.test({
  name: "keygen --import adopts a real tox-bootstrapd key file and keeps its public key",
  ...needs(["tox-bootstrapd"]),
  async fn() {
    const home = await tempHome();
    const d = await startBootstrapd({ tcpRelay: false });
    try {
      const keys = await Deno.readFile(`${d.dir}/keys`);
      await Deno.writeFile(`${home}/daemon.keys`, keys, { mode: 0o600 });
      const r = await peerkit(["keygen", "--import", `${home}/daemon.keys`, "--home", home]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.trim(), d.publicKeyHex);
      assert.deepEqual(await Deno.readFile(`${home}/identity.key`), keys);
    } finally {
      await d.stop();
      await Deno.remove(home, { recursive: true });
    }
  },
});

Deno.test({
  name: "tox-bootstrapd runs with a key file written by keygen and announces its public key",
  ...needs(["tox-bootstrapd"]),
  async fn() {
    const home = await tempHome();
    try {
      const made = await peerkit(["keygen", "--home", home]);
      const d = await startBootstrapd({
        tcpRelay: false,
        keyFile: await Deno.readFile(`${home}/identity.key`),
      });
      await d.stop();
      assert.equal(d.publicKeyHex, made.stdout.trim());
    } finally {
      await Deno.remove(home, { recursive: true });
    }
  },
});
