/**
 * Bootstrap info (0xf0) side by side: `peerkit relay serve --motd` and a real tox-bootstrapd
 * 0.2.18 with `enable_motd = true` get the same requests over real UDP on 127.0.0.1.
 */
import assert from "node:assert/strict";
import { VERSION } from "../../cli.ts";
import { decodeBootstrapInfo, decodeVersion } from "../../lib/dht/bootstrap_info.ts";
import { needs } from "../_support/env.ts";
import { spawnLoopbackRelay } from "../_support/relay_serve.ts";
import { startBootstrapd } from "../_support/toxcore.ts";

/** Sends `size` bytes starting 0xf0 and returns the answer, or null after `waitMs`. */
async function ask(port: number, size: number, waitMs: number): Promise<Uint8Array | null> {
  const s = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const req = new Uint8Array(size).fill(0x5a);
    req[0] = 0xf0;
    await s.send(req, { transport: "udp", hostname: "127.0.0.1", port });
    const none = new Promise<null>((r) => timer = setTimeout(() => r(null), waitMs));
    return await Promise.race([s.receive().then(([d]) => d), none]);
  } finally {
    clearTimeout(timer);
    s.close();
  }
}

Deno.test({
  name:
    "interop: relay serve --motd answers 0xf0 in tox-bootstrapd's layout; neither answers 77 or 79 bytes",
  ...needs(["tox-bootstrapd"]),
  async fn() {
    // test/_support/toxcore.ts configures the daemon with motd = "peerkit-test".
    await using daemon = await startBootstrapd({ tcpRelay: false });
    await using ours = await spawnLoopbackRelay(["--motd", "peerkit-test"]);
    const theirs = await ask(daemon.udpPort, 78, 3000);
    const mine = await ask(ours.udpPort, 78, 3000);
    assert.ok(theirs, "tox-bootstrapd did not answer a 78-byte request");
    assert.ok(mine, "relay serve did not answer a 78-byte request");
    // Same layout: [0xf0][u32 version][MOTD][NUL], same length for the same MOTD, and the
    // same bytes after the version field.
    assert.equal(mine.length, theirs.length);
    assert.equal(mine[0], theirs[0]);
    assert.deepEqual(mine.subarray(5), theirs.subarray(5));
    const a = decodeBootstrapInfo(theirs), b = decodeBootstrapInfo(mine);
    assert.equal(a.motd, "peerkit-test");
    assert.equal(b.motd, "peerkit-test");
    assert.equal(decodeVersion(a.version), "0.2.18");
    assert.equal(decodeVersion(b.version), VERSION);
    for (const size of [77, 79]) {
      assert.equal(await ask(daemon.udpPort, size, 500), null, `tox-bootstrapd, ${size} bytes`);
      assert.equal(await ask(ours.udpPort, size, 500), null, `relay serve, ${size} bytes`);
    }
  },
});
