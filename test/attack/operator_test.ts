import assert from "node:assert/strict";
import { backend } from "../../lib/crypto/mod.ts";
import { encodeKeyFile, readKeyFile } from "../../lib/identity/mod.ts";
import { RelayNode } from "../../lib/relay/node.ts";
import { parseRelayServeOptions } from "../../commands/relay.ts";
import { spawnLoopbackRelay } from "../_support/relay_serve.ts";
import { answersTo } from "./_udp_answers.ts";

/** A LAN discovery packet (0x21, then a public key): 33 bytes. */
function lanDiscovery(): Uint8Array {
  const p = new Uint8Array(33);
  p[0] = 0x21;
  p.set(backend().keyPair().publicKey, 1);
  return p;
}

Deno.test("relay serve --no-lan-discovery parses; LAN discovery stays on by default", async () => {
  assert.equal((await parseRelayServeOptions({})).lanDiscovery, true);
  assert.equal((await parseRelayServeOptions({ lanDiscovery: false })).lanDiscovery, false);
});

Deno.test("a relay node answers LAN discovery by default, and not with lanDiscovery: false", async () => {
  for (const lan of [true, false]) {
    await using n = await RelayNode.start({ keyPair: backend().keyPair(), lanDiscovery: lan });
    const got = await answersTo(n.udpAddr.port, [lanDiscovery()]);
    if (lan) assert.ok(got.length >= 1, "an answer (a nodes request) to LAN discovery");
    else assert.deepEqual(got, []);
    assert.equal(n.dht.node.stats.lanDiscovery, lan ? 1 : 0);
  }
});

Deno.test("peerkit relay serve --no-lan-discovery draws no answer to a LAN discovery packet", async () => {
  await using r = await spawnLoopbackRelay(["--no-lan-discovery"]);
  const port = r.udpPort;
  assert.deepEqual(await answersTo(port, [lanDiscovery()]), []);
});

Deno.test("regression: a key file of the wrong size is refused from its size, without reading it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const big = `${dir}/big.key`;
    // A sparse 1 GiB file: reading it whole would take a gigabyte of memory.
    using f = await Deno.open(big, { create: true, write: true, mode: 0o600 });
    await f.truncate(1024 ** 3);
    const readFile = Deno.readFile;
    let reads = 0;
    Object.defineProperty(Deno, "readFile", {
      value: (...a: Parameters<typeof Deno.readFile>) => (reads++, readFile(...a)),
      configurable: true,
      writable: true,
    });
    try {
      await assert.rejects(readKeyFile(big), (e: Error & { code?: string }) => {
        assert.equal(e.code, "KEY_FILE_INVALID");
        assert.match(e.message, /1073741824 bytes.*exactly 64/);
        return true;
      });
      assert.equal(reads, 0);
      // A good key file is still read.
      const good = `${dir}/good.key`;
      await Deno.writeFile(good, encodeKeyFile(backend().keyPair()), { mode: 0o600 });
      await readKeyFile(good);
      assert.equal(reads, 1);
    } finally {
      Object.defineProperty(Deno, "readFile", {
        value: readFile,
        configurable: true,
        writable: true,
      });
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

for (const host of ["not a host!", "127.0.0.1:80"]) {
  Deno.test(`relay serve --host ${JSON.stringify(host)} is a usage error`, async () => {
    await assert.rejects(
      parseRelayServeOptions({ host }),
      (e: Error & { usage?: boolean }) => e.usage === true && /--host/.test(e.message),
    );
  });
}
