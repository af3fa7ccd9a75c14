/** The DHT-coordinated meeting on loopback sockets: two peers and one relay node's DHT. */
import assert from "node:assert/strict";
import { backend } from "../../lib/crypto/mod.ts";
import { formatAddr } from "../../lib/net/addr.ts";
import { RelayNode } from "../../lib/relay/node.ts";
import { runDhtMeet } from "../../lib/punch/dht_meet_driver.ts";

Deno.test("runDhtMeet(): two peers on loopback meet through a DHT node's NAT pings and open a direct path", async () => {
  await using node = await RelayNode.start({ keyPair: backend().keyPair(), hostname: "127.0.0.1" });
  const bootstrap = [{ addr: node.udpAddr, publicKey: node.publicKey }];
  const a = backend().keyPair(), b = backend().keyPair();
  const bind = { hostname: "127.0.0.1", port: 0 };
  const [ra, rb] = await Promise.all([
    runDhtMeet({ keyPair: a, peer: b.publicKey, bootstrap, bind, timeoutMs: 15_000 }),
    runDhtMeet({ keyPair: b, peer: a.publicKey, bootstrap, bind, timeoutMs: 15_000 }),
  ]);
  assert.equal(ra.path, "direct", JSON.stringify(ra));
  assert.equal(rb.path, "direct", JSON.stringify(rb));
  assert.equal(ra.remote, rb.local);
  assert.equal(rb.remote, ra.local);
  assert.ok(ra.stats.responsesMatched >= 1 && rb.stats.requestsSeen >= 1);
  assert.equal(typeof ra.timeToFirstRoundTripMs, "number");
  assert.notEqual(formatAddr(node.udpAddr), ra.remote);
});

Deno.test("runDhtMeet(): a peer that is not there: no path, said in one line, within the timeout", async () => {
  await using node = await RelayNode.start({ keyPair: backend().keyPair(), hostname: "127.0.0.1" });
  const t0 = performance.now();
  const r = await runDhtMeet({
    keyPair: backend().keyPair(),
    peer: backend().keyPair().publicKey,
    bootstrap: [{ addr: node.udpAddr, publicKey: node.publicKey }],
    bind: { hostname: "127.0.0.1", port: 0 },
    timeoutMs: 2_000,
  });
  assert.equal(r.path, "none");
  assert.match(r.why, /never answered a NAT ping/);
  assert.ok(performance.now() - t0 < 4_000);
});
