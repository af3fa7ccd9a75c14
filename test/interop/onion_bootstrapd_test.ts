/**
 * Wire compatibility of lib/onion with c-toxcore 0.2.18: packets built by
 * lib/onion/client_packets.ts travel through onion paths of real tox-bootstrapd daemons,
 * and peerkit's OnionNode, driven on real UDP sockets on 127.0.0.1, serves as hop and as
 * announce node in paths mixed with tox-bootstrapd.
 */
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
  OnionNode,
  openAnnounceResponse,
  openDataResponse,
  type PathNode,
} from "../../lib/onion/mod.ts";
import { RelayClient } from "../../lib/relay/mod.ts";
import { needs } from "../_support/env.ts";
import { type Bootstrapd, startBootstrapd } from "../_support/toxcore.ts";

const WAIT_MS = 3000;
const Z32 = new Uint8Array(32);

/** A UDP socket on 127.0.0.1 whose datagrams are collected in the background. */
class Endpoint implements AsyncDisposable {
  readonly got: { data: Uint8Array; from: Addr }[] = [];
  readonly #sock: Deno.DatagramConn;
  readonly #loop: Promise<void>;
  readonly addr: Addr;

  constructor(onDatagram?: (data: Uint8Array, from: Addr) => void) {
    const sock = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
    this.#sock = sock;
    this.addr = { hostname: "127.0.0.1", port: (sock.addr as Deno.NetAddr).port };
    this.#loop = (async () => {
      try {
        for (;;) {
          const [data, a] = await sock.receive();
          const from = { hostname: (a as Deno.NetAddr).hostname, port: (a as Deno.NetAddr).port };
          if (onDatagram) onDatagram(data, from);
          else this.got.push({ data, from });
        }
      } catch { /* closed */ }
    })();
  }

  send(data: Uint8Array, to: Addr): Promise<number> {
    return this.#sock.send(data, { transport: "udp", ...to });
  }

  /** The first collected datagram of `kind`, waiting up to `ms`. */
  async next(kind: number, ms = WAIT_MS): Promise<Uint8Array> {
    const deadline = Date.now() + ms;
    for (;;) {
      const i = this.got.findIndex((d) => d.data[0] === kind);
      if (i >= 0) return this.got.splice(i, 1)[0]!.data;
      if (Date.now() > deadline) throw new Error(`no packet of kind ${kind} within ${ms} ms`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.#sock.close();
    await this.#loop;
  }
}

/** An OnionNode on its own real UDP socket. */
function serveOnionNode(): { node: OnionNode; keyPair: KeyPair; ep: Endpoint } {
  const keyPair = backend().keyPair();
  const node = new OnionNode({ keyPair, closestNodes: () => [] });
  const ep: Endpoint = new Endpoint((data, from) => {
    for (const s of node.handleUdp(data, from, performance.now())) {
      if (s.to === "udp") ep.send(s.data, s.addr).catch(() => {});
    }
  });
  return { node, keyPair, ep };
}

const ofDaemon = (d: Bootstrapd): PathNode => ({
  publicKey: d.publicKey,
  addr: { hostname: "127.0.0.1", port: d.udpPort },
});

async function announceVia(
  client: Endpoint,
  hops: [PathNode, PathNode, PathNode],
  dest: PathNode,
  f: { sender: KeyPair; pingId: Uint8Array; searched: Uint8Array; dataPk: Uint8Array },
) {
  const path = createOnionPath(hops, backend().keyPair());
  const sendback = backend().randomBytes(8);
  const req = buildAnnounceRequest({
    destPublicKey: dest.publicKey,
    sender: f.sender,
    pingId: f.pingId,
    searchedPublicKey: f.searched,
    dataPublicKey: f.dataPk,
    sendback,
  });
  await client.send(buildOnionPacket(path, dest.addr, req), hops[0].addr);
  const res = await client.next(0x84);
  const opened = openAnnounceResponse(res, dest.publicKey, f.sender.secretKey);
  assert.ok(opened, "the 0x84 opens with DH(sender, announce node)");
  assert.deepEqual(opened.sendback, sendback);
  return opened.reply;
}

Deno.test({
  name:
    "interop: peerkit client packets announce, search and send data through tox-bootstrapd paths",
  ...needs(["tox-bootstrapd"]),
  async fn() {
    await using d1 = await startBootstrapd({ tcpRelay: false });
    await using d2 = await startBootstrapd({ tcpRelay: false });
    await using d3 = await startBootstrapd({ tcpRelay: false });
    await using d4 = await startBootstrapd({ tcpRelay: false });
    await using alice = new Endpoint();
    await using bob = new Endpoint();
    const [n1, n2, n3, n4] = [d1, d2, d3, d4].map(ofDaemon) as [
      PathNode,
      PathNode,
      PathNode,
      PathNode,
    ];
    const real = backend().keyPair(), dataKey = backend().keyPair();
    const me = { sender: real, searched: real.publicKey, dataPk: dataKey.publicKey };

    const r0 = await announceVia(alice, [n1, n2, n3], n4, { ...me, pingId: Z32 });
    assert.equal(r0.isStored, 0);
    assert.ok(r0.isStored === 0 && r0.pingId.some((b) => b !== 0));
    const r1 = await announceVia(alice, [n1, n2, n3], n4, { ...me, pingId: r0.pingId });
    assert.equal(r1.isStored, 2, "tox-bootstrapd stored the announce");

    const temp = backend().keyPair();
    const found = await announceVia(bob, [n3, n1, n2], n4, {
      sender: temp,
      pingId: Z32,
      searched: real.publicKey,
      dataPk: Z32,
    });
    assert.ok(found.isStored === 1, "search finds the announced key");
    assert.deepEqual(found.dataPublicKey, dataKey.publicKey);

    const msg = new TextEncoder().encode("hello through c-toxcore");
    const dreq = buildDataRequest({
      destPublicKey: real.publicKey,
      dataPublicKey: dataKey.publicKey,
      plain: msg,
    });
    await bob.send(
      buildOnionPacket(createOnionPath([n2, n3, n1], backend().keyPair()), n4.addr, dreq),
      n2.addr,
    );
    const delivered = await alice.next(0x86);
    assert.deepEqual(openDataResponse(delivered, dataKey.secretKey)?.plain, msg);
  },
});

Deno.test({
  name: "interop: peerkit OnionNode hops and tox-bootstrapd hops interleave on one path",
  ...needs(["tox-bootstrapd"]),
  async fn() {
    await using d1 = await startBootstrapd({ tcpRelay: false });
    await using d2 = await startBootstrapd({ tcpRelay: false });
    const ours1 = serveOnionNode(), ours2 = serveOnionNode();
    await using _o1 = ours1.ep;
    await using _o2 = ours2.ep;
    await using alice = new Endpoint();
    const t1 = ofDaemon(d1), t2 = ofDaemon(d2);
    const p1 = { publicKey: ours1.keyPair.publicKey, addr: ours1.ep.addr };
    const p2 = { publicKey: ours2.keyPair.publicKey, addr: ours2.ep.addr };
    const real = backend().keyPair();
    const me = { sender: real, searched: real.publicKey, dataPk: Z32 };

    // peerkit A, c-toxcore B, peerkit C, c-toxcore announce node.
    const r0 = await announceVia(alice, [p1, t1, p2], t2, { ...me, pingId: Z32 });
    assert.ok(r0.isStored === 0);
    // c-toxcore A, peerkit B, c-toxcore C, the same c-toxcore announce node.
    const r1 = await announceVia(alice, [t2, p1, t1], t2, { ...me, pingId: Z32 });
    assert.ok(r1.isStored === 0);
    assert.equal(ours1.node.stats.forwarded, 4, "peerkit forwarded as A and B, both ways");
    assert.equal(ours2.node.stats.forwarded, 2);
    assert.equal(ours1.node.stats.dropped + ours2.node.stats.dropped, 0);
  },
});

Deno.test({
  name: "interop: peerkit OnionNode is the announce node behind a path of tox-bootstrapd hops",
  ...needs(["tox-bootstrapd"]),
  async fn() {
    await using d1 = await startBootstrapd({ tcpRelay: false });
    await using d2 = await startBootstrapd({ tcpRelay: false });
    await using d3 = await startBootstrapd({ tcpRelay: false });
    const ours = serveOnionNode();
    await using _o = ours.ep;
    await using alice = new Endpoint();
    await using bob = new Endpoint();
    const hops = [d1, d2, d3].map(ofDaemon) as [PathNode, PathNode, PathNode];
    const dest = { publicKey: ours.keyPair.publicKey, addr: ours.ep.addr };
    const real = backend().keyPair(), dataKey = backend().keyPair();
    const me = { sender: real, searched: real.publicKey, dataPk: dataKey.publicKey };

    const r0 = await announceVia(alice, hops, dest, { ...me, pingId: Z32 });
    assert.ok(r0.isStored === 0);
    const r1 = await announceVia(alice, hops, dest, { ...me, pingId: r0.pingId });
    assert.equal(r1.isStored, 2);
    const found = await announceVia(bob, [hops[1], hops[2], hops[0]], dest, {
      sender: backend().keyPair(),
      pingId: Z32,
      searched: real.publicKey,
      dataPk: Z32,
    });
    assert.ok(found.isStored === 1);
    assert.deepEqual(found.dataPublicKey, dataKey.publicKey);

    const msg = new Uint8Array([0x20, 9, 8, 7]);
    const dreq = buildDataRequest({
      destPublicKey: real.publicKey,
      dataPublicKey: dataKey.publicKey,
      plain: msg,
    });
    await bob.send(
      buildOnionPacket(createOnionPath(hops, backend().keyPair()), dest.addr, dreq),
      hops[0].addr,
    );
    assert.deepEqual(openDataResponse(await alice.next(0x86), dataKey.secretKey)?.plain, msg);
    assert.equal(ours.node.stats.announces, 3);
    assert.equal(ours.node.stats.dataRouted, 1);
  },
});

Deno.test({
  name:
    "interop: TCP onion requests (id 8) built by peerkit go through tox-bootstrapd's relay as hop A",
  ...needs(["tox-bootstrapd"]),
  async fn() {
    await using d1 = await startBootstrapd({ tcpRelay: true });
    await using d2 = await startBootstrapd({ tcpRelay: false });
    await using d3 = await startBootstrapd({ tcpRelay: false });
    await using d4 = await startBootstrapd({ tcpRelay: false });
    await using bob = new Endpoint();
    const [n1, n2, n3, n4] = [d1, d2, d3, d4].map(ofDaemon) as [
      PathNode,
      PathNode,
      PathNode,
      PathNode,
    ];
    const responses: Uint8Array[] = [];
    await using client = new RelayClient({ keyPair: backend().keyPair() });
    client.onOnionResponse = (data) => responses.push(data);
    client.addRelay({ hostname: "127.0.0.1", port: d1.tcpPort }, d1.publicKey);
    await client.waitForRelays(1, WAIT_MS);

    const real = backend().keyPair(), dataKey = backend().keyPair();
    const viaTcp = async (pingId: Uint8Array) => {
      const path = createOnionPath([n1, n2, n3], backend().keyPair());
      const req = buildAnnounceRequest({
        destPublicKey: n4.publicKey,
        sender: real,
        pingId,
        searchedPublicKey: real.publicKey,
        dataPublicKey: dataKey.publicKey,
        sendback: new Uint8Array(8).fill(1),
      });
      assert.ok(client.sendOnionRequest(d1.publicKey, buildOnionPacketTcp(path, n4.addr, req)));
      const res = await waitFor(() => responses.shift(), WAIT_MS);
      assert.equal(res[0], 0x84);
      const opened = openAnnounceResponse(res, n4.publicKey, real.secretKey);
      assert.ok(opened);
      return opened.reply;
    };
    const r0 = await viaTcp(Z32);
    assert.ok(r0.isStored === 0);
    assert.equal((await viaTcp(r0.pingId)).isStored, 2);

    const msg = new Uint8Array([0x20, 1, 2, 3, 4]);
    const dreq = buildDataRequest({
      destPublicKey: real.publicKey,
      dataPublicKey: dataKey.publicKey,
      plain: msg,
    });
    await bob.send(
      buildOnionPacket(createOnionPath([n2, n3, n1], backend().keyPair()), n4.addr, dreq),
      n2.addr,
    );
    const delivered = await waitFor(() => responses.shift(), WAIT_MS);
    assert.equal(delivered[0], 0x86);
    assert.deepEqual(openDataResponse(delivered, dataKey.secretKey)?.plain, msg);
  },
});

async function waitFor<T>(get: () => T | undefined, ms: number): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = get();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`nothing within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
