import assert from "node:assert/strict";
import { backend } from "../../lib/crypto/mod.ts";
import { createClientHandshake, type RelayPacket } from "../../lib/relay/mod.ts";
import { toHex } from "../../lib/util/bytes.ts";
import { testNet } from "./_harness.ts";

const types = (ps: RelayPacket[]) => ps.map((p) => p.type);

Deno.test("routing: self is refused, a repeated request gets the same id, both asking connects", async () => {
  const net = await testNet();
  const a = net.peer().connect(), b = net.peer().connect();
  a.send({ type: "routingRequest", publicKey: a.kp.publicKey });
  assert.deepEqual(a.take(), [{ type: "routingResponse", connId: 0, publicKey: a.kp.publicKey }]);
  a.send({ type: "routingRequest", publicKey: b.kp.publicKey });
  a.send({ type: "routingRequest", publicKey: b.kp.publicKey });
  const r = a.take();
  assert.deepEqual(r.map((p) => p.type === "routingResponse" && p.connId), [16, 16]);
  assert.deepEqual(b.take(), []); // the relay does not tell b that a asked
  b.send({ type: "routingRequest", publicKey: a.kp.publicKey });
  assert.deepEqual(types(b.take()), ["routingResponse", "connectNotification"]);
  assert.deepEqual(a.take(), [{ type: "connectNotification", connId: 16 }]);
  assert.equal(net.server.stats().onlineRoutes, 2);
});

Deno.test("data is relayed with the connection id rewritten to the receiver's", async () => {
  const net = await testNet();
  const a = net.peer().connect(), b = net.peer().connect(), c = net.peer().connect();
  // b asks for c first so that its id for a is 17 while a's id for b is 16.
  b.send({ type: "routingRequest", publicKey: c.kp.publicKey });
  b.send({ type: "routingRequest", publicKey: a.kp.publicKey });
  a.send({ type: "routingRequest", publicKey: b.kp.publicKey });
  a.take(), b.take();
  a.sendRaw(new Uint8Array([16, 1, 2, 3]));
  assert.deepEqual(b.take(), [{ type: "data", connId: 17, data: new Uint8Array([1, 2, 3]) }]);
  b.sendRaw(new Uint8Array([17, 9]));
  assert.deepEqual(a.take(), [{ type: "data", connId: 16, data: new Uint8Array([9]) }]);
  assert.equal(net.server.stats().bytesRelayed, 4);
});

Deno.test("data on a waiting route is dropped; on an unused id it kills the sender", async () => {
  const net = await testNet();
  const a = net.peer().connect(), b = net.peer().connect();
  a.send({ type: "routingRequest", publicKey: b.kp.publicKey });
  a.take();
  a.sendRaw(new Uint8Array([16, 1]));
  assert.equal(a.closed, null);
  assert.equal(net.server.stats().drops.not_online, 1);
  a.sendRaw(new Uint8Array([17, 1]));
  assert.equal(a.closed, "misuse");
  assert.equal(b.closed, null);
});

Deno.test("240 routes per client, then refusals with id 0", async () => {
  const net = await testNet();
  const a = net.peer().connect();
  const ids: number[] = [];
  for (let i = 0; i < 241; i++) {
    a.send({ type: "routingRequest", publicKey: backend().randomBytes(32) });
    for (const p of a.take()) if (p.type === "routingResponse") ids.push(p.connId);
  }
  assert.equal(ids.length, 241);
  assert.deepEqual(ids.slice(0, 240), Array.from({ length: 240 }, (_, i) => i + 16));
  assert.equal(ids[240], 0);
  assert.equal(net.server.stats().routes, 240);
});

Deno.test("a disconnect notification frees the slot and tells the other side", async () => {
  const net = await testNet();
  const a = net.peer().connect(), b = net.peer().connect();
  a.send({ type: "routingRequest", publicKey: b.kp.publicKey });
  b.send({ type: "routingRequest", publicKey: a.kp.publicKey });
  a.take(), b.take();
  a.send({ type: "disconnectNotification", connId: 16 });
  assert.deepEqual(b.take(), [{ type: "disconnectNotification", connId: 16 }]);
  // b's slot is waiting again: data is dropped, not fatal.
  b.sendRaw(new Uint8Array([16, 5]));
  assert.equal(b.closed, null);
  // a's slot is free: a second disconnect for it kills a.
  a.send({ type: "disconnectNotification", connId: 16 });
  assert.equal(a.closed, "misuse");
  // a asks again and b is connected again.
  const a2 = net.peer({ kp: a.kp }).connect();
  a2.send({ type: "routingRequest", publicKey: b.kp.publicKey });
  assert.deepEqual(types(a2.take()), ["routingResponse", "connectNotification"]);
});

Deno.test("a client that closes takes its routes down with it", async () => {
  const net = await testNet();
  const a = net.peer().connect(), b = net.peer().connect();
  a.send({ type: "routingRequest", publicKey: b.kp.publicKey });
  b.send({ type: "routingRequest", publicKey: a.kp.publicKey });
  a.take(), b.take();
  net.server.closed(a.id);
  net.flush();
  assert.deepEqual(b.take(), [{ type: "disconnectNotification", connId: 16 }]);
  assert.equal(net.server.stats().clients, 1);
  assert.equal(net.server.stats().routes, 1);
});

Deno.test("misuse as c-toxcore has it: server-to-client ids, reserved ids, bad sizes kill", async () => {
  const cases: [string, Uint8Array][] = [
    ["routing response", new Uint8Array([1, 16, ...new Uint8Array(32)])],
    ["oob recv", new Uint8Array([7, ...new Uint8Array(33)])],
    ["onion response", new Uint8Array([9, 0x84])],
    ["forwarding", new Uint8Array([11, 1])],
    ["reserved 12", new Uint8Array([12])],
    ["reserved 15", new Uint8Array([15, 1, 2])],
    ["routing request of 32", new Uint8Array([0, ...new Uint8Array(31)])],
    ["ping of 8", new Uint8Array([4, 1, 2, 3, 4, 5, 6, 7])],
    ["pong with id 0", new Uint8Array([5, 0, 0, 0, 0, 0, 0, 0, 0])],
    ["connect notification of 3", new Uint8Array([2, 16, 0])],
    ["disconnect below 16", new Uint8Array([3, 4])],
    ["oob without data", new Uint8Array([6, ...new Uint8Array(32)])],
    ["oob over 1024", new Uint8Array([6, ...new Uint8Array(32 + 1025)])],
    ["forward request with TCP family", new Uint8Array([10, 130, 127, 0, 0, 1, 0, 1])],
  ];
  for (const [what, bytes] of cases) {
    const net = await testNet();
    const a = net.peer().connect(), bystander = net.peer().connect();
    a.sendRaw(bytes);
    assert.ok(a.closed === "misuse" || a.closed === "malformed", `${what}: ${a.closed}`);
    assert.equal(bystander.closed, null);
    assert.equal(net.server.stats().clients, 1, what);
  }
});

Deno.test("tolerated as c-toxcore tolerates: connect notification of 2, pong mismatch, onion without module", async () => {
  const net = await testNet();
  const a = net.peer().connect();
  a.sendRaw(new Uint8Array([2, 3]));
  a.send({ type: "pong", pingId: new Uint8Array(8).fill(9) });
  a.sendRaw(new Uint8Array([8, 1, 2, 3]));
  a.send({
    type: "forwardRequest",
    addr: { hostname: "127.0.0.1", port: 1 },
    data: new Uint8Array(4),
  });
  assert.equal(a.closed, null);
  const s = net.server.stats();
  assert.equal(s.drops.no_onion, 1);
  assert.equal(s.drops.no_forwarding, 1);
});

Deno.test("onion requests go to the onion handler; short ones kill when a handler exists", async () => {
  const got: [string, number][] = [];
  const net = await testNet({ onOnionRequest: (p, conn) => void got.push([toHex(p), conn]) });
  const a = net.peer().connect();
  const payload = new Uint8Array(159).fill(3);
  a.send({ type: "onionRequest", data: payload });
  assert.deepEqual(got, [[toHex(payload), a.id]]);
  assert.ok(net.server.sendPacket(a.id, new Uint8Array([9, 0x84, 1])));
  net.flush();
  assert.deepEqual(a.take(), [{ type: "onionResponse", data: new Uint8Array([0x84, 1]) }]);
  a.send({ type: "onionRequest", data: new Uint8Array(158) });
  assert.equal(a.closed, "misuse");
});

Deno.test("ping gets a pong with the same id; out-of-band reaches connected keys only", async () => {
  const net = await testNet();
  const a = net.peer().connect(), b = net.peer().connect();
  a.send({ type: "ping", pingId: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]) });
  assert.deepEqual(a.take(), [{ type: "pong", pingId: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]) }]);
  a.send({ type: "oobSend", publicKey: b.kp.publicKey, data: new Uint8Array([42]) });
  assert.deepEqual(b.take(), [{
    type: "oobRecv",
    publicKey: a.kp.publicKey,
    data: new Uint8Array([42]),
  }]);
  a.send({ type: "oobSend", publicKey: backend().randomBytes(32), data: new Uint8Array([1]) });
  assert.equal(net.server.stats().drops.no_route, 1);
  assert.equal(a.closed, null);
});

Deno.test("keep-alive: ping after 30 s, closed 10 s later without a pong, kept with one", async () => {
  const net = await testNet();
  const a = net.peer().connect(), b = net.peer().connect();
  net.advance(29_000);
  assert.deepEqual(a.take(), []);
  net.advance(1_000);
  const [pa] = a.take(), [pb] = b.take();
  assert.equal(pa?.type, "ping");
  assert.equal(pb?.type, "ping");
  if (pb?.type === "ping") b.send({ type: "pong", pingId: pb.pingId });
  net.advance(10_000);
  assert.equal(a.closed, "ping_timeout");
  assert.equal(b.closed, null);
});

Deno.test("an older connection with the same key is replaced on confirmation", async () => {
  const net = await testNet();
  const kp = backend().keyPair();
  const first = net.peer({ kp }).connect();
  const second = net.peer({ kp }).connect();
  assert.equal(first.closed, "replaced");
  assert.equal(second.closed, null);
  assert.equal(net.server.stats().clients, 1);
});

Deno.test("hardening: unfinished handshakes expire, and the oldest is evicted at the cap", async () => {
  const net = await testNet({ maxPendingPerIp: 3, handshakeTimeoutMs: 5_000 });
  const half = [net.peer(), net.peer(), net.peer()];
  net.server.receive(half[0]!.id, new Uint8Array(100), net.now);
  const fresh = net.peer();
  net.flush();
  assert.equal(half[0]!.closed, "pending_evicted");
  fresh.connect();
  assert.equal(fresh.closed, null);
  const other = net.peer({ ip: "10.0.0.2" });
  net.advance(5_000);
  assert.equal(half[1]!.closed, "handshake_timeout");
  assert.equal(other.closed, "handshake_timeout");
  assert.equal(fresh.closed, null);
  assert.equal(net.server.stats().pending, 0);
});

Deno.test("hardening: a bad handshake, an oversized frame and a bad MAC close only that connection", async () => {
  const net = await testNet();
  const ok = net.peer().connect();
  const h = net.peer();
  const wrongKey = createClientHandshake(backend().keyPair(), backend().keyPair().publicKey);
  net.server.receive(h.id, wrongKey.bytes, net.now);
  net.flush();
  assert.equal(h.closed, "bad_handshake");
  const big = net.peer().connect();
  net.server.receive(big.id, new Uint8Array([0x08, 0x01]), net.now);
  net.flush();
  assert.equal(big.closed, "bad_frame");
  const mac = net.peer().connect();
  net.server.receive(mac.id, new Uint8Array([0, 20, ...new Uint8Array(20)]), net.now);
  net.flush();
  assert.equal(mac.closed, "bad_frame");
  ok.send({ type: "ping", pingId: new Uint8Array(8).fill(2) });
  assert.equal(ok.take().length, 1);
  assert.equal(ok.closed, null);
});

Deno.test("hardening: max clients and per-IP caps refuse further confirmations", async () => {
  const net = await testNet({ maxClients: 2, maxClientsPerIp: 1 });
  const a = net.peer({ ip: "10.0.0.1" }).connect();
  const a2 = net.peer({ ip: "10.0.0.1" }).connect();
  assert.equal(a2.closed, "per_ip_limit");
  const b = net.peer({ ip: "10.0.0.2" }).connect();
  const c = net.peer({ ip: "10.0.0.3" }).connect();
  assert.equal(c.closed, "max_clients");
  assert.equal(a.closed, null);
  assert.equal(b.closed, null);
});

Deno.test("hardening: a reader that stops reading gets drops, then is closed as slow", async () => {
  const net = await testNet({
    maxQueueBytes: 4096,
    slowReaderTimeoutMs: 3_000,
    rateBytesPerSecond: 0,
  });
  const a = net.peer().connect(), b = net.peer().connect();
  a.send({ type: "routingRequest", publicKey: b.kp.publicKey });
  b.send({ type: "routingRequest", publicKey: a.kp.publicKey });
  a.take(), b.take();
  // Simulate b's socket not draining: feed a's data without taking b's output.
  const frame = new Uint8Array(1001).fill(7);
  frame[0] = 16;
  for (let i = 0; i < 10; i++) net.server.receive(a.id, a.codec!.seal(frame), net.now);
  assert.ok(net.server.stats().drops.queue_full > 0);
  for (const id of net.server.pollWritable()) if (id !== b.id) net.server.takeOutput(id);
  net.now += 3_000;
  net.server.handleTimeout(net.now);
  const closed = net.server.pollClosed();
  assert.deepEqual(closed.filter((c) => c.id === b.id).map((c) => c.reason), ["slow_reader"]);
});

Deno.test("rate limit: relayed bytes beyond the burst pause the sender's reads", async () => {
  const net = await testNet({ rateBytesPerSecond: 10_000, rateBurstBytes: 1_000 });
  const a = net.peer().connect(), b = net.peer().connect();
  a.send({ type: "routingRequest", publicKey: b.kp.publicKey });
  b.send({ type: "routingRequest", publicKey: a.kp.publicKey });
  a.take(), b.take();
  net.now += 1_000; // the routing requests' control cost (CONTROL_PACKET_COST) is paid off
  assert.equal(net.server.readPauseMs(a.id, net.now), 0);
  const frame = new Uint8Array(1501);
  frame[0] = 16;
  a.sendRaw(frame);
  assert.equal(b.take().length, 1);
  // 1500 data bytes - 1000 of burst = 500 bytes of debt at 10 kB/s
  assert.equal(net.server.readPauseMs(a.id, net.now), 50);
  assert.equal(net.server.readPauseMs(a.id, net.now + 50), 0);
  assert.equal(net.server.readPauseMs(b.id, net.now), 0);
});
