import assert from "node:assert/strict";
import { tweetnaclBackend as nacl } from "../../lib/crypto/backend.ts";
import { DhtDriver } from "../../lib/dht/driver.ts";
import { sealDhtPacket } from "../../lib/dht/wire.ts";
import type { Addr } from "../../lib/net/addr.ts";
import { MemoryNetwork } from "../../lib/net/memory.ts";
import { ClosedError, type Datagram, type DatagramSocket } from "../../lib/net/types.ts";
import { sendFailureReason, UdpHost } from "../../lib/node/host.ts";

const until = async (cond: () => boolean, ms = 3000) => {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
  return cond();
};

/** A socket fed by the test; its sends never complete, or fail with `sendError`. */
function fakeSocket(opts: { sendError?: Error } = {}) {
  const inbox: Datagram[] = [];
  let wake: (() => void) | undefined;
  let closed = false;
  const sent: { data: Uint8Array; to: Addr }[] = [];
  const socket: DatagramSocket = {
    localAddr: { hostname: "10.9.0.1", port: 33445 },
    send: (data, to) => {
      sent.push({ data, to });
      return opts.sendError ? Promise.reject(opts.sendError) : new Promise(() => {});
    },
    receive: async () => {
      while (inbox.length === 0) {
        if (closed) throw new ClosedError("datagram socket");
        await new Promise<void>((r) => wake = r);
      }
      return inbox.shift()!;
    },
    close: () => {
      closed = true;
      wake?.();
    },
    [Symbol.asyncDispose]: () => Promise.resolve(socket.close()),
  };
  const push = (d: Datagram) => {
    inbox.push(d);
    wake?.();
  };
  return { socket, sent, push };
}

function pingRequests(to: Uint8Array, n: number): Uint8Array[] {
  const me = nacl.keyPair();
  const key = nacl.sharedKey(to, me.secretKey);
  return Array.from({ length: n }, () =>
    sealDhtPacket(
      { type: "pingRequest", pingId: nacl.randomBytes(8) },
      me.publicKey,
      key,
      nacl.randomBytes(24),
    ));
}

Deno.test("regression: a throwing onOtherPacket is counted and the DHT keeps answering", async () => {
  const net = new MemoryNetwork();
  const mk = async (host: string, other?: (d: Uint8Array, f: Addr) => void) => {
    const socket = await net.bindDatagram({ hostname: host, port: 33445 });
    const d = new DhtDriver({
      socket,
      node: { keyPair: nacl.keyPair() },
      ...(other ? { onOtherPacket: other } : {}),
    });
    d.start();
    return d;
  };
  await using a = await mk("10.0.5.1");
  await using b = await mk("10.0.5.2", () => {
    throw new Error("a layer's bug");
  });
  for (let i = 0; i < 3; i++) a.send(new Uint8Array([0x83, i]), b.localAddr);
  assert.ok(await until(() => b.host.table.stats.errors.get(0x83) === 3));
  a.bootstrap(b.localAddr, b.node.publicKey);
  assert.ok(await until(() => a.node.closestNodes(b.node.publicKey, 1).length === 1));
});

Deno.test("regression: the DHT keeps reading while sends are still pending (no pause at 64)", async () => {
  const f = fakeSocket();
  await using d = new DhtDriver({ socket: f.socket, node: { keyPair: nacl.keyPair() } });
  d.start();
  const from = { hostname: "10.9.0.2", port: 1 };
  for (const p of pingRequests(d.node.publicKey, 200)) f.push({ data: p, from });
  assert.ok(await until(() => d.node.stats.pingRequests === 200), `${d.node.stats.pingRequests}`);
  assert.ok(f.sent.length >= 200); // 200 answers (plus a ping of the newcomer)
});

Deno.test("UdpHost sheds sends above maxInFlight and keeps reading", async () => {
  const f = fakeSocket();
  await using h = new UdpHost({ socket: f.socket, maxInFlight: 10 });
  let got = 0;
  h.table.register("echo", [0x42], (data, from) => {
    got++;
    h.send(data, from);
  });
  h.start();
  for (let i = 0; i < 50; i++) {
    f.push({ data: new Uint8Array([0x42, i]), from: { hostname: "10.9.0.3", port: 1 } });
  }
  assert.ok(await until(() => got === 50));
  assert.equal(f.sent.length, 10);
  assert.equal(h.sendsShed, 40);
});

Deno.test("a failed send records the system's reason, and a lookup result carries it", async () => {
  const f = fakeSocket({ sendError: new Error("Network is unreachable (os error 101)") });
  await using d = new DhtDriver({ socket: f.socket, node: { keyPair: nacl.keyPair() } });
  d.start();
  const far = { hostname: "192.0.2.7", port: 33445 };
  const r = await d.lookup(new Uint8Array(32).fill(7), {
    seeds: [{ publicKey: new Uint8Array(32).fill(8), addr: far }],
    timeoutMs: 300,
  });
  assert.deepEqual(r.sendErrors, { "192.0.2.7:33445": "network unreachable" });
  assert.equal(d.sendError(far), "network unreachable");
  assert.ok(d.sendErrors >= 1);
});

Deno.test("sendFailureReason() keeps a coded reason and shortens Deno's messages", () => {
  assert.equal(sendFailureReason({ reason: "permission denied" }), "permission denied");
  assert.equal(
    sendFailureReason(new Error("Permission denied (os error 13)")),
    "permission denied",
  );
  assert.equal(sendFailureReason("x".repeat(500)).length, 120);
  assert.equal(sendFailureReason(new Error("")), "send failed");
});

Deno.test("a bootstrap report says why a node could not be sent to", async () => {
  const { eventBridge, runBootstrap } = await import("../../commands/_dht.ts");
  const f = fakeSocket({ sendError: new Error("Permission denied (os error 13)") });
  const bridge = eventBridge();
  await using d = new DhtDriver({
    socket: f.socket,
    node: { keyPair: nacl.keyPair(), onEvent: bridge.emit },
  });
  d.start();
  const node = { publicKey: new Uint8Array(32).fill(4), addr: { hostname: "10.9.0.4", port: 1 } };
  const r = await runBootstrap(d, [node], bridge.target, { timeoutMs: 100 });
  assert.equal(r.nodes[0]?.answered, false);
  assert.equal(r.nodes[0]?.sendError, "permission denied");
});

Deno.test("truncated and bit-flipped datagrams through the host never stop the receive loop", async () => {
  const f = fakeSocket();
  await using d = new DhtDriver({ socket: f.socket, node: { keyPair: nacl.keyPair() } });
  d.start();
  const from = { hostname: "10.9.0.5", port: 1 };
  const good = pingRequests(d.node.publicKey, 1)[0]!;
  const n = 1500;
  for (let i = 0; i < n; i++) {
    const x = good.slice(0, i % (good.length + 1));
    if (x.length > 0) x[i % x.length] = x[i % x.length]! ^ (1 << (i % 8));
    f.push({ data: x, from });
  }
  f.push({ data: good, from });
  assert.ok(await until(() => d.host.received === n + 1));
  assert.equal(d.host.table.errorCount(), 0);
  assert.equal(d.node.stats.dropError, 0);
  assert.ok(d.node.stats.pingRequests >= 1);
});
