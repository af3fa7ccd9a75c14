/**
 * The DHT-coordinated meeting: NAT pings through the close nodes, then probes, no relay.
 * Virtual time on the in-memory network with NAT models; unit checks on a bare DhtNode.
 */
import assert from "node:assert/strict";
import { backend } from "../../lib/crypto/mod.ts";
import { REQUEST_ID } from "../../lib/dht/constants.ts";
import { DhtNode } from "../../lib/dht/node.ts";
import { encodeNatPing } from "../../lib/dht/wire.ts";
import { DHT_MEET_MAX_ATTEMPTS, DhtMeet, NAT_PING_INTERVAL_MS } from "../../lib/punch/dht_meet.ts";
import { simulateDhtMeet } from "../../lib/punch/dht_meet_sim.ts";
import type { NatPreset } from "../../lib/net/nat_options.ts";

const FROM = { hostname: "198.51.100.1", port: 33445 };

function bare() {
  const me = backend().keyPair(), peer = backend().keyPair();
  const node = new DhtNode({ keyPair: me, lanDiscovery: false });
  const meet = new DhtMeet({ node, secretKey: me.secretKey, peer: peer.publicKey, now: 0 });
  return { node, meet, peer };
}

Deno.test("simulateDhtMeet(): cone pairs open a direct path through NAT pings alone", () => {
  const pairs: [NatPreset, NatPreset][] = [
    ["port-restricted", "port-restricted"],
    ["address-restricted", "full-cone"],
    ["full-cone", "symmetric"],
  ];
  for (const [a, b] of pairs) {
    for (const seed of [1, 2, 3]) {
      const r = simulateDhtMeet({ a: { preset: a }, b: { preset: b }, seed });
      assert.ok(r.direct, `${a} x ${b} seed ${seed}: ${JSON.stringify(r.states)}`);
      assert.equal(r.pathA?.hostname, "203.0.113.2", "A reaches B at B's NAT, not its LAN");
      assert.ok(r.timeToOpenMs! <= 3 * NAT_PING_INTERVAL_MS, `${a} x ${b}: ${r.timeToOpenMs}`);
      assert.equal(r.stats[0].attempts, 1);
      assert.ok(r.stats[0].responsesMatched >= 1 && r.stats[0].requestsSeen >= 1);
    }
  }
});

Deno.test("simulateDhtMeet(): a peer that does not search for us never answers, and no probe goes out", () => {
  const r = simulateDhtMeet({
    a: { preset: "full-cone" },
    b: { preset: "full-cone" },
    seed: 4,
    bSearches: false,
    limitMs: 20_000,
  });
  assert.equal(r.direct, false);
  assert.equal(r.states[1], "none");
  assert.equal(r.stats[0].responsesMatched, 0);
  assert.equal(r.stats[0].attempts, 0);
  assert.ok(r.stats[0].pingsSent >= 1);
  assert.ok(r.stats[0].pingsSent <= 20_000 / NAT_PING_INTERVAL_MS + 1, "one ping per 3 s");
});

Deno.test("simulateDhtMeet(): two symmetric NATs give up after a bounded number of attempts", () => {
  const r = simulateDhtMeet({ a: { preset: "symmetric" }, b: { preset: "symmetric" }, seed: 5 });
  assert.equal(r.direct, false);
  assert.deepEqual(r.states, ["failed", "failed"]);
  assert.equal(r.stats[0].attempts, DHT_MEET_MAX_ATTEMPTS);
});

Deno.test("DhtMeet: NAT pings from another key and other routed requests are not taken", () => {
  const { meet } = bare();
  const stranger = backend().keyPair().publicKey;
  const ping = encodeNatPing({ response: false, pingId: new Uint8Array(8) });
  const r = { requestId: REQUEST_ID.NAT_PING, data: ping, senderPublicKey: stranger, from: FROM };
  assert.equal(meet.handleRoutedRequest(r, 0), false);
  assert.equal(meet.stats.requestsSeen, 0);
  const other = { ...r, requestId: REQUEST_ID.DHTPK };
  assert.equal(meet.handleRoutedRequest(other, 0), false);
});

Deno.test("DhtMeet: a response to an id we did not send is dropped and counted", () => {
  const { meet, peer } = bare();
  const data = encodeNatPing({ response: true, pingId: new Uint8Array(8).fill(7) });
  const r = { requestId: REQUEST_ID.NAT_PING, data, senderPublicKey: peer.publicKey, from: FROM };
  assert.equal(meet.handleRoutedRequest(r, 0), false);
  assert.equal(meet.stats.dropped, 1);
  assert.equal(meet.stats.responsesMatched, 0);
  assert.equal(meet.state, "pinging");
});

Deno.test("DhtMeet: the peer's request alone starts nothing (no answer to our own ping yet)", () => {
  const { meet, peer } = bare();
  const data = encodeNatPing({ response: false, pingId: new Uint8Array(8).fill(1) });
  const r = { requestId: REQUEST_ID.NAT_PING, data, senderPublicKey: peer.publicKey, from: FROM };
  assert.equal(meet.handleRoutedRequest(r, 0), true);
  assert.equal(meet.stats.requestsSeen, 1);
  assert.equal(meet.attempt, undefined);
  assert.equal(meet.pollTransmit(), undefined);
});

Deno.test("DhtMeet: truncated and bit-flipped NAT pings are counted drops, never a throw", () => {
  const { meet, peer } = bare();
  const good = encodeNatPing({ response: true, pingId: new Uint8Array(8).fill(3) });
  const rnd = (n: number) => Math.floor(Math.random() * n);
  let taken = 0;
  for (let i = 0; i < 2000; i++) {
    let data: Uint8Array = good.slice(0, rnd(good.length + 2));
    if (i % 2 === 0) {
      data = good.slice();
      data[rnd(data.length)]! ^= 1 << rnd(8);
    }
    const r = { requestId: REQUEST_ID.NAT_PING, data, senderPublicKey: peer.publicKey, from: FROM };
    if (meet.handleRoutedRequest(r, i)) taken++;
  }
  assert.equal(meet.stats.dropped + taken, 2000);
  assert.ok(meet.stats.dropped > 1000);
  assert.equal(meet.stats.responsesMatched, 0, "no flipped id matches ours");
});

Deno.test("DhtMeet: junk on the punch kind before any attempt is not taken", () => {
  const { meet } = bare();
  for (let i = 0; i < 200; i++) {
    const junk = backend().randomBytes(1 + (i % 200));
    junk[0] = 0xe5;
    assert.equal(meet.handleDatagram(FROM, junk, i), false);
  }
});
