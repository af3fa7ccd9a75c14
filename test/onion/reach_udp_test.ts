/**
 * Friend connections between two peerkit nodes that know only each other's real key, on
 * loopback with RelayNodes (DHT + onion + TCP relay, as `relay serve`) as the network: the
 * onion brings the DHT-PK, then a session opens over UDP, or, for a node whose sessions
 * may not use UDP, through the TCP relay the friend listed in its DHT-PK.
 */
import assert from "node:assert/strict";
import { backend } from "../../lib/crypto/mod.ts";
import { openReachNode, type ReachNode } from "../../lib/onion/reach_node.ts";
import { RelayClient } from "../../lib/relay/client_driver.ts";
import type { RelayNode } from "../../lib/relay/node.ts";
import { startNet } from "./_net.ts";
import { toHex } from "../../lib/util/bytes.ts";

const STEP_MS = 20_000;
const dec = new TextDecoder();

function bootstrapOf(net: RelayNode[]) {
  return net.slice(0, 4).map((n) => ({ addr: n.udpAddr, publicKey: n.dht.node.publicKey }));
}

/** Texts of `[160][utf-8]` payloads a node received. */
function inbox(n: ReachNode): string[] {
  const got: string[] = [];
  n.sessions.on((e) => {
    if (e.type === "data" && e.data[0] === 160) got.push(dec.decode(e.data.subarray(1)));
  });
  return got;
}

function text(s: string): Uint8Array {
  return new Uint8Array([160, ...new TextEncoder().encode(s)]);
}

async function until(ok: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

Deno.test("FriendConnector: a node dials a friend known only by its key; the friend accepts without dialling", async () => {
  const net = await startNet(5);
  try {
    const ka = backend().keyPair(), kb = backend().keyPair();
    await using a = await openReachNode({ realKeyPair: ka, bootstrap: bootstrapOf(net) });
    await using b = await openReachNode({ realKeyPair: kb, bootstrap: bootstrapOf(net) });
    const atA = inbox(a), atB = inbox(b);
    a.connector.add(kb.publicKey);
    b.connector.add(ka.publicKey, { dial: false });
    await a.connector.waitConnected(kb.publicKey, STEP_MS);
    await b.connector.waitConnected(ka.publicKey, STEP_MS);
    assert(a.sessions.send(toHex(kb.publicKey), text("to b")));
    assert(b.sessions.send(toHex(ka.publicKey), text("to a")));
    await until(() => atB.includes("to b") && atA.includes("to a"), STEP_MS, "texts");
    const fa = a.connector.friend(kb.publicKey), fb = b.connector.friend(ka.publicKey);
    assert.ok(fa && fa.dials >= 1 && fa.session === "up", JSON.stringify(fa));
    assert.ok(fb && fb.dials === 0 && fb.incoming >= 1, JSON.stringify(fb));
    assert.equal(toHex(fa.dhtKey!), toHex(b.stack.dht.node.publicKey));
    assert.ok(a.connector.stats.lookups >= 1);
    // Connected: the onion stops sending DHT-PK packets to the friend.
    const sent = a.onion.client.stats.dataSent;
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(a.onion.client.stats.dataSent, sent);
  } finally {
    for (const n of net) await n.close();
  }
});

Deno.test("FriendConnector: without UDP for sessions, the session runs through the relay the friend's DHT-PK listed", async () => {
  const net = await startNet(5);
  const [r0, r1] = [net[0]!, net[1]!];
  try {
    const ka = backend().keyPair(), kb = backend().keyPair();
    const da = backend().keyPair(), db = backend().keyPair();
    await using la = new RelayClient({ keyPair: da });
    await using lb = new RelayClient({ keyPair: db });
    la.addRelay(r0.tcpAddrs[0]!, r0.publicKey);
    lb.addRelay(r1.tcpAddrs[0]!, r1.publicKey);
    await la.waitForRelays(1, 5000);
    await lb.waitForRelays(1, 5000);
    await using a = await openReachNode({
      realKeyPair: ka,
      dhtKeyPair: da,
      relay: la,
      udp: false,
      bootstrap: bootstrapOf(net),
    });
    await using b = await openReachNode({
      realKeyPair: kb,
      dhtKeyPair: db,
      relay: lb,
      bootstrap: bootstrapOf(net),
    });
    const atB = inbox(b);
    a.connector.add(kb.publicKey);
    b.connector.add(ka.publicKey, { dial: false });
    await a.connector.waitConnected(kb.publicKey, STEP_MS);
    assert(a.sessions.send(toHex(kb.publicKey), text("over the relay")));
    await until(() => atB.includes("over the relay"), STEP_MS, "text through the relay");
    assert.ok(a.connector.stats.relaysAdded >= 1, "b's relay came from its DHT-PK");
    assert.ok(la.relays().some((l) => l.publicKey === toHex(r1.publicKey)));
    assert.equal(a.sessions.stats.udpSent, 0);
    assert.ok(a.sessions.stats.relaySent > 0);
  } finally {
    for (const n of net) await n.close();
  }
});
