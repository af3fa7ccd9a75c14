/**
 * The session driver and relay route without real sockets: address learning, bad input
 * from outside (counted, never thrown), and the relay route's choice between routed and
 * out-of-band sends.
 * @module
 */
import assert from "node:assert/strict";
import { tweetnaclBackend as crypto } from "../../lib/crypto/backend.ts";
import { MemoryNetwork } from "../../lib/net/memory.ts";
import { UdpHost } from "../../lib/node/host.ts";
import type { RelayClient } from "../../lib/relay/client_driver.ts";
import { SessionDriver } from "../../lib/session/driver.ts";
import { SessionHost } from "../../lib/session/host.ts";
import { RelayPath } from "../../lib/session/relay_path.ts";

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(ok: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!ok() && Date.now() < end) await wait(5);
}

Deno.test("SessionHost.handleDatagram() names the peer of a valid datagram, nothing for junk", () => {
  const a = new SessionHost({ crypto, self: crypto.keyPair(), selfDht: crypto.keyPair() });
  const b = new SessionHost({ crypto, self: crypto.keyPair(), selfDht: crypto.keyPair() });
  a.connect(b.publicKey, b.dhtPublicKey, 0);
  const req = a.pollTransmit()!;
  assert.equal(b.handleDatagram(req.bytes, 1, { reply: "a" }), undefined, "cookie request");
  const resp = b.pollTransmit()!;
  assert.equal(a.handleDatagram(resp.bytes, 2, { peer: b.peer }), b.peer, "cookie response");
  const hs = a.pollTransmit()!;
  assert.equal(b.handleDatagram(hs.bytes, 3, {}), a.peer, "a new peer's handshake");
  assert.equal(b.handleDatagram(new Uint8Array([0x1b, 0, 0]), 4, { peer: a.peer }), undefined);
  const forged = hs.bytes.slice();
  forged[200]! ^= 1;
  assert.equal(b.handleDatagram(forged, 5, {}), undefined, "a forged handshake");
});

Deno.test("SessionDriver: learns the responder's address from its handshake, counts junk from strangers", async () => {
  const net = new MemoryNetwork();
  await using ua = new UdpHost({
    socket: await net.bindDatagram({ hostname: "10.0.0.1", port: 1 }),
  });
  await using ub = new UdpHost({
    socket: await net.bindDatagram({ hostname: "10.0.0.2", port: 1 }),
  });
  await using junk = new UdpHost({
    socket: await net.bindDatagram({ hostname: "10.0.0.3", port: 1 }),
  });
  const mk = () => new SessionHost({ crypto, self: crypto.keyPair(), selfDht: crypto.keyPair() });
  await using a = new SessionDriver({ udp: ua, host: mk() });
  await using b = new SessionDriver({ udp: ub, host: mk() });
  a.connect(b.host.publicKey, b.host.dhtPublicKey, { addr: ub.localAddr });
  await a.waitEstablished(b.host.peer, 5000);
  assert.deepEqual(b.directAddr(a.host.peer), ua.localAddr);
  // Truncated and bit-flipped copies of every kind, and random bytes, from a stranger.
  let seed = 7;
  const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 24;
  const drops = () => Object.values(b.host.stats.dropped).reduce((x, y) => x + y, 0);
  const before = drops();
  let sent = 0;
  for (const kind of [0x18, 0x19, 0x1a, 0x1b]) {
    for (const len of [1, 2, 3, 20, 144, 145, 160, 161, 384, 385, 600]) {
      const d = new Uint8Array(len).map(rnd);
      d[0] = kind;
      junk.send(d, ub.localAddr);
      sent++;
    }
  }
  await until(() => drops() - before >= sent, 2000);
  assert.equal(drops() - before, sent, "every junk datagram counted as a drop");
  assert.equal(ub.table.stats.errors.size, 0, "no handler threw");
  assert.equal(b.host.sessions().length, 1);
  assert.equal(b.host.session(a.host.peer)?.state, "established");
  // A peer that dialled us is forgotten once its session ends; one we dialled is kept.
  a.kill(b.host.peer);
  await until(() => b.directAddr(a.host.peer) === undefined, 2000);
  assert.equal(b.directAddr(a.host.peer), undefined);
  assert.deepEqual(a.directAddr(b.host.peer), ub.localAddr);
});

/** A relay client double: records what was sent and lets the test deliver packets. */
function fakeClient(online: boolean) {
  const sent: string[] = [];
  const listeners: Record<string, (p: Uint8Array, d: Uint8Array, r: Uint8Array) => void> = {};
  const client = {
    on: (k: string, fn: (p: Uint8Array, d: Uint8Array, r: Uint8Array) => void) => {
      listeners[k] = fn;
      return () => delete listeners[k];
    },
    isOnline: () => online,
    send: () => (sent.push("routed"), true),
    sendOob: () => (sent.push("oob"), 1),
    addPeer: () => {},
    relays: () => [],
  } as unknown as RelayClient;
  return { client, sent, listeners };
}

Deno.test("RelayPath: routed when online, handshake out of band when not, big data unsent", () => {
  const key = new Uint8Array(32);
  const on = fakeClient(true);
  assert(new RelayPath(on.client).send(key, new Uint8Array(1400).fill(0x1b)));
  assert.deepEqual(on.sent, ["routed"]);
  const off = fakeClient(false);
  const p = new RelayPath(off.client);
  assert(p.send(key, new Uint8Array(385).fill(0x1a)));
  assert(!p.send(key, new Uint8Array(1400).fill(0x1b)));
  assert.deepEqual(off.sent, ["oob"]);
  assert.deepEqual([p.stats.oob, p.stats.unsent], [1, 1]);
});

Deno.test("RelayPath: passes session kinds on and counts the rest", () => {
  const f = fakeClient(true);
  const p = new RelayPath(f.client);
  const got: number[] = [];
  const stop = p.listen((d) => got.push(d[0]!));
  const k = new Uint8Array(32);
  f.listeners.data!(k, new Uint8Array([0x1b, 1]), k);
  f.listeners.oob!(k, new Uint8Array([0x18, 1]), k);
  f.listeners.data!(k, new Uint8Array([0x10]), k);
  f.listeners.oob!(k, new Uint8Array(0), k);
  assert.deepEqual(got, [0x1b, 0x18]);
  assert.equal(p.stats.ignored, 2);
  stop();
  assert.equal(Object.keys(f.listeners).length, 0);
});
