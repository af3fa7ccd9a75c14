import assert from "node:assert/strict";
import { backend } from "../../lib/crypto/mod.ts";
import { decodeBootstrapInfo, encodeBootstrapInfoRequest } from "../../lib/dht/bootstrap_info.ts";
import { RelayNode } from "../../lib/relay/mod.ts";

async function answer(s: Deno.DatagramConn, timeoutMs: number): Promise<Uint8Array | null> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const t = new Promise<null>((r) => timer = setTimeout(() => r(null), timeoutMs));
  try {
    const got = await Promise.race([s.receive().then(([d]) => d), t]);
    return got;
  } finally {
    clearTimeout(timer);
  }
}

Deno.test("a relay node answers 0xf0 over real UDP with its MOTD and counts the rest", async () => {
  await using node = await RelayNode.start({
    keyPair: backend().keyPair(),
    bootstrapInfo: { version: 1000001000, motd: "peerkit node" },
  });
  const s = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  using _closer = { [Symbol.dispose]: () => s.close() };
  const to = { transport: "udp" as const, ...node.udpAddr };
  await s.send(encodeBootstrapInfoRequest(), to);
  const got = await answer(s, 3000);
  assert.ok(got, "no answer to a 78-byte request");
  assert.deepEqual(decodeBootstrapInfo(got), { version: 1000001000, motd: "peerkit node" });
  for (const n of [77, 79]) await s.send(new Uint8Array(n).fill(0xf0), to);
  await s.send(Uint8Array.of(0x90, ...new Uint8Array(40)), to);
  await s.send(Uint8Array.of(0x93, ...new Uint8Array(40)), to);
  assert.equal(await answer(s, 300), null);
  const m = node.metrics();
  assert.match(m, /^peerkit_bootstrap_info_answered_total 1$/m);
  assert.match(m, /^peerkit_bootstrap_info_dropped_total 2$/m);
  assert.match(m, /^peerkit_forwarding_dropped_total 1$/m);
  assert.match(m, /^peerkit_dht_announce_dropped_total 1$/m);
});
