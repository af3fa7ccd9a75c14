/**
 * Concurrent clients and half-open handshakes, `peerkit relay serve` against tox-bootstrapd
 * 0.2.18 side by side: the relay process's resident memory idle, with N confirmed clients
 * (each holding a link and a ping round trip), and after H half-open handshakes (sockets
 * that sent 64 of the 128 handshake bytes), plus the time a new client then needs to link
 * up and reach a peer.
 *
 *     deno run -A bench/relay_clients.ts [clients=2000] [half-open=1000]
 *
 * @module
 */
import { backend, loadSodium, setBackend } from "../lib/crypto/mod.ts";
import { RelayClient } from "../lib/relay/mod.ts";
import { type BenchRelay, startPeerkitRelay, startToxRelay } from "./_relay_setup.ts";

const N = Number(Deno.args[0] ?? 2000);
const H = Number(Deno.args[1] ?? 1000);
setBackend(await loadSodium());
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function clients(r: BenchRelay): Promise<{ idle: number; held: number; ms: number }> {
  const addr = { hostname: "127.0.0.1", port: r.tcpPort };
  const idle = await r.rssKiB();
  const cs: RelayClient[] = [];
  const t0 = performance.now();
  try {
    for (let i = 0; i < N; i++) {
      const c = new RelayClient({ keyPair: backend().keyPair() });
      c.addRelay(addr, r.publicKey);
      cs.push(c);
      if (i % 100 === 99) await Promise.all(cs.slice(-100).map((c) => c.waitForRelays(1, 30_000)));
    }
    await Promise.all(cs.map((c) => c.waitForRelays(1, 30_000)));
    const ms = performance.now() - t0;
    // Every client still linked after they all joined: route the first and last to each other.
    const a = cs[0]!, b = cs[cs.length - 1]!;
    a.addPeer(b.publicKey);
    b.addPeer(a.publicKey);
    await a.waitForPeer(b.publicKey, 10_000);
    await sleep(1000);
    const held = await r.rssKiB();
    const ready = cs.filter((c) => c.relays()[0]?.state === "ready").length;
    if (ready !== N) throw new Error(`${r.name}: only ${ready} of ${N} clients linked`);
    return { idle, held, ms };
  } finally {
    await Promise.all(cs.map((c) => c.close()));
  }
}

async function halfOpen(r: BenchRelay): Promise<{ rss: number; joinMs: number }> {
  const conns: Deno.TcpConn[] = [];
  try {
    for (let i = 0; i < H; i++) {
      const c = await Deno.connect({ hostname: "127.0.0.1", port: r.tcpPort });
      await c.write(new Uint8Array(64));
      conns.push(c);
    }
    await sleep(500);
    const rss = await r.rssKiB();
    const t0 = performance.now();
    const addr = { hostname: "127.0.0.1", port: r.tcpPort };
    await using a = new RelayClient({ keyPair: backend().keyPair() });
    await using b = new RelayClient({ keyPair: backend().keyPair() });
    for (const c of [a, b]) c.addRelay(addr, r.publicKey);
    a.addPeer(b.publicKey);
    b.addPeer(a.publicKey);
    await a.waitForPeer(b.publicKey, 15_000);
    return { rss, joinMs: performance.now() - t0 };
  } finally {
    for (const c of conns) {
      try {
        c.close();
      } catch { /* closed by the relay */ }
    }
  }
}

for (const start of [() => startPeerkitRelay(["--max-per-ip", "0"]), startToxRelay]) {
  const r = await start();
  try {
    const c = await clients(r);
    console.log(
      `${r.name}: ${N} clients linked in ${(c.ms / 1000).toFixed(1)} s; relay RSS idle ${
        (c.idle / 1024).toFixed(1)
      } MiB, with ${N} clients ${(c.held / 1024).toFixed(1)} MiB (${
        ((c.held - c.idle) / N).toFixed(1)
      } KiB per client)`,
    );
    await sleep(1000);
    const h = await halfOpen(r);
    console.log(
      `${r.name}: with ${H} half-open handshakes RSS ${(h.rss / 1024).toFixed(1)} MiB; ` +
        `two new clients linked and routed in ${h.joinMs.toFixed(0)} ms`,
    );
  } finally {
    await r.stop();
  }
}
