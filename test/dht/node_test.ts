import assert from "node:assert/strict";
import {
  backend,
  type CryptoBackend,
  setBackend,
  tweetnaclBackend as nacl,
} from "../../lib/crypto/backend.ts";
import { simulationCipher } from "../../lib/dht/cipher.ts";
import type { Addr } from "../../lib/net/addr.ts";
import { DhtNode, type DhtNodeOptions } from "../../lib/dht/node.ts";
import { DRAFT_SIZES, DRAFT_TIMINGS } from "../../lib/dht/constants.ts";
import {
  decodeNatPing,
  decodeRoutedPacket,
  encodeLanDiscovery,
  encodeNatPing,
  openDhtPacket,
  openRoutedPacket,
  sealDhtPacket,
  sealRoutedPacket,
} from "../../lib/dht/wire.ts";
import { seededBytes } from "../_support/seeded.ts";

interface Peer {
  node: DhtNode;
  addr: Addr;
  kp: { publicKey: Uint8Array; secretKey: Uint8Array };
}

function peer(i: number, opts: Partial<DhtNodeOptions> = {}): Peer {
  const kp = nacl.keyPairFromSecretKey(new Uint8Array(32).fill(i));
  const addr = { hostname: `10.0.0.${i}`, port: 33445 };
  return { node: new DhtNode({ keyPair: kp, selfAddr: addr, ...opts }), addr, kp };
}

/** Delivers every queued datagram among `peers` until quiet (bounded). */
function pump(peers: Peer[], now: number): number {
  let n = 0;
  for (let round = 0; round < 50; round++) {
    let moved = false;
    for (const p of peers) {
      for (let t; (t = p.node.pollTransmit());) {
        const dst = peers.find((q) =>
          q.addr.hostname === t!.to.hostname && q.addr.port === t!.to.port
        );
        if (dst) dst.node.handlePacket(t.data, p.addr, now);
        moved = true;
        n++;
      }
    }
    if (!moved) break;
  }
  return n;
}

Deno.test("a node that answers our bootstrap request enters the close list", () => {
  const a = peer(1), b = peer(2);
  a.node.bootstrap(b.addr, b.node.publicKey, 0);
  pump([a, b], 0);
  assert.deepEqual(a.node.closestNodes(b.node.publicKey, 8).map((n) => n.addr), [b.addr]);
  assert.equal(a.node.stats.nodesResponses, 1);
  // b was asked by a, and pings it back when its queue is flushed; a answers, b adds a.
  b.node.handleTimeout(2000);
  pump([a, b], 2000);
  assert.equal(b.node.closestNodes(a.node.publicKey, 8).length, 1);
});

Deno.test("a node that only asks us something is not added to our lists", () => {
  const a = peer(1), b = peer(2);
  a.node.bootstrap(b.addr, b.node.publicKey, 0);
  const t = a.node.pollTransmit()!;
  b.node.handlePacket(t.data, a.addr, 0);
  assert.equal(b.node.closeListSize().entries, 0);
});

Deno.test("a response from another address, too late or with an unknown id is dropped", () => {
  const a = peer(1), b = peer(2);
  // from another address
  a.node.bootstrap(b.addr, b.node.publicKey, 0);
  b.node.handlePacket(a.node.pollTransmit()!.data, a.addr, 0);
  const resp = b.node.pollTransmit()!;
  a.node.handlePacket(resp.data, { hostname: "10.0.0.9", port: 33445 }, 0);
  assert.equal(a.node.stats.dropUnexpected, 1);
  // the right address but after 5 s
  a.node.handlePacket(resp.data, b.addr, 5001);
  assert.equal(a.node.stats.dropUnexpected, 2);
  assert.equal(a.node.closeListSize().entries, 0);
  // a replay after a valid one: the id is consumed
  a.node.bootstrap(b.addr, b.node.publicKey, 6000);
  b.node.handlePacket(a.node.pollTransmit()!.data, a.addr, 6000);
  const ok = b.node.pollTransmit()!;
  a.node.handlePacket(ok.data, b.addr, 6001);
  a.node.handlePacket(ok.data, b.addr, 6002);
  assert.equal(a.node.stats.nodesResponses, 1);
  assert.equal(a.node.stats.dropUnexpected, 3);
});

Deno.test("an empty nodes response is rejected and the node stays out of the lists", () => {
  const a = peer(1), b = peer(2);
  a.node.bootstrap(b.addr, b.node.publicKey, 0);
  const req = openDhtPacket(
    a.node.pollTransmit()!.data,
    (pk) => nacl.sharedKey(pk, b.kp.secretKey),
  );
  assert.ok(req && req.message.type === "nodesRequest");
  const key = nacl.sharedKey(a.node.publicKey, b.kp.secretKey);
  const empty = sealDhtPacket(
    { type: "nodesResponse", nodes: [], pingId: req.message.pingId },
    b.node.publicKey,
    key,
    new Uint8Array(24),
  );
  a.node.handlePacket(empty, b.addr, 1);
  assert.equal(a.node.stats.dropEmptyNodes, 1);
  assert.equal(a.node.closeListSize().entries, 0);
});

Deno.test("a node that knows nobody answers a nodes request with itself, never with zero nodes", () => {
  const a = peer(1), b = peer(2, { selfAddr: { hostname: "10.0.0.2", port: 33445 } });
  a.node.bootstrap(b.addr, b.node.publicKey, 0);
  b.node.handlePacket(a.node.pollTransmit()!.data, a.addr, 0);
  const r = openDhtPacket(b.node.pollTransmit()!.data, (pk) => nacl.sharedKey(pk, a.kp.secretKey));
  assert.ok(r && r.message.type === "nodesResponse");
  assert.equal(r.message.nodes.length, 1);
  assert.deepEqual(r.message.nodes[0]!.publicKey, b.node.publicKey);
  const c = peer(3, { selfAddr: undefined });
  a.node.bootstrap(c.addr, c.node.publicKey, 0);
  c.node.handlePacket(a.node.pollTransmit()!.data, a.addr, 0);
  assert.equal(c.node.pollTransmit(), undefined);
  assert.equal(c.node.stats.unansweredNoNodes, 1);
});

Deno.test("nodes responses carry the 4 closest good nodes and never the requester", () => {
  const peers = Array.from({ length: 12 }, (_, i) => peer(i + 1));
  const hub = peers[0]!;
  for (const p of peers.slice(1)) p.node.bootstrap(hub.addr, hub.node.publicKey, 0);
  pump(peers, 0);
  hub.node.handleTimeout(2000);
  pump(peers, 2000);
  assert.equal(hub.node.closeListSize().good, 11);
  const asker = peers[5]!;
  asker.node.bootstrap(hub.addr, hub.node.publicKey, 2500);
  hub.node.handlePacket(asker.node.pollTransmit()!.data, asker.addr, 2500);
  const r = openDhtPacket(
    hub.node.pollTransmit()!.data,
    (pk) => nacl.sharedKey(pk, asker.kp.secretKey),
  );
  assert.ok(r && r.message.type === "nodesResponse");
  assert.equal(r.message.nodes.length, 4);
  const expected = hub.node.closestNodes(asker.node.publicKey, 5)
    .filter((n) => n.addr.hostname !== asker.addr.hostname).slice(0, 4);
  assert.deepEqual(r.message.nodes.map((n) => n.addr), expected.map((n) => n.addr));
});

Deno.test("garbage and truncated packets are counted and never thrown", () => {
  const a = peer(1);
  const junk = [
    new Uint8Array(0),
    new Uint8Array([0]),
    new Uint8Array(82),
    new Uint8Array(113).fill(2),
    new Uint8Array(300).fill(4),
    new Uint8Array(50).fill(0x20),
    new Uint8Array(34).fill(0x21),
  ];
  for (const j of junk) a.node.handlePacket(j, { hostname: "10.9.9.9", port: 1 }, 0);
  const s = a.node.stats;
  assert.equal(s.dropMalformed + s.dropBadMac + s.dropSelf, junk.length - 1);
  assert.equal(
    a.node.handlePacket(new Uint8Array([0x80, 1, 2]), { hostname: "10.9.9.9", port: 1 }, 0),
    false,
  );
  for (let i = 0; i < 2000; i++) {
    const b = nacl.randomBytes(1 + (i % 300));
    b[0] = [0, 1, 2, 4, 0x20, 0x21][i % 6]!;
    a.node.handlePacket(b, { hostname: "10.9.9.9", port: 1 }, 0);
  }
  assert.equal(a.node.stats.dropError, 0);
});

Deno.test("LAN discovery from a LAN address triggers a nodes request; from afar it is ignored", () => {
  const a = peer(1), b = peer(2);
  a.node.handlePacket(encodeLanDiscovery(b.node.publicKey), { hostname: "8.8.8.8", port: 1 }, 0);
  assert.equal(a.node.pollTransmit(), undefined);
  a.node.handlePacket(encodeLanDiscovery(b.node.publicKey), b.addr, 0);
  const t = a.node.pollTransmit()!;
  assert.equal(t.data[0], 0x02);
  assert.deepEqual(t.to, b.addr);
});

Deno.test("routed requests are forwarded to a close-list key and delivered to our own handler", () => {
  const got: number[] = [];
  const a = peer(1), b = peer(2, { onRoutedRequest: (r) => got.push(r.requestId) }), c = peer(3);
  // a knows b
  a.node.bootstrap(b.addr, b.node.publicKey, 0);
  pump([a, b, c], 0);
  const key = nacl.sharedKey(b.node.publicKey, c.kp.secretKey);
  const pkt = sealRoutedPacket(
    b.node.publicKey,
    c.node.publicKey,
    156,
    new Uint8Array([1, 2]),
    key,
    new Uint8Array(24),
  );
  a.node.handlePacket(pkt, c.addr, 1);
  const fwd = a.node.pollTransmit()!;
  assert.deepEqual(fwd.to, b.addr);
  assert.deepEqual(fwd.data, pkt);
  b.node.handlePacket(fwd.data, a.addr, 1);
  assert.deepEqual(got, [156]);
  // an unknown addressee is dropped
  const other = sealRoutedPacket(
    new Uint8Array(32).fill(7),
    c.node.publicKey,
    156,
    new Uint8Array([1]),
    key,
    new Uint8Array(24),
  );
  a.node.handlePacket(other, c.addr, 1);
  assert.equal(a.node.stats.dropRouteUnknown, 1);
});

Deno.test("a NAT ping request is answered through the sender's search list", () => {
  const a = peer(1), b = peer(2);
  a.node.bootstrap(b.addr, b.node.publicKey, 0);
  pump([a, b], 0);
  a.node.addSearch(b.node.publicKey);
  a.node.handleTimeout(1000);
  pump([a, b], 1000);
  assert.deepEqual(a.node.searchResult(b.node.publicKey)?.addr, b.addr);
  const key = nacl.sharedKey(a.node.publicKey, b.kp.secretKey);
  const pingId = new Uint8Array(8).fill(5);
  const req = sealRoutedPacket(
    a.node.publicKey,
    b.node.publicKey,
    254,
    encodeNatPing({ response: false, pingId }),
    key,
    new Uint8Array(24),
  );
  a.node.handlePacket(req, b.addr, 1);
  const out = a.node.pollTransmit()!;
  const p = decodeRoutedPacket(out.data);
  const r = openRoutedPacket(p, key)!;
  assert.equal(r.requestId, 254);
  assert.deepEqual(decodeNatPing(r.data), { response: true, pingId });
});

Deno.test("a search keeps the closest nodes that answered and reports the key's address", () => {
  const { me, target } = searchingNetwork();
  const r = me.node.searchResult(target.node.publicKey)!;
  assert.deepEqual(r.addr, target.addr);
  assert.ok(r.nodes.length >= 4);
});

Deno.test("entries go bad after 122 s; once every entry is dead, probing resumes (c-toxcore)", () => {
  const a = peer(1), b = peer(2);
  a.node.bootstrap(b.addr, b.node.publicKey, 0);
  pump([a, b], 0);
  // b disappears: a probes it every 60 s, it never answers.
  let probes = 0;
  for (let t = 1000; t <= 200_000; t += 1000) {
    a.node.handleTimeout(t);
    for (let x; (x = a.node.pollTransmit());) if (x.to.hostname === b.addr.hostname) probes++;
    if (t === 121_000) assert.equal(a.node.closeListSize().good, 1);
    if (t === 122_000) assert.equal(a.node.closeListSize().good, 0);
  }
  // after every entry died, c-toxcore marks them bad again and resumes probing
  assert.ok(probes >= 3, `probes ${probes}`);
});

Deno.test("a dead entry is probed at 60, 120 and 180 s, then no more while others answer", () => {
  const a = peer(1), b = peer(2), c = peer(3);
  // Entered through pings, not bootstrap, so that no re-bootstrap request goes to b.
  a.node.ping(b.addr, b.node.publicKey, 0);
  a.node.ping(c.addr, c.node.publicKey, 0);
  pump([a, b, c], 0);
  assert.equal(a.node.closeListSize().good, 2);
  const toB: number[] = [];
  for (let t = 1000; t <= 400_000; t += 1000) {
    a.node.handleTimeout(t);
    c.node.handleTimeout(t);
    // b is gone: record what a sends it, deliver the rest between a and c.
    for (let round = 0; round < 10; round++) {
      let moved = false;
      for (const [from, to] of [[a, c], [c, a]] as const) {
        for (let x; (x = from.node.pollTransmit());) {
          moved = true;
          if (x.to.hostname === b.addr.hostname) {
            if (from === a) toB.push(t);
          } else if (x.to.hostname === to.addr.hostname) to.node.handlePacket(x.data, from.addr, t);
        }
      }
      if (!moved) break;
    }
  }
  // Random nodes requests may pick b while it is good (before 122 s); probes at 60 s intervals.
  assert.deepEqual(toB.filter((t) => t >= 122_000), [180_000]);
  assert.ok(toB.includes(60_000) && toB.includes(120_000), toB.join(" "));
  assert.equal(a.node.closeListSize().good, 1);
});

Deno.test("shared keys are cached: one X25519 per peer, not per packet", () => {
  const a = peer(1), b = peer(2);
  for (let i = 0; i < 20; i++) {
    a.node.ping(b.addr, b.node.publicKey, i);
    pump([a, b], i);
  }
  assert.equal(a.node.stats.pingResponses, 20);
  assert.equal(a.node.keyCacheStats()?.misses, 1);
  assert.equal(b.node.keyCacheStats()?.misses, 1);
  assert.ok(b.node.keyCacheStats()!.hits >= 19);
});

Deno.test("the draft's timers are options: bad after 130 s with DRAFT_TIMINGS", () => {
  const a = peer(1, { timings: DRAFT_TIMINGS, sizes: DRAFT_SIZES }), b = peer(2);
  a.node.bootstrap(b.addr, b.node.publicKey, 0);
  pump([a, b], 0);
  for (let t = 1000; t <= 131_000; t += 1000) {
    a.node.handleTimeout(t);
    while (a.node.pollTransmit());
    if (t === 129_000) assert.equal(a.node.closeListSize().good, 1);
    if (t === 130_000) assert.equal(a.node.closeListSize().good, 0);
  }
});

Deno.test("regression: a lookup never asks our own key when a response lists us", () => {
  // c-toxcore leaves out only the searched key, not the asker, so its answers can list us.
  const a = peer(1), f = peer(2);
  const target = new Uint8Array(32).fill(0xab);
  const l = a.node.startLookup(target, 0, {
    seeds: [{ publicKey: f.node.publicKey, addr: f.addr }],
    timeoutMs: 20_000,
  });
  const req = openDhtPacket(
    a.node.pollTransmit()!.data,
    (pk) => nacl.sharedKey(pk, f.kp.secretKey),
  );
  assert.ok(req && req.message.type === "nodesRequest");
  const listsUs = sealDhtPacket(
    {
      type: "nodesResponse",
      nodes: [{ publicKey: a.node.publicKey, addr: a.addr }],
      pingId: req.message.pingId,
    },
    f.node.publicKey,
    nacl.sharedKey(a.node.publicKey, f.kp.secretKey),
    new Uint8Array(24),
  );
  a.node.handlePacket(listsUs, f.addr, 10);
  for (let t; (t = a.node.pollTransmit());) assert.notDeepEqual(t.to, a.addr);
  assert.equal(l.result?.reason, "exhausted");
  assert.equal(l.result?.requests, 1);
  assert.equal(l.result?.responses, 1);
  assert.equal(l.result?.elapsedMs, 10);
});

/** The peers of a 20-node hub network, with `me` (40) searching for peer 20. */
function searchingNetwork(): { peers: Peer[]; me: Peer; target: Peer } {
  const peers = Array.from({ length: 20 }, (_, i) => peer(i + 1));
  const hub = peers[0]!;
  const target = peers[19]!;
  for (const p of peers.slice(1)) p.node.bootstrap(hub.addr, hub.node.publicKey, 0);
  pump(peers, 0);
  hub.node.handleTimeout(2000);
  pump(peers, 2000);
  const me = peer(40);
  peers.push(me);
  me.node.bootstrap(hub.addr, hub.node.publicKey, 3000);
  pump(peers, 3000);
  me.node.addSearch(target.node.publicKey);
  for (let t = 4000; t < 30_000; t += 1000) {
    for (const p of peers) p.node.handleTimeout(t);
    pump(peers, t);
  }
  return { peers, me, target };
}

function natPingRequest(from: Peer, to: Peer, pingId: Uint8Array): Uint8Array {
  return sealRoutedPacket(
    to.node.publicKey,
    from.node.publicKey,
    254,
    encodeNatPing({ response: false, pingId }),
    nacl.sharedKey(to.node.publicKey, from.kp.secretKey),
    new Uint8Array(24),
  );
}

Deno.test("regression: a NAT ping request is answered through ONE random node of the friend's list", () => {
  const { me, target } = searchingNetwork();
  const list = me.node.searchResult(target.node.publicKey)!.nodes;
  assert.ok(list.length >= 2, `search list has ${list.length} nodes`);
  const pingId = new Uint8Array(8).fill(6);
  me.node.handlePacket(natPingRequest(target, me, pingId), list[0]!.addr, 30_000);
  const routed: { to: Addr; data: Uint8Array }[] = [];
  for (let t; (t = me.node.pollTransmit());) if (t.data[0] === 0x20) routed.push(t);
  assert.equal(routed.length, 1);
  assert.ok(list.some((n) => n.addr.hostname === routed[0]!.to.hostname));
  const key = nacl.sharedKey(me.node.publicKey, target.kp.secretKey);
  const r = openRoutedPacket(decodeRoutedPacket(routed[0]!.data), key)!;
  assert.deepEqual(decodeNatPing(r.data), { response: true, pingId });
});

Deno.test("regression: a NAT ping from a key we do not search is dropped and counted", () => {
  const got: number[] = [];
  const a = peer(1, { onRoutedRequest: (r) => got.push(r.requestId) }), b = peer(2);
  a.node.bootstrap(b.addr, b.node.publicKey, 0);
  pump([a, b], 0);
  a.node.handlePacket(natPingRequest(b, a, new Uint8Array(8).fill(1)), b.addr, 1);
  assert.equal(a.node.pollTransmit(), undefined);
  assert.equal(a.node.stats.dropNatPingStranger, 1);
  assert.deepEqual(got, []);
});

Deno.test("regression: LAN discovery does not push the configured bootstrap nodes out of the retries", () => {
  const a = peer(1);
  const configured = {
    publicKey: new Uint8Array(32).fill(50),
    addr: { hostname: "192.0.2.50", port: 33445 },
  };
  a.node.bootstrap(configured.addr, configured.publicKey, 0);
  for (let i = 11; i <= 22; i++) {
    const lan = peer(i);
    a.node.handlePacket(encodeLanDiscovery(lan.node.publicKey), lan.addr, 0);
  }
  assert.equal(a.node.stats.lanDiscovery, 12);
  const first: string[] = [];
  for (let t; (t = a.node.pollTransmit());) first.push(t.to.hostname);
  assert.equal(first.length, 13); // one nodes request each
  const retried: string[] = [];
  for (let t = 1000; t <= 12_000; t += 1000) {
    a.node.handleTimeout(t);
    for (let x; (x = a.node.pollTransmit());) retried.push(x.to.hostname);
  }
  assert.ok(retried.includes("192.0.2.50"), "the configured node is asked again");
  assert.ok(!retried.some((h) => h.startsWith("10.0.0.")), "LAN senders are not retried");
});

/** A crypto backend that fails the test if anything reaches it. */
const refusingBackend: CryptoBackend = new Proxy(nacl, {
  get: (t, k) => (k === "name" ? "refusing" : () => {
    throw new Error(`process-wide crypto backend used: ${String(k)} on ${t.name}`);
  }),
});

function seededRun(seed: number): string[] {
  const peers: Peer[] = [];
  for (let i = 1; i <= 6; i++) {
    const kp = {
      publicKey: new Uint8Array(32).fill(i),
      secretKey: new Uint8Array(32).fill(100 + i),
    };
    const addr = { hostname: `10.0.7.${i}`, port: 33445 };
    const node = new DhtNode({
      keyPair: kp,
      selfAddr: addr,
      random: seededBytes(seed + i),
      cipher: simulationCipher(kp.publicKey),
    });
    peers.push({ node, addr, kp });
  }
  const trace: string[] = [];
  const hub = peers[0]!;
  for (const p of peers.slice(1)) p.node.bootstrap(hub.addr, hub.node.publicKey, 0);
  peers[5]!.node.addSearch(peers[2]!.node.publicKey);
  peers[5]!.node.startLookup(peers[3]!.node.publicKey, 0);
  for (let t = 0; t <= 20_000; t += 1000) {
    for (const p of peers) p.node.handleTimeout(t);
    for (let round = 0; round < 50; round++) {
      let moved = false;
      for (const p of peers) {
        for (let x; (x = p.node.pollTransmit());) {
          trace.push(`${t} ${p.addr.hostname}>${x.to.hostname} ${Array.from(x.data).join(",")}`);
          const dst = peers.find((q) => q.addr.hostname === x!.to.hostname);
          dst?.node.handlePacket(x.data, p.addr, t);
          moved = true;
        }
      }
      if (!moved) break;
    }
  }
  for (const p of peers) assert.equal(p.node.stats.dropError, 0);
  return trace;
}

Deno.test("a DhtNode given a cipher and a random source never touches the process-wide backend, so a seeded run repeats exactly", () => {
  const saved = backend();
  setBackend(refusingBackend);
  try {
    const a = seededRun(7), b = seededRun(7), c = seededRun(8);
    assert.ok(a.length > 50, `${a.length} datagrams`);
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
  } finally {
    setBackend(saved);
  }
});

Deno.test("the default random source is the node's own, not the process-wide crypto backend", () => {
  const saved = backend();
  setBackend(refusingBackend);
  try {
    const kp = { publicKey: new Uint8Array(32).fill(3), secretKey: new Uint8Array(32).fill(4) };
    const a = new DhtNode({ keyPair: kp, cipher: simulationCipher(kp.publicKey) });
    for (let i = 0; i < 300; i++) {
      a.ping({ hostname: "10.0.8.1", port: i + 1 }, new Uint8Array(32).fill(9), 0);
    }
    const nonces = new Set<string>();
    for (let t; (t = a.pollTransmit());) nonces.add(Array.from(t.data.subarray(33, 57)).join());
    assert.equal(nonces.size, 300);
  } finally {
    setBackend(saved);
  }
});
