/**
 * One transport conformance suite, run against every {@link Network} implementation.
 * @module
 */
import assert from "node:assert/strict";
import { ClosedError, type Network } from "../../lib/net/mod.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);
const HOST = "127.0.0.1";

async function readExactly(s: { read(b: Uint8Array): Promise<number | null> }, n: number) {
  const out = new Uint8Array(n);
  let off = 0;
  while (off < n) {
    const buf = new Uint8Array(n - off);
    const got = await s.read(buf);
    if (got === null) throw new Error("unexpected end of stream");
    out.set(buf.subarray(0, got), off);
    off += got;
  }
  return out;
}

/** Registers the conformance tests for `name`; `make` returns a fresh network. */
export function transportConformance(name: string, make: () => Network): void {
  Deno.test(`${name}: a datagram arrives with its sender's address`, async () => {
    const net = make();
    await using a = await net.bindDatagram({ hostname: HOST, port: 0 });
    await using b = await net.bindDatagram({ hostname: HOST, port: 0 });
    assert.ok(a.localAddr.port > 0);
    await a.send(enc("ping"), b.localAddr);
    const d = await b.receive();
    assert.equal(dec(d.data), "ping");
    assert.deepEqual(d.from, a.localAddr);
    await b.send(enc("pong"), d.from);
    assert.equal(dec((await a.receive()).data), "pong");
  });

  Deno.test(`${name}: datagrams keep their boundaries`, async () => {
    const net = make();
    await using a = await net.bindDatagram({ hostname: HOST, port: 0 });
    await using b = await net.bindDatagram({ hostname: HOST, port: 0 });
    await a.send(new Uint8Array(100).fill(1), b.localAddr);
    await a.send(new Uint8Array(3).fill(2), b.localAddr);
    const lengths = [(await b.receive()).data.length, (await b.receive()).data.length].sort();
    assert.deepEqual(lengths, [100, 3].sort());
  });

  Deno.test(`${name}: receive rejects with ClosedError after close`, async () => {
    const net = make();
    const a = await net.bindDatagram({ hostname: HOST, port: 0 });
    const pending = a.receive();
    a.close();
    await assert.rejects(pending, ClosedError);
    await assert.rejects(a.receive(), ClosedError);
    a.close(); // idempotent
  });

  Deno.test(`${name}: a stream carries bytes both ways in order and ends cleanly`, async () => {
    const net = make();
    await using l = await net.listen({ hostname: HOST, port: 0 });
    const accepted = l.accept();
    await using c = await net.connect(l.addr);
    await using s = await accepted;
    assert.deepEqual(c.remoteAddr, l.addr);
    const payload = new Uint8Array(70_000).map((_, i) => i % 251);
    await c.write(payload.subarray(0, 30_000));
    await c.write(payload.subarray(30_000));
    assert.deepEqual(await readExactly(s, payload.length), payload);
    await s.write(enc("ok"));
    assert.equal(dec(await readExactly(c, 2)), "ok");
    c.close();
    assert.equal(await s.read(new Uint8Array(8)), null);
  });

  Deno.test(`${name}: connecting where nobody listens fails`, async () => {
    const net = make();
    const l = await net.listen({ hostname: HOST, port: 0 });
    const addr = l.addr;
    l.close();
    await assert.rejects(net.connect(addr));
  });

  Deno.test(`${name}: accept rejects with ClosedError after the listener closes`, async () => {
    const net = make();
    const l = await net.listen({ hostname: HOST, port: 0 });
    const pending = l.accept();
    l.close();
    await assert.rejects(pending, ClosedError);
  });
}
