import assert from "node:assert/strict";
import {
  type Addr,
  formatAddr,
  MemoryNetwork,
  Nat,
  type NatPreset,
  parseAddr,
  VirtualClock,
} from "../../lib/net/mod.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);
const RENDEZVOUS = { hostname: "203.0.113.10", port: 3478 };

/**
 * Naive simultaneous punching, as in the lab's probe: both hosts register with a rendezvous
 * server, which tells each the other's public endpoint at the same instant; each then sends
 * a punch every 100 ms for 3 s, and answers any punch at the address it came from. Returns
 * whether both hosts heard the other directly.
 */
function punch(a: NatPreset, b: NatPreset, seed = 1): boolean {
  const clock = new VirtualClock();
  const net = new MemoryNetwork({ clock, latencyMs: 10 });
  const seen: Addr[] = [];
  const rv = net.attach(RENDEZVOUS, (_d, from) => {
    seen.push(from);
    if (seen.length < 2) return;
    rv.send(enc(formatAddr(seen[1]!)), seen[0]!);
    rv.send(enc(formatAddr(seen[0]!)), seen[1]!);
  });
  const natA = new Nat(net, { publicIp: "203.0.113.1", preset: a, seed });
  const natB = new Nat(net, { publicIp: "203.0.113.2", preset: b, seed: seed + 1 });
  const peerHeard = [false, false];
  const hosts = [natA, natB].map((nat, i) => {
    const ep = nat.attach({ hostname: `10.0.${i + 1}.2`, port: 33445 }, (d, from) => {
      const text = dec(d);
      if (from.hostname === RENDEZVOUS.hostname) {
        const peer = parseAddr(text);
        for (let k = 0; k < 30; k++) clock.setTimeout(() => ep.send(enc("punch"), peer), k * 100);
        return;
      }
      peerHeard[i] = true;
      if (text === "punch") ep.send(enc("ack"), from);
    });
    return ep;
  });
  for (const h of hosts) h.send(enc("register"), RENDEZVOUS);
  clock.advance(5_000);
  natA.close();
  natB.close();
  return peerHeard[0]! && peerHeard[1]!;
}

const PRESETS: NatPreset[] = ["full-cone", "restricted-cone", "port-restricted", "symmetric"];

Deno.test("punching: two hosts behind any two cone NATs get through by sending simultaneously", () => {
  const cones = PRESETS.filter((p) => p !== "symmetric");
  for (const a of cones) for (const b of cones) assert.ok(punch(a, b), `${a} x ${b}`);
});

Deno.test("punching: two symmetric NATs cannot punch", () => {
  assert.equal(punch("symmetric", "symmetric"), false);
});

Deno.test("punching: the whole matrix matches what the real-namespace lab measured", () => {
  // nat-lab.md: 13 of 16 pairs direct; port-restricted x symmetric and symmetric x symmetric fail.
  const fails = (a: NatPreset, b: NatPreset) =>
    (a === "symmetric" && b !== "full-cone" && b !== "restricted-cone") ||
    (b === "symmetric" && a !== "full-cone" && a !== "restricted-cone");
  const direct: string[] = [];
  for (const a of PRESETS) {
    for (const b of PRESETS) {
      assert.equal(punch(a, b), !fails(a, b), `${a} x ${b}`);
      if (!fails(a, b)) direct.push(`${a}/${b}`);
    }
  }
  assert.equal(direct.length, 13);
});

Deno.test("punching: a seeded run with symmetric NATs replays exactly", () => {
  const ports = (seed: number) => {
    const clock = new VirtualClock();
    const net = new MemoryNetwork({ clock });
    const nat = new Nat(net, { publicIp: "203.0.113.1", preset: "symmetric", seed });
    const got: string[] = [];
    for (let i = 0; i < 8; i++) {
      net.attach({ ...RENDEZVOUS, port: 4000 + i }, (_d, f) => got.push(formatAddr(f)));
    }
    const h = nat.attach({ hostname: "10.0.1.2", port: 1 }, () => {});
    for (let i = 0; i < 8; i++) h.send(enc("x"), { ...RENDEZVOUS, port: 4000 + i });
    clock.advance(1);
    return got.join();
  };
  assert.equal(ports(42), ports(42));
  assert.notEqual(ports(42), ports(43));
});

Deno.test("Nat is transparent to DatagramSocket users: the private socket sees public addresses", async () => {
  const clock = new VirtualClock();
  const net = new MemoryNetwork({ clock, latencyMs: 5 });
  const nat = new Nat(net, { publicIp: "203.0.113.1", preset: "symmetric" });
  await using server = await net.bindDatagram(RENDEZVOUS);
  await using client = await nat.bindDatagram({ hostname: "10.0.1.2", port: 0 });
  await client.send(enc("ping"), server.localAddr);
  clock.advance(5);
  const d = await server.receive();
  assert.equal(d.from.hostname, "203.0.113.1");
  await server.send(enc("pong"), d.from);
  clock.advance(5);
  const r = await client.receive();
  assert.equal(dec(r.data), "pong");
  assert.deepEqual(r.from, server.localAddr);
  nat.close();
});
