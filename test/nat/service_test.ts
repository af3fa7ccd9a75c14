import assert from "node:assert/strict";
import { tweetnaclBackend as nacl } from "../../lib/crypto/backend.ts";
import { sealDhtPacket } from "../../lib/dht/wire.ts";
import { denoNetwork } from "../../lib/net/deno.ts";
import type { Datagram } from "../../lib/net/types.ts";
import { UdpHost } from "../../lib/node/host.ts";
import { RelayNode } from "../../lib/relay/node.ts";
import { decodeStun, encodeStun, findAttribute } from "../../lib/nat/wire.ts";
import { serveStunOnHost } from "../../lib/nat/service.ts";
import { StunResponder } from "../../lib/nat/responder.ts";
import { discoverNat } from "../../lib/nat/driver.ts";
import { freePortPair, IP1, IP2 } from "./_loopback.ts";

function bindingRequest(i: number, legacy = false): Uint8Array {
  const id = new Uint8Array(legacy ? 16 : 12).fill(i + 1);
  return encodeStun({
    class: "request",
    method: 1,
    transactionId: id,
    attributes: [],
    fingerprint: !legacy && i % 2 === 0,
  });
}

/** Receives up to `n` datagrams within `ms`; one receive is outstanding at a time. */
async function collect(sock: { receive(): Promise<Datagram> }, n: number, ms: number) {
  const got: Datagram[] = [];
  const deadline = Date.now() + ms;
  let rx: Promise<Datagram | null> | null = null;
  while (got.length < n && Date.now() < deadline) {
    rx ??= sock.receive().catch(() => null);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const d = await Promise.race([
      rx,
      new Promise<"timeout">((r) => timer = setTimeout(() => r("timeout"), deadline - Date.now())),
    ]);
    clearTimeout(timer);
    if (d === "timeout") break;
    rx = null;
    if (d) got.push(d);
  }
  return { got, pending: rx };
}

Deno.test("one real UDP socket: DHT pings and nodes requests reach the DHT, STUN reaches STUN", async () => {
  const kp = nacl.keyPair();
  await using node = await RelayNode.start({ keyPair: kp, hostname: IP1, stun: {} });
  const client = await denoNetwork.bindDatagram({ hostname: IP1, port: 0 });
  try {
    const me = nacl.keyPair();
    const key = nacl.sharedKey(kp.publicKey, me.secretKey);
    const to = node.udpAddr;
    const N = 6;
    for (let i = 0; i < N; i++) {
      const nonce = new Uint8Array(24).fill(i);
      const pingId = new Uint8Array(8).fill(i + 1);
      await client.send(
        sealDhtPacket({ type: "pingRequest", pingId }, me.publicKey, key, nonce),
        to,
      );
      await client.send(
        sealDhtPacket(
          { type: "nodesRequest", target: me.publicKey, pingId },
          me.publicKey,
          key,
          nonce,
        ),
        to,
      );
      await client.send(bindingRequest(i), to);
      await client.send(bindingRequest(i, true), to);
    }
    // Every ping gets a ping response (0x01); the nodes requests may go unanswered (empty
    // close list) but are counted; every STUN request gets a STUN answer.
    const { got, pending } = await collect(client, 100, 1500);
    const stun = got.filter((d) => d.data[0] === 0x01 && d.data.length !== 82);
    const pings = got.filter((d) => d.data[0] === 0x01 && d.data.length === 82);
    assert.equal(stun.length, 2 * N);
    assert.equal(pings.length, N);
    for (const d of stun) {
      const m = decodeStun(d.data, { legacy: true });
      assert.equal(m.class, "success");
      const mapped = findAttribute(m, "xorMappedAddress")?.addr ??
        findAttribute(m, "mappedAddress")?.addr;
      assert.deepEqual(mapped, client.localAddr);
    }
    const dht = node.dht.node.stats;
    assert.equal(dht.pingRequests, N);
    assert.equal(dht.nodesRequests, N);
    assert.equal(dht.dropMalformed, 0);
    const s = node.stun!.stats();
    assert.equal(s.answered, 2 * N);
    assert.equal(s.malformed + s.ignored, 0);
    assert.equal(node.dht.host.table.stats.matched.get("stun"), 2 * N);
    const m = node.metrics();
    assert.match(m, new RegExp(`peerkit_stun_answered_total ${2 * N}\\n`));
    assert.match(m, /peerkit_stun_rate_limited_total 0\n/);
    client.close();
    await pending;
  } finally {
    client.close();
  }
});

Deno.test("relay node with a STUN alternate: RFC 5780 discovery through the DHT's port", async () => {
  const [p, a] = await freePortPair();
  await using node = await RelayNode.start({
    keyPair: nacl.keyPair(),
    hostname: IP1,
    udpPort: p,
    stun: { alternate: { hostname: IP2, port: a } },
  });
  assert.equal(node.stun!.addresses.length, 4);
  const r = await discoverNat({
    servers: [node.udpAddr],
    bind: { hostname: IP1, port: 0 },
    rto: 100,
    attempts: 3,
  });
  assert.deepEqual(r.servers[0]?.other, { hostname: IP2, port: a });
  assert.equal(r.mapping, "endpoint-independent");
  assert.equal(r.filtering, "endpoint-independent");
  assert.equal(r.hairpinning, "yes");
  assert.equal(node.dht.node.stats.dropMalformed, 0);
});

Deno.test("STUN on a host: a rate-limited source is counted, and close() unregisters", async () => {
  await using host = new UdpHost({
    socket: await denoNetwork.bindDatagram({ hostname: IP1, port: 0 }),
  });
  const stun = await serveStunOnHost(host, { rate: { perSecond: 1, burst: 2 } });
  host.start();
  const client = await denoNetwork.bindDatagram({ hostname: IP1, port: 0 });
  try {
    for (let i = 0; i < 5; i++) await client.send(bindingRequest(i), host.localAddr);
    const { got, pending } = await collect(client, 5, 500);
    assert.equal(got.length, 2);
    assert.equal(stun.stats().rateLimited, 3);
    await stun.close();
    await client.send(bindingRequest(9), host.localAddr);
    await new Promise((r) => setTimeout(r, 200));
    // No layer claims it any more: the host counts it as an unknown kind.
    assert.equal(host.table.stats.unknown, 1);
    assert.equal(stun.responder.stats.answered, 2);
    client.close();
    await pending;
  } finally {
    client.close();
    await stun.close();
  }
});

Deno.test("regression: a responder on a wildcard socket sends no RESPONSE-ORIGIN or SOURCE-ADDRESS of [::]", () => {
  const r = new StunResponder({ primary: { hostname: "::", port: 33445 } });
  const from = { hostname: "127.0.0.1", port: 4000 };
  const at = { hostname: "::", port: 33445 };
  const modern = decodeStun(r.handleDatagram(from, bindingRequest(0), 0, at)!.data);
  assert.deepEqual(findAttribute(modern, "xorMappedAddress")?.addr, from);
  assert.equal(findAttribute(modern, "responseOrigin"), undefined);
  const old = decodeStun(r.handleDatagram(from, bindingRequest(1, true), 0, at)!.data, {
    legacy: true,
  });
  assert.deepEqual(findAttribute(old, "mappedAddress")?.addr, from);
  assert.equal(findAttribute(old, "sourceAddress"), undefined);
  // A specific address is still named.
  const named = new StunResponder({ primary: { hostname: "127.0.0.1", port: 33445 } });
  const m = decodeStun(named.handleDatagram(from, bindingRequest(2), 0)!.data);
  assert.deepEqual(findAttribute(m, "responseOrigin")?.addr, {
    hostname: "127.0.0.1",
    port: 33445,
  });
});

Deno.test("fuzz: bit-flipped and truncated STUN and DHT datagrams through the relay node's table never throw", async () => {
  const kp = nacl.keyPair();
  await using node = await RelayNode.start({ keyPair: kp, hostname: IP1, stun: {} });
  const me = nacl.keyPair();
  const key = nacl.sharedKey(kp.publicKey, me.secretKey);
  const seeds = [
    bindingRequest(0),
    bindingRequest(1),
    bindingRequest(2, true),
    sealDhtPacket(
      { type: "pingRequest", pingId: new Uint8Array(8) },
      me.publicKey,
      key,
      new Uint8Array(24),
    ),
  ];
  const table = node.dht.host.table;
  const from = { hostname: "127.0.0.2", port: 9 };
  let rnd = 12345;
  const next = () => (rnd = (rnd * 1103515245 + 12345) >>> 0) / 2 ** 32;
  for (let i = 0; i < 3000; i++) {
    const s = seeds[i % seeds.length]!;
    const b = s.slice(0, i % 5 === 0 ? Math.floor(next() * s.length) : s.length);
    for (let k = 0; k < 1 + (i % 3); k++) {
      if (b.length > 0) b[Math.floor(next() * b.length)]! ^= 1 << Math.floor(next() * 8);
    }
    table.dispatch(b, from, i);
  }
  assert.equal(table.errorCount(), 0);
  assert.equal(table.stats.matcherErrors, 0);
  const s = node.stun!.stats();
  assert.ok(s.answered + s.rateLimited + s.malformed + s.ignored + s.errors > 0);
  await new Promise((r) => setTimeout(r, 50)); // let the replies to 127.0.0.2:9 go out
});

Deno.test("regression: RFC 3489 answers carry no SOFTWARE (stun 0.97 rejects unpadded text)", () => {
  const r = new StunResponder({ primary: { hostname: "::", port: 33445 } });
  const from = { hostname: "127.0.0.1", port: 4000 };
  // A 28-byte legacy request leaves room for SOFTWARE once SOURCE-ADDRESS is left out.
  const req = bindingRequest(3, true);
  const m = decodeStun(r.handleDatagram(from, req, 0, { hostname: "::", port: 33445 })!.data, {
    legacy: true,
  });
  assert.equal(findAttribute(m, "software"), undefined);
  const modern = new StunResponder({ primary: { hostname: "127.0.0.1", port: 3478 } });
  const big = encodeStun({
    class: "request",
    method: 1,
    transactionId: new Uint8Array(12).fill(7),
    attributes: [{ type: "software", text: "a client with a long name" }],
    fingerprint: true,
  });
  const a = decodeStun(modern.handleDatagram(from, big, 0)!.data);
  assert.equal(findAttribute(a, "software")?.text, "peerkit");
});

Deno.test("regression: a STUN handler that fails after the table's guard is counted, not an unhandled rejection", async () => {
  await using host = new UdpHost({
    socket: await denoNetwork.bindDatagram({ hostname: IP1, port: 0 }),
  });
  await using stun = await serveStunOnHost(host);
  stun.responder.handleDatagram = () => {
    throw new TypeError("a bug in the responder");
  };
  host.start();
  const client = await denoNetwork.bindDatagram({ hostname: IP1, port: 0 });
  try {
    await client.send(bindingRequest(0), host.localAddr);
    for (let i = 0; i < 100 && stun.stats().failures === 0; i++) {
      await new Promise((r) => setTimeout(r, 5));
    }
    assert.equal(stun.stats().failures, 1);
    assert.equal(host.table.stats.matched.get("stun"), 1);
  } finally {
    client.close();
  }
});
