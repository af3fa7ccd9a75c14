import assert from "node:assert/strict";
import { bindLinuxUdp, UdpSendError } from "../../lib/net/udp_linux.ts";
import { ClosedError } from "../../lib/net/types.ts";
import { CI } from "../_support/env.ts";

// The batched socket needs Linux and FFI; elsewhere (or without --allow-ffi) bindLinuxUdp
// returns undefined and callers use Deno's socket. Under CI it must be there.
const probe = bindLinuxUdp({ hostname: "127.0.0.1", port: 0 });
await probe?.[Symbol.asyncDispose]();
const ignore = !probe && !CI;

Deno.test({
  name: "bindLinuxUdp(): 300 datagrams each way arrive intact, with the sender's address",
  ignore,
  fn: async () => {
    await using a = bindLinuxUdp({ hostname: "127.0.0.1", port: 0 })!;
    await using b = bindLinuxUdp({ hostname: "127.0.0.1", port: 0 })!;
    const sends: Promise<void>[] = [];
    for (let i = 0; i < 300; i++) {
      sends.push(a.send(new Uint8Array([i & 255, i >> 8, 7, 7, 7]), b.localAddr));
    }
    await Promise.all(sends);
    const got = new Set<number>();
    for (let i = 0; i < 300; i++) {
      const d = await b.receive();
      assert.equal(d.data.length, 5);
      assert.deepEqual(d.from, a.localAddr);
      got.add(d.data[0]! | d.data[1]! << 8);
      await b.send(d.data, d.from);
    }
    assert.equal(got.size, 300);
    for (let i = 0; i < 300; i++) assert.equal((await a.receive()).data[2], 7);
  },
});

Deno.test({
  name: "bindLinuxUdp(): a send the system refuses rejects with its reason",
  ignore,
  fn: async () => {
    await using a = bindLinuxUdp({ hostname: "127.0.0.1", port: 0 })!;
    const e = await a.send(new Uint8Array([1]), { hostname: "::1", port: 9 }).catch((e) => e);
    assert.ok(e instanceof UdpSendError);
    assert.ok(/family|invalid/.test(e.reason), e.reason);
    const bad = await a.send(new Uint8Array([1]), { hostname: "nowhere", port: 9 }).catch((e) => e);
    assert.equal(bad.reason, "invalid address");
    const big = await a.send(new Uint8Array(5000), a.localAddr).catch((e) => e);
    assert.equal(big.reason, "message too long");
  },
});

Deno.test({
  name: "bindLinuxUdp(): an oversized datagram is dropped and the next one still arrives",
  ignore,
  fn: async () => {
    await using a = bindLinuxUdp({ hostname: "127.0.0.1", port: 0 })!;
    const plain = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
    try {
      const to = { transport: "udp" as const, hostname: "127.0.0.1", port: a.localAddr.port };
      await plain.send(new Uint8Array(6000), to);
      await plain.send(new Uint8Array([9]), to);
      const d = await a.receive();
      assert.deepEqual([...d.data], [9]);
    } finally {
      plain.close();
    }
  },
});

Deno.test({
  name: "bindLinuxUdp(): close() rejects a pending receive and disposal waits for the poll",
  ignore,
  fn: async () => {
    const a = bindLinuxUdp({ hostname: "127.0.0.1", port: 0 })!;
    const p = a.receive();
    const started = Date.now();
    a.close();
    await assert.rejects(p, ClosedError);
    await a[Symbol.asyncDispose]();
    assert.ok(Date.now() - started < 500);
    await assert.rejects(a.receive(), ClosedError);
    await assert.rejects(a.send(new Uint8Array([1]), a.localAddr), ClosedError);
  },
});

Deno.test({
  name: "bindLinuxUdp(): a taken port throws AddrInUse",
  ignore,
  fn: async () => {
    await using a = bindLinuxUdp({ hostname: "127.0.0.1", port: 0 })!;
    assert.throws(() => bindLinuxUdp(a.localAddr), Deno.errors.AddrInUse);
  },
});

Deno.test({
  name: "bindLinuxUdp(): a socket on :: talks to IPv4 peers (IPv4-mapped on the wire)",
  ignore,
  fn: async () => {
    await using dual = bindLinuxUdp({ hostname: "::", port: 0 })!;
    await using v4 = bindLinuxUdp({ hostname: "127.0.0.1", port: 0 })!;
    await dual.send(new Uint8Array([4]), v4.localAddr);
    const d = await v4.receive();
    assert.deepEqual([...d.data], [4]);
    await v4.send(new Uint8Array([6]), { hostname: "127.0.0.1", port: dual.localAddr.port });
    const back = await dual.receive();
    assert.deepEqual([...back.data], [6]);
    assert.equal(back.from.hostname, "::ffff:127.0.0.1");
  },
});
