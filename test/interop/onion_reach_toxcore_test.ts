/**
 * Friend connections with real c-toxcore 0.2.18 found through the onion alone, on five
 * tox-bootstrapd daemons: neither side is given the other's address or DHT key.
 *
 * 1. peerkit knows only the c-toxcore peer's Tox ID: a friend request, accepted; the onion
 *    brings its DHT-PK, the DHT its address, a session opens, the C side's friend
 *    connection comes up, and messages pass both ways.
 * 2. c-toxcore dials: it sends a friend request to our Tox ID; we accept it without ever
 *    dialling; our announce and DHT-PK let its net_crypto open the session to us.
 * 3. c-toxcore in TCP-only mode: the first daemon is also its TCP relay; we are on the same
 *    relay; the DHT-PK packets list it, and the session runs through it.
 */
import assert from "node:assert/strict";
import { backend } from "../../lib/crypto/mod.ts";
import { formatPublicKey } from "../../lib/identity/pubkey.ts";
import { parseToxId } from "../../lib/identity/tox_id.ts";
import { openReachNode, type ReachNode } from "../../lib/onion/reach_node.ts";
import { resolvePeer } from "../../lib/onion/reach.ts";
import { RelayClient } from "../../lib/relay/client_driver.ts";
import { fromHex, toHex } from "../../lib/util/bytes.ts";
import { needs } from "../_support/env.ts";
import { startToxClient, type ToxClient } from "../_support/toxclient.ts";
import { type Bootstrapd, startBootstrapd } from "../_support/toxcore.ts";

const PACKET_ID_MESSAGE = 64;
const STEP_MS = 30_000;
const enc = new TextEncoder(), dec = new TextDecoder();

async function startDaemons(firstRelays = false): Promise<Bootstrapd[]> {
  const first = await startBootstrapd({ tcpRelay: firstRelays });
  const entry = { host: "127.0.0.1", port: first.udpPort, publicKeyHex: first.publicKeyHex };
  const rest = await Promise.all(
    [0, 1, 2, 3].map(() => startBootstrapd({ tcpRelay: false, bootstrap: [entry] })),
  );
  return [first, ...rest];
}

/** The daemons as DHT nodes to bootstrap from. */
function nodesOf(daemons: Bootstrapd[]) {
  return daemons.map((d) => ({
    publicKey: d.publicKey,
    addr: { hostname: "127.0.0.1", port: d.udpPort },
  }));
}

/** Texts of the Messenger messages (id 64) a node receives, in order. */
function inbox(me: ReachNode): string[] {
  const messages: string[] = [];
  me.sessions.on((e) => {
    if (e.type === "data" && e.data[0] === PACKET_ID_MESSAGE) {
      messages.push(dec.decode(e.data.subarray(1)));
    }
  });
  return messages;
}

/** Daemons, a c-toxcore client online on them, and a peerkit node bootstrapped from them. */
async function world(
  name: string,
  fn: (w: { tox: ToxClient; me: ReachNode; messages: string[] }) => Promise<void>,
): Promise<void> {
  const daemons = await startDaemons();
  try {
    await using tox = await startToxClient({ name });
    for (const d of daemons) await tox.bootstrap("127.0.0.1", d.udpPort, d.publicKeyHex);
    await tox.waitForOnline(STEP_MS);
    await using me = await openReachNode({
      realKeyPair: backend().keyPair(),
      bootstrap: nodesOf(daemons),
    });
    const messages = inbox(me);
    await fn({ tox, me, messages });
  } finally {
    for (const d of daemons) await d.stop();
  }
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
  name: "interop: peerkit reaches a c-toxcore peer by its Tox ID alone; messages both ways",
  ...needs(["tox-bootstrapd", "gcc", "pkg-config"]),
  async fn() {
    await world("tox-reached", async ({ tox, me, messages }) => {
      const t0 = performance.now();
      const id = parseToxId(tox.toxId);
      const us = me.onion.client;
      me.connector.add(id.publicKey);
      me.onion.sendFriendRequest(id.publicKey, id.nospam, enc.encode("peerkit here"));
      const req = await tox.waitFor((e) => e.kind === "friend_request", STEP_MS);
      assert.ok(req.kind === "friend_request");
      const friend = await tox.addFriendNoRequest(req.publicKey); // accepts
      const found = await resolvePeer({
        onion: me.onion,
        dht: me.stack.dht,
        realKey: id.publicKey,
        timeoutMs: STEP_MS,
      });
      assert.ok(found, "the c-toxcore peer's DHT-PK came");
      assert.equal(toHex(found.dhtKey), toHex(fromHex(tox.dhtPublicKey)));
      assert.ok(
        found.addrs.some((a) => a.hostname === "127.0.0.1" && a.port === tox.udpPort),
        `its address found on the DHT: ${JSON.stringify(found.addrs)}`,
      );
      await me.connector.waitConnected(id.publicKey, STEP_MS);
      assert.equal(await tox.waitForFriend(friend, { timeoutMs: STEP_MS }), "udp");
      const info = me.connector.friend(id.publicKey);
      assert.ok(info && info.dials >= 1 && info.session === "up", JSON.stringify(info));
      const peer = toHex(id.publicKey);
      assert(me.sessions.send(peer, message("hello from peerkit")));
      await tox.waitForMessage(friend, "hello from peerkit", STEP_MS);
      await tox.send(friend, "hello from toxcore");
      await until(() => messages.includes("hello from toxcore"), STEP_MS, "message at peerkit");
      console.log(
        `reached c-toxcore by Tox ID: DHT-PK and address after ${found.elapsedMs} ms, ` +
          `friend connection up ${Math.round(performance.now() - t0)} ms after the request; ` +
          `onion stats ${
            JSON.stringify({ sent: us.stats.dataSent, paths: us.stats.pathsCreated })
          }`,
      );
    });
  },
});

Deno.test({
  name: "interop: a c-toxcore peer finds a peerkit node through the onion and dials it",
  ...needs(["tox-bootstrapd", "gcc", "pkg-config"]),
  async fn() {
    await world("tox-dialler", async ({ tox, me, messages }) => {
      const requests: Uint8Array[] = [];
      me.onion.on((e) => {
        if (e.type !== "friend_request") return;
        requests.push(e.publicKey);
        me.connector.add(e.publicKey, { dial: false }); // accept; never dial
      });
      const friend = await tox.addFriend(me.toxId, "let me in");
      await until(() => requests.length > 0, STEP_MS, "friend request at peerkit");
      const them = requests[0]!;
      assert.equal(formatPublicKey(them), tox.publicKey);
      await me.connector.waitConnected(them, STEP_MS);
      assert.equal(await tox.waitForFriend(friend, { timeoutMs: STEP_MS }), "udp");
      const info = me.connector.friend(them);
      assert.ok(info && info.dials === 0 && info.incoming >= 1, JSON.stringify(info));
      await tox.send(friend, "I found you");
      await until(() => messages.includes("I found you"), STEP_MS, "message at peerkit");
      assert(me.sessions.send(toHex(them), message("and I answered")));
      await tox.waitForMessage(friend, "and I answered", STEP_MS);
    });
  },
});

Deno.test({
  name: "interop: a c-toxcore peer in TCP-only mode, found through the onion, over its TCP relay",
  ...needs(["tox-bootstrapd", "gcc", "pkg-config"]),
  async fn() {
    const daemons = await startDaemons(true);
    const first = daemons[0]!;
    try {
      await using tox = await startToxClient({ udp: false, name: "tox-tcp-only" });
      await tox.useNode({
        udpPort: first.udpPort,
        tcpPort: first.tcpPort,
        publicKeyHex: first.publicKeyHex,
      });
      for (const d of daemons.slice(1)) {
        await tox.bootstrap("127.0.0.1", d.udpPort, d.publicKeyHex);
      }
      assert.equal(await tox.waitForOnline(STEP_MS), "tcp");
      const dhtKeyPair = backend().keyPair();
      await using relay = new RelayClient({ keyPair: dhtKeyPair });
      relay.addRelay({ hostname: "127.0.0.1", port: first.tcpPort }, first.publicKey);
      await relay.waitForRelays(1, STEP_MS);
      await using me = await openReachNode({
        realKeyPair: backend().keyPair(),
        dhtKeyPair,
        relay,
        bootstrap: nodesOf(daemons),
      });
      const messages = inbox(me);
      const id = parseToxId(tox.toxId);
      me.connector.add(id.publicKey);
      me.onion.sendFriendRequest(id.publicKey, id.nospam, enc.encode("over tcp"));
      const req = await tox.waitFor((e) => e.kind === "friend_request", STEP_MS);
      assert.ok(req.kind === "friend_request");
      const friend = await tox.addFriendNoRequest(req.publicKey);
      await me.connector.waitConnected(id.publicKey, STEP_MS);
      assert.equal(await tox.waitForFriend(friend, { timeoutMs: STEP_MS }), "tcp");
      assert(me.sessions.send(toHex(id.publicKey), message("to a TCP-only peer")));
      await tox.waitForMessage(friend, "to a TCP-only peer", STEP_MS);
      await tox.send(friend, "from a TCP-only peer");
      await until(() => messages.includes("from a TCP-only peer"), STEP_MS, "message at peerkit");
      assert.equal(me.sessions.stats.udpSent, 0, "a TCP-only peer has no UDP path");
      assert.ok(me.sessions.stats.relaySent > 0);
    } finally {
      for (const d of daemons) await d.stop();
    }
  },
});
