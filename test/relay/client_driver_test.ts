import assert from "node:assert/strict";
import { backend } from "../../lib/crypto/mod.ts";
import type { Addr } from "../../lib/net/addr.ts";
import { VirtualClock } from "../../lib/net/clock.ts";
import { MemoryNetwork } from "../../lib/net/memory.ts";
import type { Network } from "../../lib/net/types.ts";
import { RelayClient, RelayServerDriver } from "../../lib/relay/mod.ts";
import { toHex } from "../../lib/util/bytes.ts";

const enc = new TextEncoder(), dec = new TextDecoder();
const RELAY = { hostname: "10.0.0.1", ports: [33445] };

/** Lets the promise chains settle, then fires virtual timers up to `ms` ahead (bounded). */
async function run(clock: VirtualClock, ms: number): Promise<void> {
  const end = clock.now() + ms;
  for (let i = 0; i < 10_000; i++) {
    await new Promise((r) => setTimeout(r, 0));
    const next = clock.nextAt();
    if (next === undefined || next > end) break;
    clock.runUntil(next);
  }
  clock.runUntil(end);
  await new Promise((r) => setTimeout(r, 0));
}

/** A memory network that records when each connect happened. */
function recording(net: MemoryNetwork, clock: VirtualClock) {
  const connects: number[] = [];
  const network: Network = {
    bindDatagram: (a) => net.bindDatagram(a),
    listen: (a) => net.listen(a),
    connect: (a: Addr) => {
      connects.push(clock.now());
      return net.connect(a);
    },
  };
  return { network, connects };
}

async function world() {
  const clock = new VirtualClock(1_000_000);
  const net = new MemoryNetwork({ clock });
  const { network, connects } = recording(net, clock);
  const kp = backend().keyPair();
  const relay = await RelayServerDriver.listen({ keyPair: kp, network: net, clock, ...RELAY });
  const client = () => new RelayClient({ keyPair: backend().keyPair(), network, clock });
  return { clock, net, kp, relay, client, connects };
}

Deno.test("RelayClient on the memory network: several consumers share a link; a throwing one is isolated", async () => {
  const w = await world();
  await using relay = w.relay;
  await using a = w.client();
  await using b = w.client();
  const seen: string[] = [];
  a.onData = (_p, d) => void seen.push(`slot:${dec.decode(d)}`);
  const off = a.on("data", (_p, d) => void seen.push(`punch:${dec.decode(d)}`));
  a.on("data", () => {
    throw new Error("a broken consumer");
  });
  a.onPeerData(b.publicKey, (d) => void seen.push(`session:${dec.decode(d)}`));
  a.onPeerData(backend().keyPair().publicKey, () => void seen.push("wrong peer"));
  const oob: string[] = [];
  for (const name of ["onion", "punch"]) {
    a.on(
      "oob",
      (s, d) => void oob.push(`${name}:${toHex(s) === toHex(b.publicKey)}:${dec.decode(d)}`),
    );
  }
  for (const c of [a, b]) c.addRelay(relay.addrs[0]!, w.kp.publicKey);
  await run(w.clock, 100);
  assert.equal(b.sendOob(a.publicKey, enc.encode("knock")), 1);
  await run(w.clock, 100);
  assert.deepEqual(oob, ["onion:true:knock", "punch:true:knock"]);
  a.addPeer(b.publicKey);
  b.addPeer(a.publicKey);
  await run(w.clock, 100);
  assert.ok(b.isOnline(a.publicKey));
  assert.ok(b.send(a.publicKey, enc.encode("1")));
  await run(w.clock, 100);
  off();
  assert.ok(b.send(a.publicKey, enc.encode("2")));
  await run(w.clock, 100);
  assert.deepEqual(seen, ["session:1", "slot:1", "punch:1", "session:2", "slot:2"]);
  assert.equal(a.stats().listenerErrors, 2);
  assert.equal(w.clock.now(), 1_000_500); // virtual time only
});

Deno.test("RelayClient on the memory network: re-dials a dead relay at 0.5, 1, 2 s and restores the route", async () => {
  const w = await world();
  await using a = w.client();
  await using b = w.client();
  const addr = w.relay.addrs[0]!;
  const events: string[] = [];
  a.on("peer", (_p, online) => void events.push(online ? "online" : "offline"));
  a.on("relay", (_r, up, reason) => void events.push(up ? "up" : `down:${reason}`));
  for (const c of [a, b]) c.addRelay(addr, w.kp.publicKey);
  a.addPeer(b.publicKey);
  b.addPeer(a.publicKey);
  await run(w.clock, 100);
  assert.ok(a.isOnline(b.publicKey));
  await w.relay.close();
  const lost = w.clock.now();
  await run(w.clock, 3600);
  const aDials = w.connects.filter((t) => t > lost);
  // Two clients re-dial on the same schedule.
  assert.deepEqual([...new Set(aDials.map((t) => t - lost))], [500, 1500, 3500]);
  await using relay2 = await RelayServerDriver.listen({
    keyPair: w.kp,
    network: w.net,
    clock: w.clock,
    ...RELAY,
  });
  await run(w.clock, 4100);
  assert.ok(a.isOnline(b.publicKey));
  assert.ok(a.send(b.publicKey, enc.encode("back")));
  assert.deepEqual(events, ["up", "online", "offline", "down:connection closed", "up", "online"]);
  assert.equal(relay2.core.stats().onlineRoutes, 2);
});

Deno.test("RelayClient on the memory network: a peer survives the loss of one of two relays", async () => {
  const w = await world();
  await using r1 = w.relay;
  await using r2 = await RelayServerDriver.listen({
    keyPair: backend().keyPair(),
    network: w.net,
    clock: w.clock,
    hostname: "10.0.0.2",
    ports: [33445],
  });
  await using a = w.client();
  await using b = w.client();
  const got: string[] = [];
  b.onPeerData(a.publicKey, (d) => void got.push(dec.decode(d)));
  const peerEvents: boolean[] = [];
  a.on("peer", (_p, online) => void peerEvents.push(online));
  for (const c of [a, b]) {
    c.addRelay(r1.addrs[0]!, r1.core.publicKey);
    c.addRelay(r2.addrs[0]!, r2.core.publicKey);
  }
  a.addPeer(b.publicKey);
  b.addPeer(a.publicKey);
  await run(w.clock, 100);
  assert.deepEqual(a.relays().map((r) => r.onlinePeers), [1, 1]);
  await r1.close();
  await run(w.clock, 100);
  assert.deepEqual(a.relays().map((r) => r.state), ["down", "ready"]);
  assert.ok(a.isOnline(b.publicKey));
  assert.deepEqual(peerEvents, [true]);
  assert.ok(a.send(b.publicKey, enc.encode("after failover")));
  await run(w.clock, 100);
  assert.deepEqual(got, ["after failover"]);
  assert.equal(r2.core.stats().packetsRelayed, 1);
});
