/** `peerkit punch --bootstrap`: the DHT-coordinated meeting from the command line. */
import assert from "node:assert/strict";
import { punchTwo } from "./_cli_pair.ts";
import { spawnLoopbackRelay } from "../_support/relay_serve.ts";
import { dhtShareMs, parsePunchOptions } from "../../commands/punch.ts";

const KEY = "AB".repeat(32);

Deno.test("parsePunchOptions(): --bootstrap alone or with --relay; a listener names its one peer", async () => {
  const o = await parsePunchOptions(KEY, { bootstrap: [`127.0.0.1:33445:${KEY}`] });
  assert.equal(o.bootstrap.length, 1);
  assert.equal(o.bootstrap[0]!.addr.port, 33445);
  assert.equal(o.relays.length, 0);
  const both = await parsePunchOptions(KEY, {
    bootstrap: [`127.0.0.1:1:${KEY}`],
    relay: [`127.0.0.1:2:${KEY}`],
  });
  assert.equal(both.bootstrap.length + both.relays.length, 2);
  assert.equal(dhtShareMs(20_000), 10_000, "the DHT gets half of --timeout");
  assert.equal(dhtShareMs(1_000), 500);
  assert.equal(dhtShareMs(4_000), 2_000);
  const bad: [string | undefined, Record<string, unknown>, RegExp][] = [
    [undefined, { listen: true, allowAny: true, bootstrap: [`127.0.0.1:1:${KEY}`] }, /exactly one/],
    [KEY, { bootstrap: ["127.0.0.1:1"] }, /--bootstrap must be IP:UDPPORT:PUBKEY/],
    [KEY, {}, /--relay .*or --bootstrap/],
  ];
  for (const [id, raw, msg] of bad) {
    await assert.rejects(parsePunchOptions(id, raw), (e: Error & { usage?: boolean }) => {
      assert.match(e.message, msg);
      return e.usage === true;
    });
  }
});

Deno.test("peerkit punch --bootstrap: two processes meet through relay serve's DHT and open a direct path", async () => {
  await using relay = await spawnLoopbackRelay();
  const { da, db, kb, beliefsA } = await punchTwo([
    "--bootstrap",
    `127.0.0.1:${relay.udpPort}:${relay.publicKeyHex}`,
    "--bind",
    "127.0.0.1:0",
    "--timeout",
    "15",
  ]);
  assert.equal(da.path, "direct");
  assert.equal(da.meeting, "dht");
  assert.equal(da.remote, db.local);
  assert.equal(da.peer, kb);
  assert.ok(da.stats.responsesMatched >= 1);
  assert.ok(beliefsA.peers[kb]!.direct.a > 1, "the direct success is in the saved beliefs");
});

Deno.test("peerkit punch --bootstrap --relay: a DHT that never answers, then the relay meeting opens the path", async () => {
  await using relay = await spawnLoopbackRelay();
  const { da, wallMs } = await punchTwo([
    // Nothing answers on this port: the DHT meeting finds no node.
    "--bootstrap",
    `127.0.0.1:9:${relay.publicKeyHex}`,
    "--relay",
    `127.0.0.1:${relay.tcpPort}:${relay.publicKeyHex}`,
    "--bind",
    "127.0.0.1:0",
    "--timeout",
    "8",
  ]);
  assert.equal(da.path, "direct");
  assert.equal(da.meeting, "relay-coordinated");
  assert.equal(da.dhtFirst.meeting, "dht");
  assert.equal(da.dhtFirst.path, "none");
  assert.match(da.dhtFirst.why, /never answered/);
  assert.ok(wallMs >= 4000, `the DHT had its half of --timeout first (${wallMs} ms)`);
});
