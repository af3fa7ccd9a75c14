import assert from "node:assert/strict";
import fc from "fast-check";
import { backend, type CryptoBackend } from "../../lib/crypto/mod.ts";
import {
  acceptClientHandshake,
  encodePacket,
  FrameCodec,
  RelayClientCore,
  type RelayClientCoreOptions,
  type RelayPacket,
} from "../../lib/relay/mod.ts";
import { equals, toHex } from "../../lib/util/bytes.ts";
import { ClientSim, ScriptedRelay, ServerRelay } from "./_client_sim.ts";
import { seededBytes } from "../_support/seeded.ts";

const enc = new TextEncoder(), dec = new TextDecoder();
const at = (port: number) => ({ hostname: "10.0.0.1", port });

function core(opts: Partial<RelayClientCoreOptions> = {}) {
  return new RelayClientCore({ keyPair: backend().keyPair(), ...opts });
}

/** Two clients linked through the given relays, each routing to the other. */
function pair(
  sim: ClientSim,
  relays: { addr: { hostname: string; port: number }; publicKey: Uint8Array }[],
) {
  const a = sim.client(core()), b = sim.client(core());
  for (const c of [a, b]) for (const r of relays) c.core.addRelay(r.addr, r.publicKey, sim.now);
  a.core.addPeer(b.core.publicKey, sim.now);
  b.core.addPeer(a.core.publicKey, sim.now);
  sim.advance(1);
  return { a, b };
}

Deno.test("client core: links, routes and delivers data through a relay in virtual time", () => {
  const sim = new ClientSim();
  const r = sim.relay(new ServerRelay(at(1)));
  const { a, b } = pair(sim, [r]);
  assert.ok(a.core.isOnline(b.core.publicKey) && b.core.isOnline(a.core.publicKey));
  assert.deepEqual(a.seen("relay").map((e) => e.up), [true]);
  assert.deepEqual(a.seen("peer").map((e) => e.online), [true]);
  assert.ok(a.core.send(b.core.publicKey, enc.encode("hi b")));
  sim.pump();
  const got = b.seen("data");
  assert.equal(got.length, 1);
  assert.equal(dec.decode(got[0]!.data), "hi b");
  assert.ok(equals(got[0]!.peer, a.core.publicKey) && !got[0]!.oob);
  assert.equal(r.server.stats().packetsRelayed, 1);
  assert.equal(sim.now, 1); // everything above took no virtual time
});

Deno.test("client core: when a relay dies the peer stays online and data moves to the other", () => {
  const sim = new ClientSim();
  const r1 = sim.relay(new ServerRelay(at(1))), r2 = sim.relay(new ServerRelay(at(2)));
  const { a, b } = pair(sim, [r1, r2]);
  assert.deepEqual(a.core.relays().map((l) => l.onlinePeers), [1, 1]);
  sim.down(r1);
  assert.deepEqual(a.core.relays().map((l) => l.state), ["down", "ready"]);
  assert.ok(a.core.isOnline(b.core.publicKey));
  assert.deepEqual(a.seen("peer").map((e) => e.online), [true]); // never went offline
  const down = a.seen("relay").filter((e) => !e.up);
  assert.equal(down.length, 1);
  assert.ok(equals(down[0]!.relay, r1.publicKey));
  assert.equal(down[0]!.reason, "connection closed");
  assert.ok(a.core.send(b.core.publicKey, enc.encode("after failover")));
  sim.pump();
  assert.deepEqual(b.seen("data").map((e) => dec.decode(e.data)), ["after failover"]);
  assert.equal(r2.server.stats().packetsRelayed, 1);
});

Deno.test("client core: re-dials a lost relay with a doubling backoff capped at 30 s, reset once back", () => {
  const sim = new ClientSim();
  const r = sim.relay(new ServerRelay(at(1)));
  const { a, b } = pair(sim, [r]);
  sim.down(r);
  assert.equal(a.core.isOnline(b.core.publicKey), false);
  const lostAt = sim.now;
  sim.advance(120_000);
  const waits = a.dialTimes.slice(1).map((t, i, all) => t - (i === 0 ? lostAt : all[i - 1]!));
  assert.deepEqual(waits.slice(0, 8), [500, 1000, 2000, 4000, 8000, 16000, 30000, 30000]);
  r.up = true;
  const before = a.dialTimes.length;
  sim.advance(30_000);
  assert.equal(a.dialTimes.length, before + 1);
  assert.ok(a.core.isOnline(b.core.publicKey)); // routes restored after the re-link
  sim.down(r);
  const lost2 = sim.now;
  sim.advance(600);
  assert.equal(a.dialTimes.at(-1), lost2 + 500); // backoff back to its first step
});

Deno.test("client core: keep-alive pings every 30 s and drops a link whose pong is 10 s late", () => {
  const sim = new ClientSim();
  const r = sim.relay(new ScriptedRelay(at(1)));
  let answer = true;
  r.reply = (p) => p.type === "ping" && answer ? [{ type: "pong", pingId: p.pingId }] : [];
  const a = sim.client(core());
  a.core.addRelay(r.addr, r.publicKey, 0);
  sim.advance(0);
  assert.deepEqual(a.seen("relay").map((e) => e.up), [true]);
  sim.advance(100_000);
  const pings = r.got.filter((g) => g.p.type === "ping").map((g) => g.at);
  assert.deepEqual(pings, [0, 30_000, 60_000, 90_000]);
  answer = false;
  sim.advance(29_999); // the ping at 120 s is unanswered
  assert.equal(r.got.filter((g) => g.p.type === "ping").at(-1)?.at, 120_000);
  assert.equal(a.core.relays()[0]!.state, "ready");
  sim.advance(1);
  assert.equal(a.seen("relay").at(-1)?.reason, "ping timeout");
  assert.equal(a.core.relays()[0]!.state, "down");
  sim.advance(500);
  assert.equal(a.dialTimes.at(-1), 130_500);
});

Deno.test("client core: sends out of band while the peer has no online route", () => {
  const sim = new ClientSim();
  const r = sim.relay(new ServerRelay(at(1)));
  const a = sim.client(core()), b = sim.client(core());
  for (const c of [a, b]) c.core.addRelay(r.addr, r.publicKey, 0);
  sim.advance(1);
  assert.equal(a.core.send(b.core.publicKey, enc.encode("x")), false); // no route at all
  a.core.addPeer(b.core.publicKey, sim.now);
  sim.advance(1); // a's route is linked; b never asked for a
  assert.equal(a.core.isOnline(b.core.publicKey), false);
  assert.ok(a.core.send(b.core.publicKey, enc.encode("knock")));
  assert.equal(a.core.send(b.core.publicKey, new Uint8Array(1025)), false); // too big for OOB
  sim.pump();
  const oob = b.seen("oob");
  assert.deepEqual(oob.map((e) => dec.decode(e.data)), ["knock"]);
  assert.ok(equals(oob[0]!.sender, a.core.publicKey));
  assert.equal(a.core.stats().oobFallbacks, 1);
  // Once b routes to a, a's packets go on the route.
  b.core.addPeer(a.core.publicKey, sim.now);
  sim.advance(1);
  assert.ok(a.core.send(b.core.publicKey, enc.encode("routed")));
  sim.pump();
  assert.deepEqual(b.seen("data").map((e) => [dec.decode(e.data), e.oob]), [["routed", false]]);
  assert.equal(a.core.stats().oobFallbacks, 1);
});

Deno.test("client core: out-of-band data from a peer it routes to is that peer's data", () => {
  const sim = new ClientSim();
  const r = sim.relay(new ScriptedRelay(at(1)));
  const a = sim.client(core());
  const friend = backend().keyPair().publicKey, stranger = backend().keyPair().publicKey;
  a.core.addRelay(r.addr, r.publicKey, 0);
  a.core.addPeer(friend, 0);
  sim.advance(0);
  r.send(r.ids[0]!, { type: "oobRecv", publicKey: friend, data: enc.encode("f") });
  r.send(r.ids[0]!, { type: "oobRecv", publicKey: stranger, data: enc.encode("s") });
  sim.pump();
  assert.deepEqual(a.seen("data").map((e) => [toHex(e.peer), dec.decode(e.data), e.oob]), [
    [toHex(friend), "f", true],
  ]);
  assert.deepEqual(a.seen("oob").map((e) => [toHex(e.sender), dec.decode(e.data)]), [
    [toHex(stranger), "s"],
  ]);
});

Deno.test("regression: a peer removed before its routing response arrives leaks no route", () => {
  const sim = new ClientSim();
  const r = sim.relay(new ServerRelay(at(1)));
  const a = sim.client(core());
  a.core.addRelay(r.addr, r.publicKey, 0);
  sim.advance(1);
  const peer = backend().keyPair().publicKey;
  a.core.addPeer(peer, sim.now); // the routing request is queued ...
  a.core.removePeer(peer, sim.now); // ... and the peer gone before the answer
  sim.pump();
  assert.equal(r.server.stats().routes, 0);
  assert.equal(a.core.stats().strayRoutes, 1);
  // The same key asked for again later still gets a route.
  a.core.addPeer(peer, sim.now);
  sim.pump();
  assert.equal(r.server.stats().routes, 1);
});

Deno.test("regression: a refused route is asked for again with a doubling delay, then reported", () => {
  const sim = new ClientSim();
  const r = sim.relay(new ScriptedRelay(at(1)));
  let accept = false;
  const pong = r.reply;
  r.reply = (p, id) =>
    p.type === "routingRequest"
      ? [{ type: "routingResponse", connId: accept ? 20 : 0, publicKey: p.publicKey }]
      : pong(p, id);
  const a = sim.client(core({ routeRetryMs: 1000, routeRetries: 3 }));
  const peer = backend().keyPair().publicKey;
  a.core.addRelay(r.addr, r.publicKey, 0);
  a.core.addPeer(peer, 0);
  sim.advance(60_000);
  const asks = r.got.filter((g) => g.p.type === "routingRequest").map((g) => g.at);
  assert.deepEqual(asks, [0, 1000, 3000, 7000]);
  assert.equal(a.core.stats().routeRefusals, 4);
  const refused = a.seen("routeRefused");
  assert.equal(refused.length, 1);
  assert.ok(equals(refused[0]!.peer, peer) && equals(refused[0]!.relay, r.publicKey));
  // After a re-link the route is asked for afresh, and an accepted route connects.
  accept = true;
  r.kill(r.ids[0]!);
  sim.advance(1000);
  r.send(r.ids[0]!, { type: "connectNotification", connId: 20 });
  sim.pump();
  assert.ok(a.core.isOnline(peer));
});

Deno.test("client core: a relay naming a connection id it never gave is counted, not fatal", () => {
  const sim = new ClientSim();
  const r = sim.relay(new ScriptedRelay(at(1)));
  const a = sim.client(core());
  a.core.addRelay(r.addr, r.publicKey, 0);
  sim.advance(0);
  r.send(r.ids[0]!, { type: "connectNotification", connId: 99 });
  r.send(r.ids[0]!, { type: "disconnectNotification", connId: 98 });
  r.send(r.ids[0]!, { type: "data", connId: 97, data: new Uint8Array([1]) } as never);
  sim.pump();
  assert.equal(a.core.relays()[0]!.state, "ready");
  assert.equal(a.core.stats().unknownConnection, 3);
});

Deno.test("client core: the same seed gives the same bytes, through the backend it was given", () => {
  let calls = 0;
  const counting: CryptoBackend = {
    ...backend(),
    name: "counting",
    seal: (m, n, k) => (calls++, backend().seal(m, n, k)),
  };
  const run = (seed: number) => {
    const random = seededBytes(seed);
    const keyPair = counting.keyPairFromSecretKey(random(32));
    const c = new RelayClientCore({ keyPair, crypto: counting, random });
    c.addRelay(at(1), new Uint8Array(32).fill(9), 0);
    const [dial] = c.pollActions();
    c.connected(dial!.socket, 0);
    return toHex(c.takeOutput(dial!.socket)!);
  };
  const first = run(7);
  assert.equal(first.length, 256);
  assert.equal(run(7), first);
  assert.notEqual(run(8), first);
  assert.equal(calls, 3); // one handshake box per run, sealed by the given backend
});

Deno.test("client core: truncated, bit-flipped or re-cut relay bytes never throw", () => {
  const server = backend().keyPair(), friend = backend().keyPair().publicKey;
  fc.assert(
    fc.property(
      fc.nat(),
      fc.integer({ min: 0, max: 7 }),
      fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 8 }),
      fc.boolean(),
      (where, bit, cuts, truncate) => {
        const c = core();
        c.addRelay(at(1), server.publicKey, 0);
        c.addPeer(friend, 0);
        const [dial] = c.pollActions();
        c.connected(dial!.socket, 0);
        const acc = acceptClientHandshake(server, c.takeOutput(dial!.socket)!.subarray(0, 128))!;
        const codec = new FrameCodec(acc.session);
        const parts = [
          acc.reply,
          ...[
            { type: "routingResponse", connId: 16, publicKey: friend },
            { type: "connectNotification", connId: 16 },
            { type: "data", connId: 16, data: enc.encode("payload") },
            { type: "oobRecv", publicKey: friend, data: enc.encode("oob") },
            { type: "onionResponse", data: new Uint8Array(40) },
            { type: "ping", pingId: new Uint8Array(8).fill(3) },
          ].map((p) => codec.seal(encodePacket(p as RelayPacket))),
        ];
        let bytes = Uint8Array.from(parts.flatMap((p) => [...p]));
        const i = where % bytes.length;
        if (truncate) bytes = bytes.subarray(0, i);
        else bytes[i]! ^= 1 << bit;
        for (let off = 0, k = 0; off < bytes.length; k++) {
          const n = cuts[k % cuts.length]!;
          c.receive(dial!.socket, bytes.subarray(off, off + n), 1);
          off += n;
        }
        c.handleTimeout(20_000);
        const state = c.relays()[0]!.state;
        assert.ok(state === "ready" || state === "down" || state === "connecting");
        assert.ok(Number.isFinite(c.nextTimeout()));
        c.pollEvents();
      },
    ),
    { numRuns: 200 },
  );
});

Deno.test("client core: a dial that never connects is given up after 10 s; its late socket is closed", () => {
  const c = core({ reconnectMs: 500 });
  c.addRelay(at(1), new Uint8Array(32).fill(2), 0);
  const [dial] = c.pollActions();
  assert.equal(c.nextTimeout(), 10_000);
  c.handleTimeout(9_999);
  assert.deepEqual(c.pollActions(), []);
  c.handleTimeout(10_000);
  assert.deepEqual(c.pollActions(), [{ type: "close", socket: dial!.socket }]);
  assert.equal(c.nextTimeout(), 10_500);
  c.connected(dial!.socket, 10_100); // the old connect finally succeeds
  assert.deepEqual(c.pollActions(), [{ type: "close", socket: dial!.socket }]);
  assert.equal(c.takeOutput(dial!.socket), null);
  c.handleTimeout(10_500);
  const [again] = c.pollActions();
  assert.equal(again?.type, "dial");
  assert.notEqual(again?.type === "dial" && again.socket, dial!.socket);
});
