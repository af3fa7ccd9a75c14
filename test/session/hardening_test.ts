import assert from "node:assert/strict";
import { tweetnaclBackend as crypto } from "../../lib/crypto/backend.ts";
import { answerCookieRequest, CookieJar } from "../../lib/session/cookie.ts";
import { buildCookieRequest } from "../../lib/session/handshake.ts";
import { KIND_DATA, KIND_HANDSHAKE } from "../../lib/session/constants.ts";
import { decodeSessionPacket } from "../../lib/session/wire.ts";
import { Link, makeHost, randomBytes, World } from "./_world.ts";

function up(seed: number): World {
  const w = new World(makeHost(seed), makeHost(seed + 1), new Link(seed + 2), new Link(seed + 3));
  w.a.connect(w.b.publicKey, w.b.dhtPublicKey, 0);
  assert.ok(
    w.run(() =>
      w.a.session(w.b.peer)?.state === "established" &&
      w.b.session(w.a.peer)?.state === "established", 5000),
  );
  w.a.drainEvents();
  w.b.drainEvents();
  return w;
}

Deno.test("cookie: valid for 15 s, not before it was minted, not when forged", () => {
  const jar = new CookieJar({ crypto, random: randomBytes(1) });
  const c = jar.mint(new Uint8Array(32).fill(1), new Uint8Array(32).fill(2), 10_000);
  assert.ok(jar.open(c, 10_000));
  assert.ok(jar.open(c, 25_000));
  assert.equal(jar.open(c, 25_001), null);
  assert.equal(jar.open(c, 9_999), null);
  const f = c.slice();
  f[50]! ^= 1;
  assert.equal(jar.open(f, 10_000), null);
  assert.equal(new CookieJar({ crypto }).open(c, 10_000), null); // another instance's key
});

Deno.test("cookie responder: answers with the requester's keys and echo id, stateless", () => {
  const random = randomBytes(2);
  const me = crypto.keyPairFromSecretKey(random(32));
  const them = crypto.keyPairFromSecretKey(random(32));
  const real = new Uint8Array(32).fill(5);
  const jar = new CookieJar({ crypto, random });
  const shared = crypto.sharedKey(me.publicKey, them.secretKey);
  const echo = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]);
  const req = decodeSessionPacket(
    buildCookieRequest(crypto, random, shared, them.publicKey, real, echo),
  );
  assert.equal(req.type, "cookieRequest");
  if (req.type !== "cookieRequest") return;
  const resp = answerCookieRequest({ jar, crypto, random, dhtSecretKey: me.secretKey }, req, 1000);
  assert.ok(resp && resp.length === 161);
  const p = decodeSessionPacket(resp);
  if (p.type !== "cookieResponse") throw new Error("not a response");
  const plain = crypto.open(p.box, p.nonce, shared)!;
  assert.deepEqual(plain.subarray(112), echo);
  const c = jar.open(plain.slice(0, 112), 1000)!;
  assert.deepEqual([c.realPublicKey, c.dhtPublicKey], [real, them.publicKey]);
  // A request boxed for someone else is not answered.
  const other = crypto.keyPair();
  assert.equal(
    answerCookieRequest({ jar, crypto, random, dhtSecretKey: other.secretKey }, req, 1000),
    null,
  );
});

Deno.test("forged, truncated and replayed packets are counted and never delivered", () => {
  const w = up(20);
  const captured: Uint8Array[] = [];
  w.tap = (from, bytes) => {
    if (from === w.a.peer && bytes[0] === KIND_DATA) captured.push(bytes);
    return true;
  };
  assert.ok(w.a.send(w.b.peer, new Uint8Array([64, 42]), w.now));
  assert.ok(w.a.sendLossy(w.b.peer, new Uint8Array([200, 43]), w.now));
  const got: Uint8Array[] = [];
  w.run(
    () => (got.push(
      ...w.b.drainEvents().flatMap((e) => e.type === "data" || e.type === "lossy" ? [e.data] : []),
    ),
      got.length >= 2),
    2000,
  );
  assert.equal(got.length, 2);
  const bs = w.b.session(w.a.peer)!;
  const before = structuredClone(bs.stats.dropped);
  for (const c of captured) w.b.handleDatagram(c, w.now, { peer: w.a.peer }); // replay
  const flipped = captured[0]!.slice();
  flipped[1]! ^= 0x40; // a nonce far ahead: the box fails
  w.b.handleDatagram(flipped, w.now, { peer: w.a.peer }); // forged
  w.b.handleDatagram(captured[0]!.subarray(0, 20), w.now, { peer: w.a.peer }); // truncated
  w.b.handleDatagram(captured[0]!, w.now, {}); // no known path
  const hs = new Uint8Array(385);
  hs[0] = KIND_HANDSHAKE;
  w.b.handleDatagram(hs, w.now, { peer: w.a.peer }); // forged handshake
  w.b.handleDatagram(new Uint8Array([0x19, ...new Uint8Array(160)]), w.now, { peer: w.a.peer });
  assert.equal(bs.stats.dropped.replay - before.replay, captured.length);
  assert.ok(bs.stats.dropped.badBox - before.badBox >= 1);
  assert.equal(w.b.stats.dropped.malformed, 1);
  assert.equal(w.b.stats.dropped.unknownPeer, 1);
  assert.equal(w.b.stats.dropped.badCookie, 1);
  assert.equal(bs.stats.dropped.wrongState - before.wrongState, 1); // stray cookie response
  assert.equal(w.b.drainEvents().filter((e) => e.type === "data" || e.type === "lossy").length, 0);
  assert.equal(bs.state, "established");
});

Deno.test("a replayed kill packet from an old nonce does nothing; a fresh one ends the session", () => {
  const w = up(30);
  let kill: Uint8Array | undefined;
  w.tap = (from, bytes) => {
    if (from === w.a.peer && bytes[0] === KIND_DATA) kill = bytes;
    return true;
  };
  w.a.kill(w.b.peer, w.now);
  w.run(() => w.b.sessions().length === 0, 1000);
  assert.ok(kill);
  const w2 = up(40);
  w2.b.handleDatagram(kill!, w2.now, { peer: w2.a.peer }); // another session's kill
  assert.equal(w2.b.session(w2.a.peer)?.state, "established");
});

Deno.test("nonce reconstruction survives 2-byte wrap-around and a 50 000-packet gap", () => {
  const w = up(50);
  let drop = true;
  w.tap = (from) => !(drop && from === w.a.peer);
  for (let i = 0; i < 50_000; i++) {
    assert.ok(w.a.sendLossy(w.b.peer, new Uint8Array([210, i & 255]), w.now));
    if ((i & 1023) === 0) w.run(() => true, 0); // flush into the (dropping) link
  }
  w.run(() => true, 0);
  drop = false;
  const seen: number[] = [];
  for (let round = 0; round < 1; round++) {
    for (let i = 0; i < 20_000; i++) w.a.sendLossy(w.b.peer, new Uint8Array([220, i & 255]), w.now);
    w.run(() => {
      for (const e of w.b.drainEvents()) {
        if (e.type === "lossy" && e.data[0] === 220) seen.push(e.data[1]!);
      }
      return seen.length >= (round + 1) * 20_000;
    }, 2000);
  }
  assert.equal(seen.length, 20_000); // indices 50 000..70 000 cross 65 536
  assert.equal(w.b.session(w.a.peer)!.stats.dropped.badBox, 0);
  // and lossless data still flows afterwards
  assert.ok(w.a.send(w.b.peer, new Uint8Array([64, 1]), w.now));
  let ok = false;
  w.run(() => (ok ||= w.b.drainEvents().some((e) => e.type === "data")), 3000);
  assert.ok(ok);
});

Deno.test("a replayed handshake or cookie response does not disturb an established session", () => {
  const w = new World(makeHost(60), makeHost(61), new Link(62), new Link(63));
  const seen: Uint8Array[] = [];
  w.tap = (from, bytes) => {
    if (from === w.a.peer && bytes[0] === KIND_HANDSHAKE) seen.push(bytes);
    if (from === w.b.peer && bytes[0] === 0x19) seen.push(bytes);
    return true;
  };
  w.a.connect(w.b.publicKey, w.b.dhtPublicKey, 0);
  assert.ok(
    w.run(() =>
      w.a.session(w.b.peer)?.state === "established" &&
      w.b.session(w.a.peer)?.state === "established", 5000),
  );
  const bs = w.b.session(w.a.peer)!, as = w.a.session(w.b.peer)!;
  const hs = seen.find((b) => b[0] === KIND_HANDSHAKE)!;
  const cr = seen.find((b) => b[0] === 0x19)!;
  w.b.handleDatagram(hs, w.now, { peer: w.a.peer });
  w.a.handleDatagram(cr, w.now, { peer: w.b.peer });
  assert.equal(bs.stats.dropped.wrongState, 1);
  assert.equal(as.stats.dropped.wrongState, 1);
  assert.equal(w.b.session(w.a.peer), bs);
  assert.equal(bs.state, "established");
  assert.ok(w.a.send(w.b.peer, new Uint8Array([64, 5]), w.now));
  let got = false;
  w.run(() => (got ||= w.b.drainEvents().some((e) => e.type === "data")), 2000);
  assert.ok(got);
});

Deno.test("a handshake from a peer acceptPeer refuses opens nothing and is counted", () => {
  const w = new World(
    makeHost(80),
    makeHost(81, { acceptPeer: () => false }),
    new Link(82),
    new Link(83),
  );
  w.a.connect(w.b.publicKey, w.b.dhtPublicKey, 0);
  w.run(() => w.b.stats.dropped.notFriend >= 3, 5000);
  assert.ok(w.b.stats.dropped.notFriend >= 3);
  assert.equal(w.b.sessions().length, 0);
  assert.equal(w.b.drainEvents().length, 0);
  assert.equal(w.a.session(w.b.peer)?.state, "handshakeSent");
});
