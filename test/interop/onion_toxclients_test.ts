/**
 * Real c-toxcore clients find each other through peerkit onion nodes: four peerkit nodes
 * (DHT node + OnionNode on one UDP socket each, the first also a TCP relay that is hop A for
 * its clients' onion requests) form the whole network; two c-toxcore clients use the first
 * node as their only bootstrap node (and, TCP-only, as their only relay), announce
 * themselves, find each other and exchange messages.
 */
import assert from "node:assert/strict";
import { backend } from "../../lib/crypto/mod.ts";
import type { KeyPair } from "../../lib/crypto/backend.ts";
import { DhtDriver } from "../../lib/dht/mod.ts";
import { denoNetwork } from "../../lib/net/deno.ts";
import { OnionNode, type OnionSend } from "../../lib/onion/mod.ts";
import { RelayServerDriver } from "../../lib/relay/mod.ts";
import { toHex } from "../../lib/util/bytes.ts";
import { needs } from "../_support/env.ts";
import { makeFriends, startToxClient } from "../_support/toxclient.ts";
import { freePort } from "../_support/toxcore.ts";

const STEP_MS = 30_000;
const NODES = 4;

interface PeerkitNode extends AsyncDisposable {
  dht: DhtDriver;
  onion: OnionNode;
  keyPair: KeyPair;
  port: number;
  relay?: RelayServerDriver;
}

async function startNode(withRelay: boolean): Promise<PeerkitNode> {
  const keyPair = backend().keyPair();
  const port = freePort();
  const socket = await denoNetwork.bindDatagram({ hostname: "127.0.0.1", port });
  let relay: RelayServerDriver | undefined;
  const onion = new OnionNode({
    keyPair,
    closestNodes: (target, count) => dht.node.closestNodes(target, count),
  });
  const emit = (sends: OnionSend[]) => {
    for (const s of sends) {
      if (s.to === "udp") dht.send(s.data, s.addr);
      else relay?.sendPacket(s.client, s.data);
    }
  };
  const dht: DhtDriver = new DhtDriver({
    socket,
    node: { keyPair },
    onOtherPacket: (data, from) => emit(onion.handleUdp(data, from, performance.now())),
  });
  dht.start();
  if (withRelay) {
    relay = await RelayServerDriver.listen({
      keyPair,
      hostname: "127.0.0.1",
      ports: [0],
      onOnionRequest: (payload, conn) =>
        emit(onion.handleTcpRequest(payload, conn, performance.now())),
    });
  }
  const tick = setInterval(() => onion.handleTimeout(performance.now()), 1000);
  return {
    dht,
    onion,
    keyPair,
    port,
    relay,
    async [Symbol.asyncDispose]() {
      clearInterval(tick);
      await relay?.close();
      await dht.close();
    },
  };
}

async function befriendThroughPeerkit(udp: boolean): Promise<number[]> {
  const nodes: PeerkitNode[] = [];
  try {
    for (let i = 0; i < NODES; i++) nodes.push(await startNode(i === 0));
    const first = nodes[0]!;
    for (const n of nodes.slice(1)) {
      n.dht.bootstrap({ hostname: "127.0.0.1", port: first.port }, first.keyPair.publicKey);
    }
    const entry = {
      udpPort: first.port,
      tcpPort: udp ? 0 : first.relay!.addrs[0]!.port,
      publicKeyHex: toHex(first.keyPair.publicKey).toUpperCase(),
    };
    await using alice = await startToxClient({ udp, name: "alice" });
    await using bob = await startToxClient({ udp, name: "bob" });
    for (const c of [alice, bob]) await c.useNode(entry);
    await Promise.all([alice.waitForOnline(STEP_MS), bob.waitForOnline(STEP_MS)]);
    const [bobOnAlice, aliceOnBob] = await makeFriends(alice, bob, {
      timeoutMs: STEP_MS,
      status: udp ? undefined : "tcp",
    });
    await alice.send(bobOnAlice, "hello bob via peerkit onion");
    await bob.waitForMessage(aliceOnBob, "hello bob via peerkit onion", STEP_MS);

    const total = { forwarded: 0, announces: 0, dataRouted: 0 };
    for (const n of nodes) {
      total.forwarded += n.onion.stats.forwarded;
      total.announces += n.onion.stats.announces;
      total.dataRouted += n.onion.stats.dataRouted;
    }
    assert.ok(total.forwarded > 0, "peerkit nodes were onion hops");
    assert.ok(total.announces > 0, "peerkit nodes answered announces");
    if (!udp) {
      // TCP-only clients are no onion nodes themselves: every announce, search and
      // DHT-PK data packet went through peerkit.
      assert.ok(total.dataRouted > 0, "peerkit routed onion data between the clients");
    }
    return nodes.map((n) => n.onion.stats.announces);
  } finally {
    for (const n of nodes) await n[Symbol.asyncDispose]();
  }
}

Deno.test({
  name: "interop: TCP-only c-toxcore clients befriend each other through peerkit onion nodes only",
  ...needs(["tox-bootstrapd", "gcc", "pkg-config"]),
  async fn() {
    await befriendThroughPeerkit(false);
  },
});

Deno.test({
  name: "interop: UDP c-toxcore clients bootstrapped from peerkit announce to peerkit onion nodes",
  ...needs(["tox-bootstrapd", "gcc", "pkg-config"]),
  async fn() {
    await befriendThroughPeerkit(true);
  },
});
