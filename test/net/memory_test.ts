import assert from "node:assert/strict";
import { MemoryNetwork, VirtualClock } from "../../lib/net/mod.ts";

const A = { hostname: "10.0.0.1", port: 1000 };
const B = { hostname: "10.0.0.2", port: 2000 };

Deno.test("MemoryNetwork delivers after the configured latency in virtual time", () => {
  const clock = new VirtualClock();
  const net = new MemoryNetwork({ clock, latencyMs: 25 });
  const got: number[] = [];
  const a = net.attach(A, () => {});
  net.attach(B, () => got.push(clock.now()));
  a.send(new Uint8Array([1]), B);
  clock.advance(24);
  assert.deepEqual(got, []);
  clock.advance(1);
  assert.deepEqual(got, [25]);
});

Deno.test("MemoryNetwork loses about the configured share of datagrams", () => {
  const clock = new VirtualClock();
  let seed = 1;
  const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
  const net = new MemoryNetwork({ clock, loss: 0.3, random });
  let got = 0;
  const a = net.attach(A, () => {});
  net.attach(B, () => got++);
  for (let i = 0; i < 10_000; i++) a.send(new Uint8Array([1]), B);
  clock.advance(1);
  assert.equal(net.stats.sent, 10_000);
  assert.equal(net.stats.lost + got, 10_000);
  assert.ok(got > 6_700 && got < 7_300, `delivered ${got}`);
});

Deno.test("MemoryNetwork counts datagrams to an unbound address as unreachable", () => {
  const clock = new VirtualClock();
  const net = new MemoryNetwork({ clock });
  const a = net.attach(A, () => {});
  a.send(new Uint8Array([1]), B);
  clock.advance(1);
  assert.equal(net.stats.unreachable, 1);
});

Deno.test("MemoryNetwork refuses a second endpoint on the same address", () => {
  const net = new MemoryNetwork({ clock: new VirtualClock() });
  net.attach(A, () => {});
  assert.throws(() => net.attach(A, () => {}), /in use/);
});

Deno.test("MemoryNetwork: a detached endpoint receives nothing more", () => {
  const clock = new VirtualClock();
  const net = new MemoryNetwork({ clock });
  let got = 0;
  const a = net.attach(A, () => {});
  const b = net.attach(B, () => got++);
  a.send(new Uint8Array([1]), B);
  b.detach();
  clock.advance(1);
  assert.equal(got, 0);
});

Deno.test("MemoryNetwork: per-pair latency function applies to each datagram", () => {
  const clock = new VirtualClock();
  const net = new MemoryNetwork({ clock, latencyMs: (_f, to) => (to.port === 2000 ? 5 : 50) });
  const at: number[] = [];
  const a = net.attach(A, () => at.push(clock.now()));
  const b = net.attach(B, () => at.push(clock.now()));
  a.send(new Uint8Array([1]), B);
  b.send(new Uint8Array([1]), A);
  clock.advance(100);
  assert.deepEqual(at, [5, 50]);
});

Deno.test("MemoryNetwork copies datagrams so later sender writes do not leak", () => {
  const clock = new VirtualClock();
  const net = new MemoryNetwork({ clock });
  let got: Uint8Array | undefined;
  const a = net.attach(A, () => {});
  net.attach(B, (d) => got = d);
  const buf = new Uint8Array([7]);
  a.send(buf, B);
  buf[0] = 9;
  clock.advance(0);
  assert.equal(got?.[0], 7);
});

Deno.test("MemoryNetwork.bindDatagram on a taken address rejects instead of throwing", async () => {
  const net = new MemoryNetwork({ clock: new VirtualClock() });
  await using _a = await net.bindDatagram(A);
  const second = net.bindDatagram(A); // must not throw synchronously
  await assert.rejects(second, /in use/);
});
