import assert from "node:assert/strict";
import { backend } from "../../lib/crypto/mod.ts";
import type { Addr } from "../../lib/net/addr.ts";
import { PunchAttempt } from "../../lib/punch/attempt.ts";
import { KEEPALIVE_MS, SPRAY_MAX_PROBES } from "../../lib/punch/constants.ts";
import { decodePunchHeader, encodePunch } from "../../lib/punch/wire.ts";

const A: Addr = { hostname: "203.0.113.1", port: 1000 };
const B: Addr = { hostname: "203.0.113.2", port: 2000 };
const EVE: Addr = { hostname: "198.51.100.9", port: 666 };
const ka = backend().keyPair(), kb = backend().keyPair();
const id = Uint8Array.from([9, 9, 9, 9, 9, 9, 9, 9]);

function pair(over: { aHard?: boolean; bHard?: boolean } = {}) {
  const mk = (me: typeof ka, peer: typeof ka, ep: Addr, selfHard: boolean, peerHard: boolean) =>
    new PunchAttempt({
      selfPublicKey: me.publicKey,
      peerPublicKey: peer.publicKey,
      sharedKey: backend().sharedKey(peer.publicKey, me.secretKey),
      attemptId: id,
      peerEndpoints: [ep],
      selfHard,
      peerHard,
      now: 0,
      random: () => 0.5,
    });
  const aHard = over.aHard ?? false, bHard = over.bHard ?? false;
  return { a: mk(ka, kb, B, aHard, bHard), b: mk(kb, ka, A, bHard, aHard) };
}

/** Delivers everything each side queued, as if nothing were between them. */
function exchange(a: PunchAttempt, b: PunchAttempt, now: number, rounds = 4): void {
  for (let i = 0; i < rounds; i++) {
    for (let t; (t = a.pollTransmit());) b.handleDatagram(0, A, t.data, now);
    for (let t; (t = b.pollTransmit());) a.handleDatagram(0, B, t.data, now);
  }
}

Deno.test("PunchAttempt: both sides open after probe, ack and confirm, and learn how the peer sees them", () => {
  const { a, b } = pair();
  exchange(a, b, 10);
  assert.equal(a.state, "open");
  assert.equal(b.state, "open");
  assert.deepEqual(a.path?.remote, B);
  assert.deepEqual(a.path?.seenAs, A);
  assert.equal(a.timeToOpenMs, 10);
});

Deno.test("PunchAttempt: the first probes to an endpoint carry a low TTL, later ones the default", () => {
  const { a } = pair();
  const first = a.pollTransmit()!;
  assert.equal(first.ttl, 3);
  a.handleTimeout(50);
  assert.equal(a.pollTransmit()!.ttl, 3);
  a.handleTimeout(100);
  assert.equal(a.pollTransmit()!.ttl, undefined);
});

Deno.test("PunchAttempt: both sides hard hands over to the relay at once, without a probe", () => {
  const { a } = pair({ aHard: true, bHard: true });
  assert.equal(a.state, "relay");
  assert.equal(a.mode, "relay");
  assert.equal(a.pollTransmit(), undefined);
  assert.equal(a.nextTimeout(), undefined);
  assert.match(a.why, /relay/);
});

Deno.test("PunchAttempt: an ack replayed from another address does not open a path there", () => {
  const { a, b } = pair();
  while (b.pollTransmit()); // B's own probes
  for (let t; (t = a.pollTransmit());) b.handleDatagram(0, A, t.data, 1);
  const ack = b.pollTransmit()!;
  assert.equal(ack.data[1], 2);
  // Eve captured B's genuine ack and sends it from her own address.
  assert.equal(a.handleDatagram(0, EVE, ack.data, 2), false);
  assert.equal(a.stats.dropped.unknownToken, 1);
  assert.equal(a.state, "probing");
  // The same ack from B's address opens the path to B.
  assert.equal(a.handleDatagram(0, B, ack.data, 3), true);
  assert.deepEqual(a.path?.remote, B);
});

Deno.test("PunchAttempt: a third party cannot inject a fake endpoint (stranger key, forged box, other attempt)", () => {
  const { a } = pair();
  const eve = backend().keyPair();
  const base = {
    type: 2 as const,
    attemptId: id,
    timestamp: 1,
    token: new Uint8Array(16),
    echo: new Uint8Array(16),
    endpoint: EVE,
  };
  const own = encodePunch(
    { ...base, sender: eve.publicKey },
    backend().sharedKey(ka.publicKey, eve.secretKey),
    new Uint8Array(24),
  );
  assert.equal(a.handleDatagram(0, EVE, own, 1), false);
  const claimed = encodePunch(
    { ...base, sender: kb.publicKey },
    backend().sharedKey(ka.publicKey, eve.secretKey),
    new Uint8Array(24),
  );
  assert.equal(a.handleDatagram(0, EVE, claimed, 1), false);
  const other = encodePunch(
    { ...base, sender: kb.publicKey, attemptId: new Uint8Array(8) },
    backend().sharedKey(ka.publicKey, kb.secretKey),
    new Uint8Array(24),
  );
  assert.equal(a.handleDatagram(0, EVE, other, 1), false);
  assert.equal(a.handleDatagram(0, EVE, new Uint8Array([0xe5, 1, 2]), 1), false);
  assert.deepEqual(
    { ...a.stats.dropped },
    { malformed: 1, stranger: 1, forged: 1, otherAttempt: 1, stale: 0, unknownToken: 0 },
  );
  assert.equal(a.state, "probing");
});

Deno.test("PunchAttempt: a probe stamped far from our clock is dropped as stale", () => {
  const { a, b } = pair();
  const probe = a.pollTransmit()!;
  assert.equal(b.handleDatagram(0, A, probe.data, 10 * 60_000), false);
  assert.equal(b.stats.dropped.stale, 1);
});

Deno.test("PunchAttempt: an open path sends keep-alives well under 30 s and is reported lost after silence", () => {
  const { a, b } = pair();
  exchange(a, b, 0);
  assert.ok(a.nextTimeout()! <= KEEPALIVE_MS && KEEPALIVE_MS < 30_000);
  for (let now = 0; now <= 60_000; now += 1000) {
    a.handleTimeout(now);
    b.handleTimeout(now);
    exchange(a, b, now);
  }
  assert.equal(a.state, "open");
  assert.ok(a.stats.keepalives >= 5);
  // B goes silent: A gives the path up within 35 s.
  for (let now = 61_000; now <= 100_000; now += 1000) {
    a.handleTimeout(now);
    while (a.pollTransmit());
  }
  assert.equal(a.state, "lost");
});

Deno.test("PunchAttempt: the easy side of a birthday attempt sprays distinct ports at 500/s, bounded in count", () => {
  const { a } = pair({ bHard: true });
  assert.equal(a.mode, "birthday-easy"); // random() is constant here: distinct ports even so
  const ports = new Set<number>();
  let now = 0;
  for (; now <= 20_000 && a.state === "probing"; now += 20) {
    a.handleTimeout(now);
    for (let t; (t = a.pollTransmit());) if (t.to.port !== B.port) ports.add(t.to.port);
    if (now === 1000) assert.ok(a.stats.sprayed >= 480 && a.stats.sprayed <= 520);
  }
  assert.equal(a.state, "failed");
  assert.ok(a.stats.sprayed <= SPRAY_MAX_PROBES);
  assert.ok(ports.size > SPRAY_MAX_PROBES * 0.9);
});

Deno.test("PunchAttempt: the hard side of a birthday attempt probes from every socket", () => {
  const { a } = pair({ aHard: true });
  assert.equal(a.mode, "birthday-hard");
  const sockets = new Set<number>();
  for (let t; (t = a.pollTransmit());) sockets.add(t.socket);
  assert.equal(sockets.size, 256);
});

Deno.test("PunchAttempt: a failed attempt stops probing at its deadline", () => {
  const { a } = pair();
  for (let now = 0; now <= 6000; now += 50) {
    a.handleTimeout(now);
    while (a.pollTransmit());
  }
  assert.equal(a.state, "failed");
  assert.equal(a.nextTimeout(), undefined);
  const probe = decodePunchHeader(pair().b.pollTransmit()!.data);
  assert.equal(probe.type, 1);
});

Deno.test("PunchAttempt: a side whose confirm was lost still opens by probing where the peer's probe came from", () => {
  const mk = (me: typeof ka, peer: typeof ka, ep: Addr) =>
    new PunchAttempt({
      selfPublicKey: me.publicKey,
      peerPublicKey: peer.publicKey,
      sharedKey: backend().sharedKey(peer.publicKey, me.secretKey),
      attemptId: id,
      peerEndpoints: [ep],
      selfHard: false,
      peerHard: false,
      now: 0,
    });
  // B believes A is at another port (say, a symmetric NAT mapped A's probe elsewhere).
  const a = mk(ka, kb, B), b = mk(kb, ka, { hostname: A.hostname, port: 4444 });
  while (b.pollTransmit()); // B's probes to the wrong port: lost
  for (let t; (t = a.pollTransmit());) b.handleDatagram(0, A, t.data, 0); // A's probe arrives
  for (let t; (t = b.pollTransmit());) a.handleDatagram(0, B, t.data, 0); // B's ack opens A
  assert.equal(a.state, "open");
  while (a.pollTransmit()); // A's confirm is lost
  assert.equal(b.state, "probing");
  b.handleTimeout(60);
  const to = [];
  for (let t; (t = b.pollTransmit());) {
    to.push(t.to.port);
    if (t.to.port === A.port) a.handleDatagram(0, B, t.data, 60);
  }
  assert.ok(to.includes(A.port), `B probes the address A's probe came from: ${to}`);
  for (let t; (t = a.pollTransmit());) b.handleDatagram(0, A, t.data, 60); // A acks
  assert.equal(b.state, "open");
  assert.deepEqual(b.path?.remote, A);
});
