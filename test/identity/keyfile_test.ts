import assert from "node:assert/strict";
import { backend } from "../../lib/crypto/mod.ts";
import {
  decodeKeyFile,
  encodeKeyFile,
  parsePublicKey,
  readKeyFile,
  resolveHome,
  writeKeyFile,
} from "../../lib/identity/mod.ts";
import { PeerkitError } from "../../lib/util/errors.ts";

Deno.test("decodeKeyFile rejects a file whose public key does not match its secret key", () => {
  const a = backend().keyPair(), b = backend().keyPair();
  const bytes = encodeKeyFile({ publicKey: b.publicKey, secretKey: a.secretKey });
  assert.throws(
    () => decodeKeyFile(bytes),
    (e) => e instanceof PeerkitError && /does not belong/.test(e.message),
  );
});

Deno.test("writeKeyFile creates a missing directory with mode 0700", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await writeKeyFile(`${dir}/new/id.key`, backend().keyPair());
    assert.equal((await Deno.stat(`${dir}/new`)).mode! & 0o777, 0o700);
    assert.equal((await readKeyFile(`${dir}/new/id.key`)).secretKey.length, 32);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writeKeyFile does not follow a pre-placed file: KEY_EXISTS, contents untouched", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/id.key`, "precious");
    await assert.rejects(
      writeKeyFile(`${dir}/id.key`, backend().keyPair()),
      (e) => e instanceof PeerkitError && e.code === "KEY_EXISTS",
    );
    assert.equal(await Deno.readTextFile(`${dir}/id.key`), "precious");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("parsePublicKey accepts 64 hex in either case and rejects the rest as usage errors", () => {
  assert.equal(parsePublicKey("ab".repeat(32)).length, 32);
  assert.equal(parsePublicKey("AB".repeat(32))[0], 0xab);
  for (const bad of ["", "ab", "zz".repeat(32), "ab".repeat(33)]) {
    assert.throws(() => parsePublicKey(bad), (e) => e instanceof PeerkitError && e.usage);
  }
});

Deno.test("resolveHome: --home beats PEERKIT_HOME beats ~/.peerkit", () => {
  assert.equal(resolveHome({ home: "/a" }, { PEERKIT_HOME: "/b", HOME: "/c" }), "/a");
  assert.equal(resolveHome({}, { PEERKIT_HOME: "/b", HOME: "/c" }), "/b");
  assert.equal(resolveHome({}, { HOME: "/c" }), "/c/.peerkit");
});
