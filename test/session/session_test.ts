import assert from "node:assert/strict";
import { Link, makeHost, World } from "./_world.ts";
import { tweetnaclBackend } from "../../lib/crypto/backend.ts";
import { transfer } from "./_transfer.ts";
import type { SessionHost } from "../../lib/session/host.ts";
import { PathSelector } from "../../lib/session/path.ts";
import type { SessionEvent } from "../../lib/session/types.ts";
import { KIND_COOKIE_REQUEST, KIND_DATA, KIND_HANDSHAKE } from "../../lib/session/constants.ts";

function pair(seed = 1, link: ConstructorParameters<typeof Link>[1] = {}) {
  const a = makeHost(seed * 10 + 1);
  const b = makeHost(seed * 10 + 2);
  return new World(a, b, new Link(seed * 10 + 3, link), new Link(seed * 10 + 4, link));
}

function established(w: World): boolean {
  return w.a.session(w.b.peer)?.state === "established" &&
    w.b.session(w.a.peer)?.state === "established";
}

function events(h: SessionHost, type: SessionEvent["type"]): SessionEvent[] {
  return h.drainEvents().filter((e) => e.type === type);
}

Deno.test("handshake: a opens a session to b (cookie, handshake, confirm)", () => {
  const w = pair(1);
  const kinds: number[] = [];
  w.tap = (_from, bytes) => (kinds.push(bytes[0]!), true);
  w.a.connect(w.b.publicKey, w.b.dhtPublicKey, 0);
  assert.ok(w.run(() => established(w), 5000));
  assert.deepEqual(kinds.slice(0, 4), [0x18, 0x19, 0x1a, 0x1a]);
  assert.ok(kinds.slice(4).every((k) => k === KIND_DATA));
  assert.equal(events(w.b, "incoming").length, 1);
});

Deno.test("handshake: b opens a session to a, the other direction", () => {
  const w = pair(2);
  w.b.connect(w.a.publicKey, w.a.dhtPublicKey, 0);
  assert.ok(w.run(() => established(w), 5000));
  const seen = w.a.drainEvents().map((e) => e.type);
  assert.deepEqual(seen, ["incoming", "established"]);
});

Deno.test("handshake: simultaneous open yields one session on each side", () => {
  const w = pair(3, { latency: 20 });
  w.a.connect(w.b.publicKey, w.b.dhtPublicKey, 0);
  w.b.connect(w.a.publicKey, w.a.dhtPublicKey, 0);
  assert.ok(w.run(() => established(w), 5000));
  assert.equal(w.a.sessions().length, 1);
  assert.equal(w.b.sessions().length, 1);
  assert.ok(w.a.send(w.b.peer, new Uint8Array([64, 1, 2]), w.now));
  let got: Uint8Array | undefined;
  w.run(() => {
    for (const e of w.b.drainEvents()) if (e.type === "data") got = e.data;
    return got !== undefined;
  }, 3000);
  assert.deepEqual(got, new Uint8Array([64, 1, 2]));
});

Deno.test("handshake: an unanswered cookie request is sent 8 times, 1 s apart, then given up", () => {
  const w = pair(4);
  const sent: number[] = [];
  w.tap = (from, bytes) => {
    if (from === w.a.peer && bytes[0] === KIND_COOKIE_REQUEST) sent.push(w.now);
    return false; // the peer never hears anything
  };
  w.a.connect(w.b.publicKey, w.b.dhtPublicKey, 0);
  const closed: SessionEvent[] = [];
  w.run(() => (closed.push(...events(w.a, "closed")), closed.length > 0), 30_000);
  assert.equal(sent.length, 8);
  for (let i = 1; i < 8; i++) {
    assert.ok(sent[i]! - sent[i - 1]! >= 1000 && sent[i]! - sent[i - 1]! < 1002);
  }
  assert.deepEqual(closed.map((e) => e.type === "closed" && e.reason), ["timeout"]);
  assert.ok(w.now >= 8000 && w.now < 8100);
  assert.equal(w.a.session(w.b.peer), undefined);
});

Deno.test("handshake: a handshake that never gets data is resent and given up after 8 sends", () => {
  const w = pair(5);
  let hs = 0;
  w.tap = (from, bytes) => {
    if (from === w.b.peer && bytes[0] === KIND_HANDSHAKE) hs++;
    return from === w.a.peer ? bytes[0] !== KIND_DATA : true;
  };
  w.a.connect(w.b.publicKey, w.b.dhtPublicKey, 0);
  w.run(() => w.b.sessions().length === 0 && hs > 0, 30_000);
  assert.equal(hs, 8);
  assert.ok(events(w.b, "closed").length === 1);
});

Deno.test("kill: the peer learns at once and a later send fails", () => {
  const w = pair(6);
  w.a.connect(w.b.publicKey, w.b.dhtPublicKey, 0);
  assert.ok(w.run(() => established(w), 5000));
  w.b.drainEvents();
  w.a.kill(w.b.peer, w.now);
  const t = w.now;
  const closed: SessionEvent[] = [];
  assert.ok(w.run(() => (closed.push(...events(w.b, "closed")), closed.length > 0), 1000));
  assert.ok(w.now - t < 50);
  assert.equal(closed[0]!.type === "closed" && closed[0]!.reason, "killed");
  assert.equal(w.a.send(w.b.peer, new Uint8Array([64]), w.now), false);
});

Deno.test("DHT key change: a handshake with a new DHT key replaces the session", () => {
  const real = tweetnaclBackend.keyPairFromSecretKey(new Uint8Array(32).fill(9));
  const a = makeHost(71, { self: real });
  const b = makeHost(72);
  const w = new World(a, b, new Link(73), new Link(74));
  a.connect(b.publicKey, b.dhtPublicKey, 0);
  assert.ok(w.run(() => established(w), 5000));
  b.drainEvents();
  const a2 = makeHost(75, { self: real }); // restarted: same real key, new DHT key
  assert.notDeepEqual(a2.dhtPublicKey, a.dhtPublicKey);
  w.a = a2;
  a2.connect(b.publicKey, b.dhtPublicKey, w.now);
  const seen: SessionEvent[] = [];
  assert.ok(w.run(() => (seen.push(...b.drainEvents()), established(w)), 5000));
  const closed = seen.find((e) => e.type === "closed");
  assert.equal(closed?.type === "closed" && closed.reason, "dhtKeyChanged");
  assert.ok(seen.some((e) => e.type === "incoming"));
  assert.deepEqual(b.session(a2.peer)?.peerDhtPublicKey, a2.dhtPublicKey);
});

Deno.test("transfer: 8 MiB arrive byte-exact with 5 % loss, reordering and duplicates", () => {
  const w = pair(8, { latency: 10, jitter: 8, loss: 0.05, dup: 0.01, rate: 10_000 });
  w.a.connect(w.b.publicKey, w.b.dhtPublicKey, 0);
  assert.ok(w.run(() => established(w), 5000));
  const r = transfer(w, 8 * 1024 * 1024, 3_600_000);
  assert.ok(r.ok, `received ${r.received}`);
  assert.equal(r.gotHash, r.srcHash);
  const s = w.a.session(w.b.peer)!;
  assert.ok(s.stats.resent > 0);
  assert.ok(w.b.session(w.a.peer)!.stats.dropped.replay > 0); // link duplicates
});

Deno.test("transfer: switching paths mid-transfer loses and duplicates nothing", () => {
  const w = pair(9, { latency: 40, jitter: 2, rate: 5_000 });
  const fast = [
    new Link(91, { latency: 2, rate: 10_000 }),
    new Link(92, { latency: 2, rate: 10_000 }),
  ];
  const slow = [w.ab, w.ba];
  w.a.connect(w.b.publicKey, w.b.dhtPublicKey, 0);
  assert.ok(w.run(() => established(w), 5000));
  const total = 2 * 1024 * 1024;
  let switches = 0;
  let lastGot = 0, lastAt = w.now, stall = 0;
  const r = transfer(w, total, 600_000, (got) => {
    if (got !== lastGot) {
      stall = Math.max(stall, w.now - lastAt);
      lastGot = got;
      lastAt = w.now;
    }
    const want = got < total / 3 ? 0 : got < (2 * total) / 3 ? 1 : 2;
    if (want !== switches) {
      switches = want;
      const [ab, ba] = switches === 1 ? fast : slow;
      w.ab = ab!;
      w.ba = ba!;
    }
  });
  assert.equal(switches, 2);
  assert.ok(r.ok, `received ${r.received}`);
  assert.equal(r.gotHash, r.srcHash);
  assert.ok(fast[0]!.carried > 100 && slow[0]!.carried > 100);
  assert.ok(stall < 1000, `longest delivery stall ${stall} ms`);
});

Deno.test("pacer: the loss-tolerant pacer keeps at least half its lossless speed at 5 % loss", () => {
  const run = (pacer: "toxcore" | "lossTolerant", loss: number) => {
    const link = { latency: 10, jitter: 4, loss, rate: 10_000 };
    const w = new World(
      makeHost(101, { pacer }),
      makeHost(102, { pacer }),
      new Link(103, link),
      new Link(104, link),
    );
    w.a.connect(w.b.publicKey, w.b.dhtPublicKey, 0);
    assert.ok(w.run(() => established(w), 5000));
    const r = transfer(w, 4 * 1024 * 1024, 3_600_000);
    assert.equal(r.gotHash, r.srcHash);
    return r.virtualMs;
  };
  const clean = run("lossTolerant", 0);
  const lossy = run("lossTolerant", 0.05);
  assert.ok(lossy <= 2 * clean, `lossless ${clean} ms, 5 % loss ${lossy} ms`);
  // c-toxcore's rule treats every resend as congestion and slows down far more.
  const toxcoreLossy = run("toxcore", 0.05);
  assert.ok(toxcoreLossy > 2 * lossy, `toxcore rule at 5 % loss: ${toxcoreLossy} ms`);
});

Deno.test("paths: the selector moves relay -> direct when direct is confirmed, and back after 8 s quiet", () => {
  const w = pair(12);
  const direct = {
    ab: new Link(121, { latency: 2, rate: 300 }),
    ba: new Link(122, { latency: 2, rate: 300 }),
  };
  const relay = {
    ab: new Link(123, { latency: 30, rate: 300 }),
    ba: new Link(124, { latency: 30, rate: 300 }),
  };
  direct.ab.o.loss = direct.ba.o.loss = 1; // direct blocked at first
  const sel = new Map([[w.a.peer, new PathSelector()], [w.b.peer, new PathSelector()]]);
  w.router = (from, bytes) => {
    const fromA = from === w.a.peer;
    return sel.get(from)!.route(bytes, w.now).map((k) =>
      k === "direct" ? (fromA ? direct.ab : direct.ba) : (fromA ? relay.ab : relay.ba)
    );
  };
  w.onArrive = (to, _from, link) => {
    if (link === direct.ab || link === direct.ba) sel.get(to.peer)!.receivedDirect(w.now);
  };
  w.a.connect(w.b.publicKey, w.b.dhtPublicKey, 0);
  assert.ok(w.run(() => established(w), 5000));
  const total = 6 * 1024 * 1024;
  let phase = 0;
  let t1 = 0;
  const marks: number[] = [];
  const mark = () => marks.push(relay.ab.carried, direct.ab.carried);
  const r = transfer(w, total, 600_000, (got) => {
    if (phase === 0 && got >= total / 4) {
      phase = 1;
      t1 = w.now;
      direct.ab.o.loss = direct.ba.o.loss = 0; // direct opens
      mark();
    } else if (phase === 1 && w.now >= t1 + 5000) {
      phase = 2;
      mark();
    } else if (phase === 2 && w.now >= t1 + 10_000) {
      phase = 3;
      direct.ab.o.loss = direct.ba.o.loss = 1; // direct dies
      mark();
    }
  });
  assert.equal(phase, 3);
  assert.ok(r.ok, `received ${r.received}`);
  assert.equal(r.gotHash, r.srcHash);
  const [relay1, direct1, relay2, direct2, relay3, direct3] = marks as number[] as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  assert.ok(direct1 === 0 && relay1 > 100, "phase 0 ran over the relay");
  assert.ok(direct3 - direct2 > 100 && relay3 - relay2 === 0, "after 5 s only direct");
  assert.ok(relay.ab.carried - relay3 > 100 && direct.ab.carried === direct3, "back on the relay");
});
