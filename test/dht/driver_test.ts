import assert from "node:assert/strict";
import { tweetnaclBackend as nacl } from "../../lib/crypto/backend.ts";
import { MemoryNetwork } from "../../lib/net/memory.ts";
import type { Addr } from "../../lib/net/addr.ts";
import { ClosedError, type DatagramSocket } from "../../lib/net/types.ts";
import { DhtDriver } from "../../lib/dht/driver.ts";

async function pair(net: MemoryNetwork, host: string, other?: (d: Uint8Array, f: Addr) => void) {
  const socket = await net.bindDatagram({ hostname: host, port: 33445 });
  const d = new DhtDriver({
    socket,
    node: { keyPair: nacl.keyPair() },
    ...(other ? { onOtherPacket: other } : {}),
  });
  d.start();
  return d;
}

const until = async (cond: () => boolean, ms = 3000) => {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
  return cond();
};

Deno.test("DhtDriver: bootstrap over a datagram socket, other kinds go to onOtherPacket", async () => {
  const net = new MemoryNetwork();
  const others: number[] = [];
  await using a = await pair(net, "10.0.0.1");
  await using b = await pair(net, "10.0.0.2", (d) => others.push(d[0]!));
  a.bootstrap(b.localAddr, b.node.publicKey);
  assert.ok(await until(() => a.node.closestNodes(b.node.publicKey, 1).length === 1));
  for (const kind of [0x18, 0x83, 0x90, 0x93, 0xf0]) {
    a.send(new Uint8Array([kind, 1, 2, 3]), b.localAddr);
  }
  assert.ok(await until(() => others.length === 5));
  assert.deepEqual(others, [0x18, 0x83, 0x90, 0x93, 0xf0]);
  assert.equal(b.node.stats.dropMalformed, 0);
});

Deno.test("DhtDriver.lookup() resolves with the target's address, and close() is clean", async () => {
  const net = new MemoryNetwork();
  const nodes: DhtDriver[] = [];
  try {
    for (let i = 1; i <= 6; i++) {
      const d = await pair(net, `10.0.1.${i}`);
      const prev = nodes.at(-1);
      if (prev) d.bootstrap(prev.localAddr, prev.node.publicKey);
      nodes.push(d);
    }
    await new Promise((r) => setTimeout(r, 2300)); // ping queues flush every 2 s
    const target = nodes[5]!;
    const r = await nodes[0]!.lookup(target.node.publicKey, { timeoutMs: 5000 });
    assert.ok(r.found, r.reason);
    assert.deepEqual(r.addr, target.localAddr);
    const ac = new AbortController();
    const p = nodes[0]!.lookup(new Uint8Array(32).fill(9), {
      signal: ac.signal,
      timeoutMs: 60_000,
    });
    ac.abort();
    // The first requests are still in flight when the signal fires: only the abort ends it.
    assert.equal((await p).reason, "cancelled");
  } finally {
    for (const d of nodes) await d.close();
  }
});

Deno.test("regression: the receive loop stops when its socket is closed under it", async () => {
  const net = new MemoryNetwork();
  const inner = await net.bindDatagram({ hostname: "10.0.2.1", port: 33445 });
  let receives = 0;
  let release: ((e: Error) => void) | undefined;
  const socket: DatagramSocket = {
    localAddr: inner.localAddr,
    [Symbol.asyncDispose]: () => Promise.resolve(socket.close()),
    send: (d, to) => inner.send(d, to),
    receive: () => {
      // Park after many calls so that a spinning loop shows as a count, not a hang.
      if (++receives > 100) return new Promise((_, reject) => release = reject);
      return inner.receive();
    },
    close: () => {
      inner.close();
      release?.(new ClosedError("datagram socket"));
    },
  };
  await using d = new DhtDriver({ socket, node: { keyPair: nacl.keyPair() } });
  d.start();
  inner.close(); // another layer closes the shared socket
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(receives, 1);
});

Deno.test("regression: a node given in uncompressed IPv6 form is heard (responses carry the short form)", async () => {
  const net = new MemoryNetwork();
  await using a = await pair(net, "fd00::1");
  await using b = await pair(net, "fd00::2");
  const longForm = { hostname: "fd00:0:0:0:0:0:0:2", port: b.localAddr.port };
  a.bootstrap(longForm, b.node.publicKey);
  assert.ok(await until(() => a.node.closestNodes(b.node.publicKey, 1).length === 1));
  const r = await a.lookup(b.node.publicKey, {
    seeds: [{ publicKey: b.node.publicKey, addr: longForm }],
    timeoutMs: 3000,
  });
  assert.equal(r.reason, "found");
  assert.deepEqual(r.addr, b.localAddr);
  assert.equal(a.node.stats.dropUnexpected, 0);
});

Deno.test("regression: a lookup given an already aborted signal ends at once as cancelled", async () => {
  const net = new MemoryNetwork();
  await using a = await pair(net, "10.0.3.1");
  const silent = { publicKey: new Uint8Array(32).fill(3), addr: { hostname: "10.0.3.9", port: 1 } };
  const started = Date.now();
  const r = await a.lookup(new Uint8Array(32).fill(9), {
    seeds: [silent],
    signal: AbortSignal.abort(),
    timeoutMs: 1500,
  });
  assert.equal(r.reason, "cancelled");
  assert.ok(Date.now() - started < 1000);
});

Deno.test("regression: a lookup with a signal and nobody to ask resolves as exhausted", async () => {
  const net = new MemoryNetwork();
  await using a = await pair(net, "10.0.4.1");
  const r = await a.lookup(new Uint8Array(32).fill(9), {
    signal: new AbortController().signal,
    timeoutMs: 1500,
  });
  assert.equal(r.reason, "exhausted");
  assert.equal(r.requests, 0);
});
