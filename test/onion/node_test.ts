import assert from "node:assert/strict";
import { backend } from "../../lib/crypto/mod.ts";
import type { KeyPair } from "../../lib/crypto/backend.ts";
import type { Addr } from "../../lib/net/addr.ts";
import {
  buildAnnounceRequest,
  buildDataRequest,
  buildOnionPacket,
  buildOnionPacketTcp,
  createOnionPath,
  type OnionPath,
  openAnnounceResponse,
  openDataResponse,
} from "../../lib/onion/mod.ts";
import { OnionTestNet, type TestNode } from "./_path.ts";

const CLIENT1: Addr = { hostname: "192.168.1.10", port: 40001 };
const CLIENT2: Addr = { hostname: "192.168.1.20", port: 40002 };
const Z32 = new Uint8Array(32);

function setup() {
  const net = new OnionTestNet();
  const [a, b, c, d] = [net.add(1), net.add(2), net.add(3), net.add(4)];
  return { net, a, b, c, d };
}

function pathOf(nodes: TestNode[], dht: KeyPair): OnionPath {
  const [x, y, z] = nodes.map((n) => ({ publicKey: n.keyPair.publicKey, addr: n.addr }));
  return createOnionPath([x!, y!, z!], dht);
}

function announce(
  net: OnionTestNet,
  path: OnionPath,
  d: TestNode,
  from: Addr,
  f: { sender: KeyPair; pingId: Uint8Array; searched: Uint8Array; dataPk: Uint8Array },
  now: number,
) {
  const sendback = backend().randomBytes(8);
  const req = buildAnnounceRequest({
    destPublicKey: d.keyPair.publicKey,
    sender: f.sender,
    pingId: f.pingId,
    searchedPublicKey: f.searched,
    dataPublicKey: f.dataPk,
    sendback,
  });
  net.send(from, path.nodes[0].addr, buildOnionPacket(path, d.addr, req), now);
  const got = net.take(from);
  assert.equal(got.length, 1, "one response reaches the client");
  const opened = openAnnounceResponse(got[0]!, d.keyPair.publicKey, f.sender.secretKey);
  assert.ok(opened, "response opens with the shared key");
  assert.deepEqual(opened.sendback, sendback);
  return opened.reply;
}

Deno.test("onion round trip: announce, re-announce, search and data through A, B, C to D", () => {
  const { net, a, b, c, d } = setup();
  const t0 = 1_000_000;
  const dht1 = backend().keyPair(), real1 = backend().keyPair(), data1 = backend().keyPair();
  const path1 = pathOf([a, b, c], dht1);

  const first = announce(net, path1, d, CLIENT1, {
    sender: real1,
    pingId: Z32,
    searched: real1.publicKey,
    dataPk: data1.publicKey,
  }, t0);
  assert.equal(first.isStored, 0);
  assert.equal(first.nodes.length, 4);
  assert.ok(first.isStored === 0 && !first.pingId.every((x) => x === 0));
  const sizes = net.trace.map((t) => [t.to, t.data[0], t.data.length]);
  assert.deepEqual(sizes, [
    ["10.0.0.1:33445", 0x80, 403],
    ["10.0.0.2:33445", 0x81, 395],
    ["10.0.0.3:33445", 0x82, 387],
    ["10.0.0.4:33445", 0x83, 354],
    ["10.0.0.3:33445", 0x8c, 1 + 177 + 238],
    ["10.0.0.2:33445", 0x8d, 1 + 118 + 238],
    ["10.0.0.1:33445", 0x8e, 1 + 59 + 238],
    ["192.168.1.10:40001", 0x84, 82 + 4 * 39],
  ]);

  const second = announce(net, path1, d, CLIENT1, {
    sender: real1,
    pingId: first.isStored === 0 ? first.pingId : Z32,
    searched: real1.publicKey,
    dataPk: data1.publicKey,
  }, t0 + 1000);
  assert.equal(second.isStored, 2);
  assert.equal(d.node.stats.announces, 2);

  const dht2 = backend().keyPair(), temp2 = backend().keyPair();
  const path2 = pathOf([c, a, b], dht2);
  const found = announce(net, path2, d, CLIENT2, {
    sender: temp2,
    pingId: Z32,
    searched: real1.publicKey,
    dataPk: Z32,
  }, t0 + 2000);
  assert.equal(found.isStored, 1);
  assert.ok(found.isStored === 1);
  assert.deepEqual(found.dataPublicKey, data1.publicKey);

  const message = new TextEncoder().encode("friend request body");
  const req = buildDataRequest({
    destPublicKey: real1.publicKey,
    dataPublicKey: found.dataPublicKey,
    plain: message,
  });
  net.send(CLIENT2, path2.nodes[0].addr, buildOnionPacket(path2, d.addr, req), t0 + 3000);
  assert.equal(net.take(CLIENT2).length, 0);
  const delivered = net.take(CLIENT1);
  assert.equal(delivered.length, 1);
  assert.equal(delivered[0]![0], 0x86);
  assert.deepEqual(openDataResponse(delivered[0]!, data1.secretKey)?.plain, message);
  assert.equal(d.node.stats.dataRouted, 1);
  assert.ok(a.node.stats.forwarded >= 4 && b.node.stats.forwarded >= 4);
});

Deno.test("onion TCP entry: the relay is hop A and answers with [9][0x84] to the TCP client", () => {
  const { net, a, b, c, d } = setup();
  const real = backend().keyPair();
  const path = pathOf([a, b, c], backend().keyPair());
  const req = buildAnnounceRequest({
    destPublicKey: d.keyPair.publicKey,
    sender: real,
    pingId: Z32,
    searchedPublicKey: real.publicKey,
    dataPublicKey: Z32,
    sendback: new Uint8Array(8).fill(5),
  });
  const payload = buildOnionPacketTcp(path, d.addr, req);
  const out = a.node.handleTcpRequest(payload, 42, 0);
  assert.equal(out.length, 1);
  assert.equal(out[0]!.to, "udp");
  net.run(out, a.addr, 0);
  assert.equal(net.tcp.length, 1);
  const { via, client, data } = net.tcp[0]!;
  assert.equal(via, "10.0.0.1:33445");
  assert.equal(client, 42);
  assert.equal(data[0], 9);
  const opened = openAnnounceResponse(data.subarray(1), d.keyPair.publicKey, real.secretKey);
  assert.equal(opened?.reply.isStored, 0);
  assert.deepEqual(opened?.sendback, new Uint8Array(8).fill(5));
});

Deno.test("onion TCP entry: payloads of 158 bytes or less are dropped", () => {
  const { a } = setup();
  assert.deepEqual(a.node.handleTcpRequest(new Uint8Array(158), 1, 0), []);
  assert.equal(a.node.stats.dropped, 1);
});

Deno.test("data announced with a TCP-entry path is delivered back through the relay client", () => {
  const { net, a, b, c, d } = setup();
  const real = backend().keyPair(), data = backend().keyPair();
  const path = pathOf([a, b, c], backend().keyPair());
  const mk = (pingId: Uint8Array) =>
    buildOnionPacketTcp(
      path,
      d.addr,
      buildAnnounceRequest({
        destPublicKey: d.keyPair.publicKey,
        sender: real,
        pingId,
        searchedPublicKey: real.publicKey,
        dataPublicKey: data.publicKey,
        sendback: new Uint8Array(8),
      }),
    );
  net.run(a.node.handleTcpRequest(mk(Z32), 3, 0), a.addr, 0);
  const r1 = openAnnounceResponse(
    net.tcp.pop()!.data.subarray(1),
    d.keyPair.publicKey,
    real.secretKey,
  );
  assert.ok(r1?.reply.isStored === 0);
  net.run(a.node.handleTcpRequest(mk(r1.reply.pingId), 3, 10), a.addr, 10);
  const r2 = openAnnounceResponse(
    net.tcp.pop()!.data.subarray(1),
    d.keyPair.publicKey,
    real.secretKey,
  );
  assert.equal(r2?.reply.isStored, 2);

  const sender = pathOf([b, c, a], backend().keyPair());
  const msg = new Uint8Array([0x20, 1, 2, 3]);
  const dreq = buildDataRequest({
    destPublicKey: real.publicKey,
    dataPublicKey: data.publicKey,
    plain: msg,
  });
  net.send(CLIENT2, b.addr, buildOnionPacket(sender, d.addr, dreq), 20);
  const got = net.tcp.pop();
  assert.equal(got?.client, 3);
  assert.deepEqual(openDataResponse(got!.data.subarray(1), data.secretKey)?.plain, msg);
});

Deno.test("announce entries expire after the timeout and searches then report not stored", () => {
  const net = new OnionTestNet();
  const [a, b, c] = [net.add(1), net.add(2), net.add(3)];
  const d = net.add(4, { announceTimeoutMs: 10_000 });
  const real = backend().keyPair(), data = backend().keyPair();
  const path = pathOf([a, b, c], backend().keyPair());
  const f = { sender: real, searched: real.publicKey, dataPk: data.publicKey };
  const r0 = announce(net, path, d, CLIENT1, { ...f, pingId: Z32 }, 0);
  assert.ok(r0.isStored === 0);
  assert.equal(announce(net, path, d, CLIENT1, { ...f, pingId: r0.pingId }, 1).isStored, 2);
  const searcher = backend().keyPair();
  const s = { sender: searcher, pingId: Z32, searched: real.publicKey, dataPk: Z32 };
  assert.equal(announce(net, path, d, CLIENT2, s, 10_001).isStored, 1);
  assert.equal(announce(net, path, d, CLIENT2, s, 10_002).isStored, 0);
  assert.equal(d.node.announceEntries, 1);
  d.node.handleTimeout(10_002);
  assert.equal(d.node.announceEntries, 0);
});

Deno.test("a ping id is accepted in its period and the next, not later", () => {
  const net = new OnionTestNet();
  const [a, b, c] = [net.add(1), net.add(2), net.add(3)];
  const d = net.add(4, { announceTimeoutMs: 1000 });
  const real = backend().keyPair();
  const path = pathOf([a, b, c], backend().keyPair());
  const f = { sender: real, searched: real.publicKey, dataPk: Z32 };
  const r0 = announce(net, path, d, CLIENT1, { ...f, pingId: Z32 }, 500);
  assert.ok(r0.isStored === 0);
  assert.equal(announce(net, path, d, CLIENT1, { ...f, pingId: r0.pingId }, 2500).isStored, 0);
  assert.equal(announce(net, path, d, CLIENT1, { ...f, pingId: r0.pingId }, 1999).isStored, 2);
});

Deno.test("a ping id is bound to the requesting hop's address", () => {
  const { net, a, b, c, d } = setup();
  const real = backend().keyPair();
  const f = { sender: real, searched: real.publicKey, dataPk: Z32 };
  const r0 = announce(net, pathOf([a, b, c], backend().keyPair()), d, CLIENT1, {
    ...f,
    pingId: Z32,
  }, 0);
  assert.ok(r0.isStored === 0);
  const viaB = pathOf([a, c, b], backend().keyPair());
  assert.equal(announce(net, viaB, d, CLIENT1, { ...f, pingId: r0.pingId }, 1).isStored, 0);
});

Deno.test("re-announcing with another data key is answered not stored (0)", () => {
  const { net, a, b, c, d } = setup();
  const real = backend().keyPair();
  const path = pathOf([a, b, c], backend().keyPair());
  const f = { sender: real, searched: real.publicKey };
  const r0 = announce(net, path, d, CLIENT1, { ...f, dataPk: Z32, pingId: Z32 }, 0);
  assert.ok(r0.isStored === 0);
  assert.equal(
    announce(net, path, d, CLIENT1, { ...f, dataPk: Z32, pingId: r0.pingId }, 1).isStored,
    2,
  );
  const other = new Uint8Array(32).fill(9);
  assert.equal(
    announce(net, path, d, CLIENT1, { ...f, dataPk: other, pingId: Z32 }, 2).isStored,
    0,
  );
  assert.equal(announce(net, path, d, CLIENT1, { ...f, dataPk: Z32, pingId: Z32 }, 3).isStored, 2);
});

Deno.test("responses after a return-blob key rotation are dropped", () => {
  const net = new OnionTestNet();
  const a = net.add(1, { keyRefreshIntervalMs: 1000 });
  const [b, c, d] = [net.add(2), net.add(3), net.add(4)];
  const real = backend().keyPair();
  const path = pathOf([a, b, c], backend().keyPair());
  const req = buildAnnounceRequest({
    destPublicKey: d.keyPair.publicKey,
    sender: real,
    pingId: Z32,
    searchedPublicKey: real.publicKey,
    dataPublicKey: Z32,
    sendback: new Uint8Array(8),
  });
  a.node.handleTimeout(0);
  const toB = a.node.handleUdp(buildOnionPacket(path, d.addr, req), CLIENT1, 0);
  assert.equal(toB.length, 1);
  a.node.handleTimeout(1001);
  net.run(toB, a.addr, 1001);
  assert.equal(net.take(CLIENT1).length, 0);
  assert.equal(a.node.stats.dropped, 1);
});

Deno.test("hop C drops a payload that is not an announce or data request", () => {
  const { net, a, b, c, d } = setup();
  const path = pathOf([a, b, c], backend().keyPair());
  net.send(CLIENT1, a.addr, buildOnionPacket(path, d.addr, new Uint8Array(177).fill(0x99)), 0);
  assert.equal(c.node.stats.dropped, 1);
  assert.equal(d.node.stats.announces + d.node.stats.dropped, 0);
});

Deno.test("a layer for another node's key is dropped (bad MAC)", () => {
  const { a, b } = setup();
  const path = pathOf([b, a, a], backend().keyPair());
  const out = a.node.handleUdp(buildOnionPacket(path, b.addr, new Uint8Array([0x83])), CLIENT1, 0);
  assert.deepEqual(out, []);
  assert.equal(a.node.stats.dropped, 1);
});

Deno.test("data for a key nobody announced is dropped at D", () => {
  const { net, a, b, c, d } = setup();
  const req = buildDataRequest({
    destPublicKey: Z32,
    dataPublicKey: backend().keyPair().publicKey,
    plain: new Uint8Array(5),
  });
  net.send(
    CLIENT1,
    a.addr,
    buildOnionPacket(pathOf([a, b, c], backend().keyPair()), d.addr, req),
    0,
  );
  assert.equal(d.node.stats.dropped, 1);
  assert.equal(d.node.stats.dataRouted, 0);
});

Deno.test("announce responses omit LAN nodes for a requester on a public address", () => {
  const net = new OnionTestNet();
  const lanAndPublic = (_t: Uint8Array, n: number) =>
    [
      { publicKey: new Uint8Array(32).fill(1), addr: { hostname: "192.168.0.5", port: 1 } },
      { publicKey: new Uint8Array(32).fill(2), addr: { hostname: "8.8.8.8", port: 2 } },
    ].slice(0, n);
  const d = net.add(4, { closestNodes: lanAndPublic });
  const real = backend().keyPair();
  const req = buildAnnounceRequest({
    destPublicKey: d.keyPair.publicKey,
    sender: real,
    pingId: Z32,
    searchedPublicKey: real.publicKey,
    dataPublicKey: Z32,
    sendback: new Uint8Array(8),
  });
  const ret = new Uint8Array(177);
  const open = (from: Addr) => {
    const out = d.node.handleUdp(new Uint8Array([...req, ...ret]), from, 0);
    assert.equal(out.length, 1);
    return openAnnounceResponse(out[0]!.data.subarray(178), d.keyPair.publicKey, real.secretKey)!
      .reply.nodes.map((n) => n.addr.hostname);
  };
  assert.deepEqual(open({ hostname: "1.2.3.4", port: 5 }), ["8.8.8.8"]);
  assert.deepEqual(open({ hostname: "10.1.1.1", port: 5 }), ["192.168.0.5", "8.8.8.8"]);
});

Deno.test("handleUdp ignores kinds it does not handle without counting them", () => {
  const { a } = setup();
  for (const k of [0x00, 0x02, 0x20, 0x84, 0x86, 0x87, 0x90, 0xff]) {
    assert.deepEqual(a.node.handleUdp(new Uint8Array([k, 1, 2, 3]), CLIENT1, 0), []);
  }
  assert.equal(a.node.stats.dropped, 0);
  assert.deepEqual(a.node.handleUdp(new Uint8Array(), CLIENT1, 0), []);
});
