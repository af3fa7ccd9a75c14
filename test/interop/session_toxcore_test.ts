/**
 * Sessions with real c-toxcore (libtoxcore through the C harness): a libtoxcore peer that
 * has our real key as a friend accepts a peerkit session opened to its DHT key over direct
 * UDP, its friend connection comes up, and Messenger messages (id 64) pass both ways after
 * we announce ourselves online (id 24).
 * @module
 */
import assert from "node:assert/strict";
import { backend } from "../../lib/crypto/mod.ts";
import { denoNetwork } from "../../lib/net/deno.ts";
import { UdpHost } from "../../lib/node/host.ts";
import { openUdpStack } from "../../lib/node/stack.ts";
import { RelayClient } from "../../lib/relay/client_driver.ts";
import { SessionDriver } from "../../lib/session/driver.ts";
import { SessionHost } from "../../lib/session/host.ts";
import { RelayPath } from "../../lib/session/relay_path.ts";
import { fromHex, toHex } from "../../lib/util/bytes.ts";
import { needs } from "../_support/env.ts";
import { spawnLoopbackRelay } from "../_support/relay_serve.ts";
import { startToxClient } from "../_support/toxclient.ts";

/** Messenger packet ids (tox-protocol §7). */
const PACKET_ID_ALIVE = 16;
const PACKET_ID_ONLINE = 24;
const PACKET_ID_MESSAGE = 64;
const STEP_MS = 20_000;

const enc = new TextEncoder(), dec = new TextDecoder();

interface Us extends AsyncDisposable {
  d: SessionDriver;
  udp: UdpHost;
  relay: RelayClient | undefined;
  path: RelayPath | undefined;
  /** Texts of Messenger messages received, in order. */
  messages: string[];
}

async function us(o: { relay?: { port: number; key: string } } = {}): Promise<Us> {
  const c = backend();
  const selfDht = c.keyPair();
  const udp = new UdpHost({
    socket: await denoNetwork.bindDatagram({ hostname: "127.0.0.1", port: 0 }),
  });
  const host = new SessionHost({ crypto: c, self: c.keyPair(), selfDht });
  let relay: RelayClient | undefined;
  let path: RelayPath | undefined;
  if (o.relay) {
    relay = new RelayClient({ keyPair: selfDht });
    relay.addRelay({ hostname: "127.0.0.1", port: o.relay.port }, fromHex(o.relay.key));
    path = new RelayPath(relay);
  }
  const d = new SessionDriver({
    udp,
    host,
    ...(path ? { relay: path, direct: false } : {}),
  });
  const messages: string[] = [];
  // Friend-connection keep-alive (every 8 s) so c-toxcore never times us out mid-test.
  const alive = setInterval(() => {
    for (const s of host.sessions()) {
      if (s.state === "established") d.send(s.peer, new Uint8Array([PACKET_ID_ALIVE]));
    }
  }, 8000);
  d.on((e) => {
    if (e.type === "established") d.send(e.peer, new Uint8Array([PACKET_ID_ONLINE]));
    if (e.type === "data" && e.data[0] === PACKET_ID_MESSAGE) {
      messages.push(dec.decode(e.data.subarray(1)));
    }
  });
  return {
    d,
    udp,
    relay,
    path,
    messages,
    [Symbol.asyncDispose]: async () => {
      clearInterval(alive);
      await d.close();
      await relay?.close();
      await udp.close();
    },
  };
}

function message(text: string): Uint8Array {
  return new Uint8Array([PACKET_ID_MESSAGE, ...enc.encode(text)]);
}

async function until(ok: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

Deno.test({
  name: "interop: c-toxcore accepts a peerkit session over direct UDP; messages both ways",
  ...needs(["gcc", "pkg-config"]),
  async fn() {
    {
      await using me = await us();
      await using tox = await startToxClient({ udp: true, name: "tox-direct" });
      const friend = await tox.addFriendNoRequest(toHex(me.d.host.publicKey).toUpperCase());
      const peer = tox.publicKey.toLowerCase();
      me.d.connect(fromHex(tox.publicKey), fromHex(tox.dhtPublicKey), {
        addr: { hostname: "127.0.0.1", port: tox.udpPort },
      });
      await me.d.waitEstablished(toHex(fromHex(tox.publicKey)), STEP_MS);
      const kind = await tox.waitForFriend(friend, { timeoutMs: STEP_MS });
      assert.equal(kind, "udp");
      assert(me.d.send(toHex(fromHex(peer)), message("hello from peerkit")));
      await tox.waitForMessage(friend, "hello from peerkit", STEP_MS);
      await tox.send(friend, "hello from toxcore");
      await until(() => me.messages.includes("hello from toxcore"), STEP_MS, "message at peerkit");
      assert.equal(me.d.stats.relaySent, 0);
    }
  },
});

Deno.test({
  name: "interop: c-toxcore in TCP-only mode takes a peerkit session through relay serve",
  ...needs(["gcc", "pkg-config"]),
  async fn() {
    {
      await using r = await spawnLoopbackRelay(["--rate", "0"]);
      await using me = await us({ relay: { port: r.tcpPort, key: r.publicKeyHex } });
      await using tox = await startToxClient({ udp: false, name: "tox-tcp" });
      await tox.useNode({ tcpPort: r.tcpPort, udpPort: r.udpPort, publicKeyHex: r.publicKeyHex });
      const friend = await tox.addFriendNoRequest(toHex(me.d.host.publicKey).toUpperCase());
      await me.relay!.waitForRelays(1, STEP_MS);
      // c-toxcore connects to its relay on its own schedule; open once it is online there.
      await tox.waitForOnline(STEP_MS);
      const peer = toHex(fromHex(tox.publicKey));
      me.d.connect(fromHex(tox.publicKey), fromHex(tox.dhtPublicKey));
      await me.d.waitEstablished(peer, STEP_MS);
      const kind = await tox.waitForFriend(friend, { timeoutMs: STEP_MS });
      assert.equal(kind, "tcp");
      assert(me.d.send(peer, message("over the relay")));
      await tox.waitForMessage(friend, "over the relay", STEP_MS);
      await tox.send(friend, "back over the relay");
      await until(() => me.messages.includes("back over the relay"), STEP_MS, "message back");
      assert.equal(me.d.stats.udpSent, 0);
      const p = me.path!.stats;
      assert(p.oob >= 1, "the cookie request went out of band");
      assert(p.routed >= 1, `later packets went on the routed connection (${JSON.stringify(p)})`);
    }
  },
});

Deno.test({
  name: "interop: c-toxcore opens a session to a peerkit DHT node on its own (after one we opened)",
  ...needs(["gcc", "pkg-config"]),
  async fn() {
    const c = backend();
    const selfDht = c.keyPair();
    // Our node: one UDP socket with the DHT (answering c-toxcore's DHT requests) and the
    // sessions on it.
    await using stack = await openUdpStack({ keyPair: selfDht, lanDiscovery: false });
    const host = new SessionHost({ crypto: c, self: c.keyPair(), selfDht });
    await using d = new SessionDriver({ udp: stack.host, host });
    const incoming: string[] = [];
    const messages: string[] = [];
    d.on((e) => {
      if (e.type === "incoming") incoming.push(e.peer);
      if (e.type === "established") d.send(e.peer, new Uint8Array([PACKET_ID_ONLINE]));
      if (e.type === "data" && e.data[0] === PACKET_ID_MESSAGE) {
        messages.push(dec.decode(e.data.subarray(1)));
      }
    });
    await using tox = await startToxClient({ udp: true, name: "tox-initiator" });
    await tox.bootstrap("127.0.0.1", stack.host.localAddr.port, toHex(selfDht.publicKey));
    const friend = await tox.addFriendNoRequest(toHex(host.publicKey).toUpperCase());
    const peer = toHex(fromHex(tox.publicKey));
    // c-toxcore's friend_connection needs our DHT key before it dials; it has no onion
    // announce from us, so it learns the key from a first session we open, which we then
    // kill. Its friend connection goes down, and it dials us again on its own.
    d.connect(fromHex(tox.publicKey), fromHex(tox.dhtPublicKey), {
      addr: { hostname: "127.0.0.1", port: tox.udpPort },
    });
    await d.waitEstablished(peer, STEP_MS);
    await tox.waitForFriend(friend, { timeoutMs: STEP_MS });
    const since = tox.events().length;
    d.kill(peer);
    await tox.waitForFriend(friend, { status: "none", timeoutMs: STEP_MS, since });
    assert.equal(incoming.length, 0, "so far only we opened sessions");
    await until(() => incoming.includes(peer), 40_000, "c-toxcore dials us");
    await d.waitEstablished(peer, STEP_MS);
    await tox.waitForFriend(friend, { status: "udp", timeoutMs: STEP_MS, since });
    await tox.send(friend, "I dialled you");
    await until(() => messages.includes("I dialled you"), STEP_MS, "message at peerkit");
    assert(d.send(peer, message("and I answered")));
    await tox.waitForMessage(friend, "and I answered", STEP_MS);
  },
});
