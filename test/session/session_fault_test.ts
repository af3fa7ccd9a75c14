/**
 * Faults on real sockets (issue #10 item 4): 64 MiB arrives byte-exact (SHA-256) over a
 * direct UDP path with 5 % loss and reordering, over `relay serve` with UDP blocked, when
 * the relay in use is killed mid-transfer (SIGKILL) and another is linked, and across
 * relay → direct → relay path switches, each switch's delivery stall measured.
 *
 * Loss, reordering and blocking come from `_fault_shim.c`, a UDP relay process on
 * loopback that both peers' direct traffic goes through (the kernel has no netem). The
 * first three cases run at the same time (each has its own peers, shim and relays), so
 * the figures include the contention between them; each case prints one `fault:` line.
 * `FAULT_CASES=lossyDirect,pathSwitches` (names of the case functions) runs only those.
 * @module
 */
import assert from "node:assert/strict";
import { needs } from "../_support/env.ts";
import { spawnLoopbackRelay } from "../_support/relay_serve.ts";
import { startFaultShim } from "./_fault_shim.ts";
import { pattern } from "./_transfer.ts";
import {
  bulk,
  describe,
  type FaultPeer,
  faultPeer,
  src64,
  stallAround,
  until,
} from "./_fault_world.ts";

const MB = 1 << 20;
const rate = (bytes: number, ms: number) => (bytes / MB / (ms / 1000)).toFixed(1);
const at = (port: number) => ({ hostname: "127.0.0.1", port });

async function loopRelay() {
  const r = await spawnLoopbackRelay(["--rate", "0"]);
  return { r, ref: { port: r.tcpPort, key: r.publicKeyHex } };
}

/** Connects a to b through the shim (a talks to its port A, b to its port B). */
async function dialThrough(a: FaultPeer, b: FaultPeer, shim: { portA: number; portB: number }) {
  a.d.connect(b.d.host.publicKey, b.d.host.dhtPublicKey, { addr: at(shim.portA) });
  await a.d.waitEstablished(b.d.host.peer, 15_000);
  b.d.setDirect(a.d.host.peer, at(shim.portB));
}

async function lossyDirect(): Promise<void> {
  await using a = await faultPeer();
  await using b = await faultPeer();
  await using shim = await startFaultShim(a.udp.localAddr.port, b.udp.localAddr.port, 11);
  await shim.set({ drop: 5, delay: 3 });
  await dialThrough(a, b, shim);
  const src = src64(11);
  const r = await bulk(a, b, src, () => {}, 100_000);
  const s = await shim.stats();
  console.log(
    `fault: direct, 5 % loss, 0-3 ms reordering: 64 MiB in ${r.ms} ms ` +
      `(${rate(src.length, r.ms)} MiB/s), shim dropped ${s.dropped[0]} of ` +
      `${s.passed[0] + s.dropped[0]} a→b, ${s.dropped[1]} of ${s.passed[1] + s.dropped[1]} b→a`,
  );
  assert(
    r.exact,
    `lossy direct: byte-exact (${r.received} of ${src.length} bytes; ${describe(a, b)})`,
  );
  const sent = s.passed[0] + s.dropped[0];
  assert(s.dropped[0] > sent * 0.04 && s.dropped[0] < sent * 0.06, "about 5 % dropped");
  assert.equal(a.d.stats.relaySent, 0);
}

async function relayUdpBlocked(): Promise<void> {
  const { r, ref } = await loopRelay();
  await using _r = r;
  await using a = await faultPeer([ref]);
  await using b = await faultPeer([ref]);
  await using shim = await startFaultShim(a.udp.localAddr.port, b.udp.localAddr.port, 12);
  await shim.set({ drop: 100 });
  for (const p of [a, b]) await p.relay!.waitForRelays(1, 10_000);
  await dialThrough(a, b, shim);
  const src = src64(12);
  const res = await bulk(a, b, src, () => {}, 100_000);
  const s = await shim.stats();
  console.log(
    `fault: relay, UDP blocked: 64 MiB in ${res.ms} ms (${rate(src.length, res.ms)} MiB/s), ` +
      `routed ${a.path!.stats.routed}, UDP tried and dropped ${s.dropped[0]}+${s.dropped[1]}`,
  );
  assert(
    res.exact,
    `relay: byte-exact (${res.received} of ${src.length} bytes; ${describe(a, b)})`,
  );
  assert(s.dropped[0] > 0 && s.dropped[1] > 0, "both sides tried UDP");
  assert.equal(s.passed[0] + s.passed[1], 0, "no datagram got through");
  assert(a.path!.stats.routed > src.length / 1400, "the data went over the routed connection");
}

async function relayKilled(): Promise<void> {
  const [one, two] = await Promise.all([loopRelay(), loopRelay()]);
  await using _1 = one.r;
  await using _2 = two.r;
  await using a = await faultPeer([one.ref, two.ref]);
  await using b = await faultPeer([one.ref, two.ref]);
  for (const p of [a, b]) await p.relay!.waitForRelays(2, 10_000);
  a.d.connect(b.d.host.publicKey, b.d.host.dhtPublicKey);
  await a.d.waitEstablished(b.d.host.peer, 15_000);
  const routed = (p: FaultPeer) => p.relay!.relays().filter((l) => l.onlinePeers > 0).length;
  assert(await until(() => routed(a) === 2 && routed(b) === 2, 10_000), "routes on both relays");
  const src = src64(13);
  let killedAt = 0, killed = "";
  const res = await bulk(a, b, src, async (got) => {
    if (killedAt || got < src.length / 2) return;
    // The relay in use is the first with an online route (c-toxcore's rule, too).
    killed = a.relay!.relays().find((l) => l.onlinePeers > 0)!.publicKey.toLowerCase();
    const victim = [one, two].find((x) => x.ref.key.toLowerCase() === killed)!;
    killedAt = Date.now();
    await victim.r.process.stop("SIGKILL");
  }, 100_000);
  const stall = stallAround(res.times, killedAt, 10_000);
  console.log(
    `fault: relay in use SIGKILLed at 32 MiB: 64 MiB in ${res.ms} ms ` +
      `(${rate(src.length, res.ms)} MiB/s), longest delivery gap after the kill ${stall} ms`,
  );
  assert(
    res.exact,
    `relay killed: byte-exact (${res.received} of ${src.length} bytes; ${describe(a, b)})`,
  );
  assert(killedAt > 0, "a relay was killed mid-transfer");
  const left = a.relay!.relays();
  assert.notEqual(left.find((l) => l.publicKey.toLowerCase() === killed)?.state, "ready");
  assert(left.some((l) => l.onlinePeers > 0), "the route moved to the other relay");
  assert(stall < 5000, `relay killed: stall ${stall} ms`);
}

async function pathSwitches(): Promise<void> {
  const { r, ref } = await loopRelay();
  await using _r = r;
  await using a = await faultPeer([ref]);
  await using b = await faultPeer([ref]);
  await using shim = await startFaultShim(a.udp.localAddr.port, b.udp.localAddr.port, 14);
  await shim.set({ drop: 100 });
  for (const p of [a, b]) await p.relay!.waitForRelays(1, 10_000);
  await dialThrough(a, b, shim);
  await a.relay!.waitForPeer(b.d.host.dhtPublicKey, 10_000);
  const toB = b.d.host.peer, toA = a.d.host.peer;
  // 128 MiB: the relay phase runs near the relay link's rate now, and 64 MiB could be
  // through before the probes confirm the direct path (up to 4 s) and its 2 s fresh.
  const src = pattern(128 << 20, 14);
  const t = { open: 0, direct: 0, block: 0, slept: false, routeWhileSlept: true, relayAtBlock: 0 };
  const res = await bulk(a, b, src, async (got) => {
    const now = Date.now();
    if (!t.open && got >= src.length / 8) {
      t.open = now; // UDP opens: the probes confirm the direct path
      await shim.set({ drop: 0 });
    } else if (t.open && !t.direct && a.d.directUp(toB) && b.d.directUp(toA)) {
      t.direct = now;
    } else if (t.direct && !t.block) {
      if (!t.slept && !a.d.relayAwake(toB) && !b.d.relayAwake(toA)) {
        t.slept = true;
        t.routeWhileSlept = a.relay!.isOnline(b.d.host.dhtPublicKey);
      }
      if (got >= src.length * 5 / 8 && (t.slept || now - t.direct > 6000)) {
        t.block = now; // UDP blocked again: back to the relay
        t.relayAtBlock = a.d.stats.relaySent;
        await shim.set({ drop: 100 });
      }
    }
  }, 100_000);
  const toDirect = stallAround(res.times, t.open, t.direct - t.open + 2000, t.block);
  const toRelay = stallAround(res.times, t.block, 10_000);
  console.log(
    `fault: path switches: ${src.length / MB} MiB in ${res.ms} ms (${
      rate(src.length, res.ms)
    } MiB/s); ` +
      `direct confirmed ${t.direct - t.open} ms after UDP opened; longest delivery gap ` +
      `relay→direct ${toDirect} ms, direct→relay ${toRelay} ms; relay route dropped ` +
      `${a.d.stats.relaySleeps}×, asked again ${a.d.stats.relayWakes}×, flight resent ${a.d.stats.flightResends}×, ` +
      `held ${a.d.stats.held}, no path ${a.d.stats.noPath}`,
  );
  assert(
    res.exact,
    `switches: byte-exact (${res.received} of ${src.length} bytes; ${describe(a, b)})`,
  );
  assert(t.direct > 0 && t.block > 0, "both switches happened mid-transfer");
  assert(t.slept, "the relay route was dropped while the direct path was up");
  assert(!t.routeWhileSlept, "the relay client had no route to the peer then");
  assert(a.d.stats.pathSwitches >= 2, "a's data moved to the direct path and back");
  assert(a.d.stats.relayWakes >= 1, "and asked for again when it went quiet");
  assert(a.d.stats.flightResends >= 1, "the flight went again by the relay at the switch");
  assert(a.d.stats.relaySent - t.relayAtBlock > 1000, "the last part went by the relay");
  // Alone a switch stalls 0.1-0.95 s here (the target is 1 s); the bound leaves room for
  // the other cases beside it and a loaded machine, and still catches the old multi-second
  // stalls of a flight full of refused datagrams.
  assert(toDirect < 2500 && toRelay < 2500, `switch stalls ${toDirect} / ${toRelay} ms`);
}

Deno.test({
  name: "faults: 64 MiB byte-exact with 5 % loss, over the relay with UDP blocked, " +
    "across a relay killed, and 128 MiB across relay → direct → relay (in parallel)",
  ...needs(["gcc"]),
  async fn() {
    const all = [lossyDirect, relayUdpBlocked, relayKilled, pathSwitches];
    const only = Deno.env.get("FAULT_CASES")?.split(",");
    const cases = only ? all.filter((c) => only.includes(c.name)) : all;
    const done = await Promise.allSettled(cases.map((c) => c()));
    const failed = done.flatMap((d, i) =>
      d.status === "rejected" ? [`${cases[i]!.name}: ${d.reason?.message ?? d.reason}`] : []
    );
    assert.deepEqual(failed, []);
  },
});
