/**
 * UDP forwarding (0x90-0x92) between a peerkit relay node and a real tox-bootstrapd 0.2.18 on
 * 127.0.0.1, in both orders of a two-forwarder chain: each forwarder adds its own sendback,
 * and the reply from the destination comes back through both to the requester as
 * `0x91 [0][reply]`.
 */
import assert from "node:assert/strict";
import { tweetnaclBackend as nacl } from "../../lib/crypto/backend.ts";
import { DhtDriver } from "../../lib/dht/driver.ts";
import { keyEquals } from "../../lib/dht/distance.ts";
import {
  decodeForwardPacket,
  decodeSendbackData,
  encodeForwardPacket,
} from "../../lib/dht/forwarding_wire.ts";
import { denoNetwork } from "../../lib/net/deno.ts";
import { RelayNode } from "../../lib/relay/mod.ts";
import { needs } from "../_support/env.ts";
import { freePort, startBootstrapd } from "../_support/toxcore.ts";
import { waitFor } from "../dht/_loopback.ts";
import { rawClient } from "../relay/_raw_client.ts";

const local = (port: number) => ({ hostname: "127.0.0.1", port });
const knows = (d: DhtDriver, pk: Uint8Array) =>
  d.node.closestNodes(pk, 8).some((n) => keyEquals(n.publicKey, pk));

/** What the destination received: data, sender port, sendback. */
type Got = [Uint8Array, number, Uint8Array];

/** A peerkit DHT node that answers every 0x91 it gets with a 0x92 `reply:` + the data. */
async function echoDestination(): Promise<{ driver: DhtDriver; got: Got[] }> {
  const socket = await denoNetwork.bindDatagram(local(freePort()));
  const got: Got[] = [];
  const driver: DhtDriver = new DhtDriver({
    socket,
    node: { keyPair: nacl.keyPair() },
    onOtherPacket: (data, from) => {
      if (data[0] !== 0x91) return;
      const p = decodeForwardPacket(data);
      if (p.type !== "forwarding") return;
      got.push([p.data.slice(), from.port, p.sendback.slice()]);
      const reply = new Uint8Array([...new TextEncoder().encode("reply:"), ...p.data]);
      driver.send(encodeForwardPacket({ type: "reply", sendback: p.sendback, data: reply }), from);
    },
  });
  driver.start();
  return { driver, got };
}

/**
 * Sends `packet` to `port` from a fresh socket every 500 ms until a 0x91 arrives (the
 * daemon's close list fills within seconds); returns it, or null after `ms`.
 */
async function requestUntilAnswered(
  port: number,
  packet: Uint8Array,
  ms: number,
): Promise<{ data: Uint8Array; fromPort: number } | null> {
  const s = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const end = Date.now() + ms;
  let answer: { data: Uint8Array; fromPort: number } | null = null;
  const reading = (async () => {
    try {
      for (;;) {
        const [d, from] = await s.receive();
        if (d[0] === 0x91) {
          return void (answer = { data: d, fromPort: (from as Deno.NetAddr).port });
        }
      }
    } catch { /* closed */ }
  })();
  try {
    while (!answer && Date.now() < end) {
      await s.send(packet, { transport: "udp", ...local(port) });
      await new Promise((r) => setTimeout(r, 500));
    }
  } finally {
    s.close();
    await reading;
  }
  return answer;
}

Deno.test({
  name:
    "interop: 0x90 chains through tox-bootstrapd and a peerkit relay node, both orders and from a TCP client, bring the reply back",
  ...needs(["tox-bootstrapd"]),
  async fn() {
    await using daemon = await startBootstrapd({ tcpRelay: false });
    await using node = await RelayNode.start({ keyPair: nacl.keyPair(), forwarding: true });
    const dest = await echoDestination();
    await using _d = dest.driver;
    node.dht.bootstrap(local(daemon.udpPort), daemon.publicKey);
    dest.driver.bootstrap(local(daemon.udpPort), daemon.publicKey);
    dest.driver.bootstrap(node.udpAddr, node.publicKey);
    const destPk = dest.driver.node.publicKey;
    await waitFor("our relay node to know the destination", () => knows(node.dht, destPk), 15_000);

    // Requester -> daemon -> our node -> destination, and the reply back the same way.
    const inner = encodeForwardPacket({ type: "request", dest: destPk, data: Uint8Array.of(1, 2) });
    const viaDaemon = encodeForwardPacket({ type: "request", dest: node.publicKey, data: inner });
    const a = await requestUntilAnswered(daemon.udpPort, viaDaemon, 20_000);
    assert.ok(a, "no reply through tox-bootstrapd then peerkit");
    assert.equal(a.fromPort, daemon.udpPort, "the reply comes from the first forwarder");
    assert.deepEqual(decodeForwardPacket(a.data), {
      type: "forwarding",
      sendback: new Uint8Array(),
      data: new TextEncoder().encode("reply:\x01\x02"),
    });
    assert.deepEqual(dest.got[0]!.slice(0, 2), [Uint8Array.of(1, 2), node.udpAddr.port]);

    // Requester -> our node -> daemon -> destination.
    const inner2 = encodeForwardPacket({ type: "request", dest: destPk, data: Uint8Array.of(3) });
    const viaNode = encodeForwardPacket({ type: "request", dest: daemon.publicKey, data: inner2 });
    const b = await requestUntilAnswered(node.udpAddr.port, viaNode, 20_000);
    assert.ok(b, "no reply through peerkit then tox-bootstrapd");
    assert.equal(b.fromPort, node.udpAddr.port);
    const [data3, from3, sendback3] = dest.got.at(-1)!;
    assert.deepEqual([data3, from3], [Uint8Array.of(3), daemon.udpPort]);
    // The daemon's sendback has the layout we read: [tag 32][1][packed IP_Port of the
    // previous forwarder][its sendback: tag 32, 0, packed IP_Port of the requester].
    const chained = decodeSendbackData(sendback3.subarray(32));
    assert.equal(chained.type, "forward");
    assert.ok(chained.type === "forward");
    assert.deepEqual(chained.addr, node.udpAddr);
    assert.equal(chained.inner.length, 32 + 1 + 7);
    const pb = decodeForwardPacket(b.data);
    assert.equal(pb.type, "forwarding");
    assert.deepEqual(pb.data, new TextEncoder().encode("reply:\x03"));
    // A TCP relay client of our node -> (id 10) our node -> daemon -> destination, and the
    // reply back to the client as relay id 11.
    const c = await rawClient(node);
    try {
      await c.send({ type: "ping", pingId: new Uint8Array(8).fill(1) });
      assert.ok(await c.next("pong"));
      const inner3 = encodeForwardPacket({ type: "request", dest: destPk, data: Uint8Array.of(4) });
      await c.send({ type: "forwardRequest", addr: local(daemon.udpPort), data: inner3 });
      const back = await c.next("forwarding");
      assert.deepEqual(back, { type: "forwarding", data: new TextEncoder().encode("reply:\x04") });
      assert.equal(dest.got.at(-1)![1], daemon.udpPort);
    } finally {
      c.close();
    }
    const f = node.extras.metrics();
    assert.ok(f.peerkit_forwarding_forwarded_total!.value >= 3);
    assert.ok(f.peerkit_forwarding_replies_total!.value >= 3);
  },
});
