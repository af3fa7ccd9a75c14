/**
 * What the DHT reports about a peer: agreement of the close nodes before an address is
 * trusted, c-toxcore's port guessing when the reported ports differ, and the `dht-ping`
 * probing a c-toxcore peer answers. Pure, no network, no real time.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { backend } from "../../lib/crypto/mod.ts";
import { REQUEST_ID } from "../../lib/dht/constants.ts";
import { DhtNode } from "../../lib/dht/node.ts";
import { KIND } from "../../lib/dht/constants.ts";
import { encodeNatPing } from "../../lib/dht/wire.ts";
import { PunchAttempt } from "../../lib/punch/attempt.ts";
import { DHT_PING_MAX_ROUNDS, DhtMeet, type DhtMeetProbe } from "../../lib/punch/dht_meet.ts";
import {
  guessPorts,
  MAX_REPORTERS,
  REPORT_FRESH_MS,
  ReportBook,
} from "../../lib/punch/dht_reports.ts";

const IP = "203.0.113.2";
const key = (n: number) => new Uint8Array(32).fill(n);

Deno.test("ReportBook.agreed(): the IP most nodes report, once enough agree and they are the majority", () => {
  const book = new ReportBook();
  book.add(key(1), { hostname: IP, port: 4000 }, 0);
  assert.equal(book.agreed(0, 2), undefined, "one report is not two");
  book.add(key(2), { hostname: "198.51.100.66", port: 9 }, 0);
  assert.equal(book.agreed(0, 1), undefined, "a tie is no agreement");
  book.add(key(3), { hostname: IP, port: 4001 }, 1);
  const a = book.agreed(1, 2)!;
  assert.equal(a.ip, IP, "the liar is outvoted");
  assert.deepEqual(a.ports, [4001, 4000], "newest report first");
  assert.equal(a.reporters, 2);
  // A node's new report replaces its old one.
  book.add(key(3), { hostname: IP, port: 4000 }, 2);
  assert.deepEqual(book.agreed(2, 2)!.ports, [4000]);
});

Deno.test("ReportBook: stale reports are ignored and the reporters kept are bounded", () => {
  const book = new ReportBook();
  book.add(key(1), { hostname: IP, port: 1 }, 0);
  book.add(key(2), { hostname: IP, port: 1 }, 0);
  assert.ok(book.agreed(REPORT_FRESH_MS, 2));
  assert.equal(book.agreed(REPORT_FRESH_MS + 1, 1), undefined);
  for (let i = 0; i < 100; i++) book.add(key(i), { hostname: IP, port: i + 1 }, 0);
  assert.equal(book.size, MAX_REPORTERS);
});

Deno.test("guessPorts(): c-toxcore's sequence around the reported ports, round after round", () => {
  assert.deepEqual(guessPorts([5000], 0, 6), [5000, 5000, 5001, 4999, 5002, 4998]);
  assert.deepEqual(guessPorts([100, 200], 0, 8), [100, 100, 200, 200, 101, 99, 201, 199]);
  // The next round continues where the last stopped.
  assert.deepEqual(guessPorts([100, 200], 8, 4), [102, 98, 202, 198]);
  assert.deepEqual(guessPorts([65535], 2, 1), [], "65536 wraps to 0, which is skipped");
  assert.deepEqual(guessPorts([1], 3, 1), [], "0 is skipped");
  assert.deepEqual(guessPorts([], 0, 48), []);
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 1, max: 65535 }), { minLength: 1, maxLength: 8 }),
      fc.nat(10_000),
      (ports, index) => {
        const g = guessPorts(ports, index, 48);
        return g.length <= 48 && g.every((p) => Number.isInteger(p) && p >= 1 && p <= 65535);
      },
    ),
  );
});

Deno.test("PunchAttempt: guessed ports are sprayed before random ones", () => {
  const a = backend().keyPair(), b = backend().keyPair();
  const at = new PunchAttempt({
    selfPublicKey: a.publicKey,
    peerPublicKey: b.publicKey,
    sharedKey: backend().sharedKey(b.publicKey, a.secretKey),
    attemptId: new Uint8Array(8),
    peerEndpoints: [{ hostname: IP, port: 5000 }],
    selfHard: false,
    peerHard: true,
    now: 0,
    random: () => 0.5,
    guessPorts: [5001, 4999, 5001, 5002],
  });
  const ports: number[] = [];
  for (let t; (t = at.pollTransmit());) if (t.to.port !== 5000) ports.push(t.to.port);
  assert.deepEqual(ports.slice(0, 3), [5001, 4999, 5002], "each guess once, in order");
  assert.ok(ports.slice(3).every((p) => p >= 1024), "then random ports");
  assert.equal(at.stats.sprayed, ports.length);
});

/** A DhtMeet on a bare node whose ping ids are all 7s, so a response with 7s matches. */
function meeting(probe: DhtMeetProbe) {
  const me = backend().keyPair(), peer = backend().keyPair().publicKey;
  const node = new DhtNode({ keyPair: me, lanDiscovery: false });
  const meet = new DhtMeet({
    node,
    secretKey: me.secretKey,
    peer,
    now: 0,
    probe,
    randomBytes: (n) => new Uint8Array(n).fill(7),
  });
  const report = (reporter: number, port: number, now = 0, ip = IP) =>
    meet.handleDhtEvent({
      type: "response",
      publicKey: key(reporter),
      addr: { hostname: "198.51.100.1", port: 33445 },
      rttMs: 1,
      kind: "nodes",
      nodes: [{ publicKey: peer, addr: { hostname: ip, port } }],
    }, now);
  const nat = (response: boolean, now: number) =>
    meet.handleRoutedRequest({
      requestId: REQUEST_ID.NAT_PING,
      data: encodeNatPing({ response, pingId: new Uint8Array(8).fill(7) }),
      senderPublicKey: peer,
      from: { hostname: "198.51.100.1", port: 33445 },
    }, now);
  return { node, meet, peer, report, nat };
}

Deno.test("DhtMeet: no probe while the close nodes disagree, probes once the majority agrees", () => {
  const { meet, report, nat } = meeting("punch");
  assert.equal(report(1, 4000), true);
  report(2, 4000, 0, "198.51.100.66");
  nat(false, 0);
  nat(true, 0);
  assert.ok(meet.attempt === undefined, "1 against 1: nothing trusted");
  report(3, 4000);
  nat(true, 10);
  assert.equal((meet.attempt as PunchAttempt | undefined)?.mode, "direct");
  assert.deepEqual(meet.trustedAddress(10), { ip: IP, ports: [4000], reporters: 2 });
});

Deno.test("DhtMeet: reported ports that differ make the peer hard and guess around them", () => {
  const { meet, report, nat } = meeting("punch");
  report(1, 4000);
  report(2, 4010);
  nat(false, 0);
  nat(true, 0);
  const at = meet.attempt!;
  assert.equal(at.mode, "birthday-easy");
  const sprayed = new Set<number>();
  for (let now = 0; now <= 200; now += 20) {
    at.handleTimeout(now);
    for (let t; (t = at.pollTransmit());) sprayed.add(t.to.port);
  }
  for (const p of guessPorts([4010, 4000], 0, 48)) assert.ok(sprayed.has(p), `guess ${p}`);
});

Deno.test("DhtMeet dht-ping: DHT pings to the agreed address, 48 guesses when ports differ, open on the peer's answer", () => {
  const { node, meet, peer, report, nat } = meeting("dht-ping");
  report(1, 4000);
  nat(true, 0);
  assert.equal(meet.state, "probing", "a c-toxcore peer's answer alone starts the round");
  const sent = [];
  for (let p; (p = node.pollTransmit());) sent.push(p);
  assert.equal(sent.length, 1);
  assert.equal(sent[0]!.data[0], KIND.PING_REQUEST);
  assert.equal(sent[0]!.data.length, 82, "an ordinary DHT ping request");
  assert.deepEqual(sent[0]!.to, { hostname: IP, port: 4000 });
  // Another report with another port: the next round (3 s later) guesses 48 ports.
  report(2, 4100, 1);
  nat(true, 1000);
  assert.equal(meet.stats.attempts, 1, "at most one round per 3 s");
  nat(true, 3000);
  const round: number[] = [];
  for (let p; (p = node.pollTransmit());) round.push(p.to.port);
  assert.equal(round.length, new Set(guessPorts([4100, 4000], 0, 48)).size);
  assert.ok(round.includes(4101) && round.includes(3999));
  // The peer's key answers a ping from its address: open there.
  const from = { hostname: IP, port: 4101 };
  assert.equal(
    meet.handleDhtEvent({
      type: "response",
      publicKey: peer,
      addr: from,
      rttMs: 5,
      kind: "ping",
      nodes: [],
    }, 3100),
    true,
  );
  assert.equal(meet.state, "open");
  assert.deepEqual(meet.path?.remote, from);
  assert.equal(meet.path!.openedAt - meet.path!.startedAt, 3100);
  assert.equal(meet.probes, meet.stats.probePings);
  assert.equal(meet.nextTimeout(), undefined);
});

Deno.test("DhtMeet dht-ping: bounded rounds, then failed", () => {
  const { node, meet, report, nat } = meeting("dht-ping");
  report(1, 4000);
  report(2, 4001);
  let t = 0;
  for (let i = 0; i < 100; i++, t += 3000) {
    nat(true, t);
    meet.handleTimeout(t);
    while (node.pollTransmit());
  }
  assert.equal(meet.state, "failed");
  assert.equal(meet.stats.attempts, DHT_PING_MAX_ROUNDS);
  assert.ok(meet.stats.probePings <= DHT_PING_MAX_ROUNDS * 48);
});
