/**
 * OnionDriver on loopback: RelayNodes (DHT + onion node + TCP relay, as `relay serve`) are
 * the onion network; two peers each run a DhtDriver and an OnionDriver on one socket,
 * announce, find each other by real key, exchange DHT-PK packets and a friend request; a
 * third peer reaches the onion only through a TCP relay link.
 */
import assert from "node:assert/strict";
import { backend } from "../../lib/crypto/mod.ts";
import type { KeyPair } from "../../lib/crypto/backend.ts";
import { DhtDriver } from "../../lib/dht/driver.ts";
import { denoNetwork } from "../../lib/net/deno.ts";
import type { Addr } from "../../lib/net/addr.ts";
import { OnionDriver } from "../../lib/onion/driver.ts";
import type { OnionClientEvent } from "../../lib/onion/client_types.ts";
import { RelayClient } from "../../lib/relay/client_driver.ts";
import { startNet } from "./_net.ts";

const FAST = { nodes: 4 };

class Peer implements AsyncDisposable {
  readonly realKeyPair = backend().keyPair();
  readonly dhtKeyPair: KeyPair;
  readonly events: OnionClientEvent[] = [];
  readonly dht: DhtDriver;
  readonly onion: OnionDriver;

  private constructor(dht: DhtDriver, dhtKeyPair: KeyPair, relay?: RelayClient, serve = false) {
    this.dhtKeyPair = dhtKeyPair;
    this.dht = dht;
    const opts = relay ? { relay, udp: false, serveOnion: serve } : { serveOnion: serve };
    this.onion = new OnionDriver({
      dht,
      dhtKeyPair,
      realKeyPair: this.realKeyPair,
      onEvent: (e) => this.events.push(e),
      ...opts,
    });
  }

  static async start(
    net: { udpAddr: Addr; dht: { node: { publicKey: Uint8Array } } }[],
    relay?: RelayClient,
    serve = false,
  ): Promise<Peer> {
    const dhtKeyPair = backend().keyPair();
    const socket = await denoNetwork.bindDatagram({ hostname: "127.0.0.1", port: 0 });
    const ref: { peer?: Peer } = {};
    const dht = new DhtDriver({
      socket,
      node: {
        keyPair: dhtKeyPair,
        onRoutedRequest: (r, now) => ref.peer?.onion.handleRoutedRequest(r, now),
      },
    });
    const peer = new Peer(dht, dhtKeyPair, relay, serve);
    ref.peer = peer;
    dht.start();
    for (const n of net.slice(0, FAST.nodes)) dht.bootstrap(n.udpAddr, n.dht.node.publicKey);
    peer.onion.start();
    return peer;
  }

  get udpAddr(): Addr {
    return this.dht.localAddr;
  }

  has(type: OnionClientEvent["type"]): boolean {
    return this.events.some((e) => e.type === type);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.onion.close();
    await this.dht.close();
  }
}

async function until(done: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

Deno.test("OnionDriver: two peers on one UDP socket each announce, find each other and exchange a friend request", async () => {
  const net = await startNet(5);
  try {
    await using a = await Peer.start(net);
    await using b = await Peer.start(net);
    a.onion.addFriend(b.realKeyPair.publicKey);
    b.onion.sendFriendRequest(
      a.realKeyPair.publicKey,
      a.onion.client.nospam,
      new TextEncoder().encode("hello over the onion"),
    );
    const ok = await until(
      () => a.has("friend_request") && a.has("dhtpk") && b.has("dhtpk"),
      30_000,
    );
    assert.ok(ok, `events: A ${a.events.map((e) => e.type)} / B ${b.events.map((e) => e.type)}`);
    assert.ok(a.has("announced") && b.has("announced"));
    const req = a.events.find((e) => e.type === "friend_request");
    assert.ok(req?.type === "friend_request");
    assert.deepEqual(req.publicKey, b.realKeyPair.publicKey);
    assert.equal(new TextDecoder().decode(req.message), "hello over the onion");
    const pk = a.events.find((e) => e.type === "dhtpk");
    assert.ok(pk?.type === "dhtpk");
    assert.deepEqual(pk.dhtPublicKey, b.dhtKeyPair.publicKey);
    // The DHT now searches the friend's DHT key, so DHT-routed DHT-PK packets can follow.
    assert.ok(a.dht.node.searchResult(b.dhtKeyPair.publicKey) !== undefined);
    assert.equal(a.events.filter((e) => e.type === "friend_request").length, 1);
    assert.equal(b.onion.client.stats.dropped, 0);
  } finally {
    for (const n of net) await n.close();
  }
});

Deno.test("OnionDriver: with udp false every path starts at a TCP relay link, and the peer is found", async () => {
  const net = await startNet(5);
  try {
    const first = net[0]!;
    await using link = new RelayClient({ keyPair: backend().keyPair() });
    link.addRelay(first.tcpAddrs[0]!, first.dht.node.publicKey);
    await link.waitForRelays(1, 5_000);
    await using a = await Peer.start(net, link);
    await using b = await Peer.start(net);
    b.onion.sendFriendRequest(
      a.realKeyPair.publicKey,
      a.onion.client.nospam,
      new TextEncoder().encode("via tcp"),
    );
    const ok = await until(() => a.has("friend_request") && a.has("announced"), 30_000);
    assert.ok(ok, `events: A ${a.events.map((e) => e.type)} / B ${b.events.map((e) => e.type)}`);
    assert.equal(a.onion.client.connectionStatus(a.dht.now()), "tcp");
    assert.ok(a.onion.client.livePaths(a.dht.now()).every((p) => p.relay !== undefined));
    assert.equal(a.onion.relaySendFailures, 0);
  } finally {
    for (const n of net) await n.close();
  }
});

Deno.test("OnionDriver: refuses a DHT key pair that is not the node's, and frees its kinds on close", async () => {
  const socket = await denoNetwork.bindDatagram({ hostname: "127.0.0.1", port: 0 });
  const dhtKeyPair = backend().keyPair();
  await using dht = new DhtDriver({ socket, node: { keyPair: dhtKeyPair } });
  assert.throws(
    () => new OnionDriver({ dht, dhtKeyPair: backend().keyPair(), realKeyPair: dhtKeyPair }),
    RangeError,
  );
  const d = new OnionDriver({ dht, dhtKeyPair, realKeyPair: backend().keyPair() });
  assert.equal(dht.host.table.route(new Uint8Array([0x84]))?.layer, "onion-client");
  await d.close();
  assert.equal(dht.host.table.route(new Uint8Array([0x84])), undefined);
});

Deno.test("OnionDriver: with serveOnion, peers alone (no relay nodes) are the onion network", async () => {
  const peers: Peer[] = [];
  try {
    for (let i = 0; i < 6; i++) peers.push(await Peer.start(peers.slice(-4), undefined, true));
    const [a, b] = [peers[0]!, peers[5]!];
    b.onion.sendFriendRequest(
      a.realKeyPair.publicKey,
      a.onion.client.nospam,
      new TextEncoder().encode("peers only"),
    );
    const ok = await until(() => a.has("friend_request"), 30_000);
    assert.ok(ok, `events: A ${a.events.map((e) => e.type)} / B ${b.events.map((e) => e.type)}`);
    const served = peers.reduce((n, p) => n + (p.onion.node?.stats.forwarded ?? 0), 0);
    assert.ok(served > 0, "peers forwarded onion packets as hops");
    assert.ok(peers.some((p) => (p.onion.node?.stats.announces ?? 0) > 0));
    // Onion data has no acknowledgement: the request is sent again every 5 s, and the
    // receiver drops (and counts) the repeats without a second event.
    assert.equal(b.onion.pendingFriendRequests, 1);
    const dropped = a.onion.client.stats.dropped;
    assert.ok(await until(() => a.onion.client.stats.dropped > dropped, 12_000), "a repeat came");
    assert.equal(a.events.filter((e) => e.type === "friend_request").length, 1);
    b.onion.cancelFriendRequest(a.realKeyPair.publicKey);
    assert.equal(b.onion.pendingFriendRequests, 0);
  } finally {
    for (const p of peers) await p[Symbol.asyncDispose]();
  }
});

Deno.test("OnionDriver: bootstrapNodes are path nodes while the DHT knows none (a DHT never bootstrapped still announces)", async () => {
  const net = await startNet(5);
  try {
    const dhtKeyPair = backend().keyPair();
    const socket = await denoNetwork.bindDatagram({ hostname: "127.0.0.1", port: 0 });
    await using dht = new DhtDriver({ socket, node: { keyPair: dhtKeyPair } });
    const events: OnionClientEvent[] = [];
    await using onion = new OnionDriver({
      dht,
      dhtKeyPair,
      realKeyPair: backend().keyPair(),
      bootstrapNodes: net.map((n) => ({ addr: n.udpAddr, publicKey: n.dht.node.publicKey })),
      onEvent: (e) => events.push(e),
    });
    dht.start();
    onion.start();
    assert.ok(await until(() => events.some((e) => e.type === "announced"), 10_000));
    assert.equal(dht.node.goodNodes().length < 4, true, "the DHT itself was never bootstrapped");
  } finally {
    for (const n of net) await n.close();
  }
});
