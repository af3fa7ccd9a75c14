/**
 * The session driver on real loopback sockets: direct UDP, through `peerkit relay serve`
 * with UDP unused, and a relay → direct switch in the middle of a transfer, each
 * byte-exact by SHA-256.
 * @module
 */
import assert from "node:assert/strict";
import { backend } from "../../lib/crypto/mod.ts";
import { sha256 } from "../../lib/crypto/hash.ts";
import { denoNetwork } from "../../lib/net/deno.ts";
import { UdpHost } from "../../lib/node/host.ts";
import { RelayClient } from "../../lib/relay/client_driver.ts";
import { SessionDriver } from "../../lib/session/driver.ts";
import { SessionHost } from "../../lib/session/host.ts";
import { RelayPath } from "../../lib/session/relay_path.ts";
import { fromHex, toHex } from "../../lib/util/bytes.ts";
import { spawnLoopbackRelay } from "../_support/relay_serve.ts";
import { sendChunks } from "./_fault_world.ts";
import { pattern } from "./_transfer.ts";

interface Peer extends AsyncDisposable {
  d: SessionDriver;
  udp: UdpHost;
  relay?: RelayClient;
  path?: RelayPath;
}

async function peer(o: { relay?: { port: number; key: string }; direct?: boolean }): Promise<Peer> {
  const c = backend();
  const selfDht = c.keyPair();
  const udp = new UdpHost({
    socket: await denoNetwork.bindDatagram({ hostname: "127.0.0.1", port: 0 }),
  });
  const host = new SessionHost({ crypto: c, self: c.keyPair(), selfDht, pacer: "lossTolerant" });
  let relay: RelayClient | undefined;
  let path: RelayPath | undefined;
  if (o.relay) {
    relay = new RelayClient({ keyPair: selfDht });
    relay.addRelay({ hostname: "127.0.0.1", port: o.relay.port }, fromHex(o.relay.key));
  }
  const d = new SessionDriver({
    udp,
    host,
    ...(relay ? { relay: path = new RelayPath(relay) } : {}),
    ...(o.direct === undefined ? {} : { direct: o.direct }),
  });
  return {
    d,
    udp,
    ...(relay ? { relay } : {}),
    ...(path ? { path } : {}),
    [Symbol.asyncDispose]: async () => {
      await d.close();
      await relay?.close();
      await udp.close();
    },
  };
}

async function until(ok: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!ok() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
}

/**
 * Sends `src` from a to b; `midway` runs once half of it has arrived. At most `ahead`
 * bytes are queued beyond what arrived, so a gate at the midway holds the rest back.
 */
async function transfer(
  a: Peer,
  b: Peer,
  src: Uint8Array,
  midway?: () => Promise<void> | void,
  maxMs = 60_000,
  ahead = Infinity,
): Promise<string> {
  const to = b.d.host.peer;
  const parts: Uint8Array[] = [];
  let got = 0, half = false;
  let gate: Promise<void> | undefined;
  const off = b.d.on((e) => {
    if (e.type !== "data" || e.data[0] !== 160) return;
    parts.push(e.data.slice(1));
    got += e.data.length - 1;
    if (!half && got >= src.length / 2) {
      half = true;
      gate = midway?.() ?? undefined;
    }
  });
  const deadline = Date.now() + maxMs;
  let at = 0;
  while (got < src.length && Date.now() < deadline) {
    if (gate) {
      await gate;
      gate = undefined;
    }
    at = sendChunks(a.d, to, src.subarray(0, Math.min(src.length, got + ahead)), at);
    await new Promise((r) => setTimeout(r, 2));
  }
  off();
  const out = new Uint8Array(got);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return toHex(sha256(out));
}

Deno.test("SessionDriver: 2 MiB over direct UDP on loopback, byte-exact", async () => {
  await using a = await peer({});
  await using b = await peer({});
  a.d.connect(b.d.host.publicKey, b.d.host.dhtPublicKey, { addr: b.udp.localAddr });
  await a.d.waitEstablished(b.d.host.peer, 10_000);
  const src = pattern(2 << 20, 1);
  assert.equal(await transfer(a, b, src), toHex(sha256(src)));
  assert.equal(a.d.stats.relaySent, 0);
  assert(b.d.directUp(a.d.host.peer), "b learned a's address from the handshake");
});

Deno.test("SessionDriver: 1 MiB through relay serve with UDP unused, byte-exact", async () => {
  await using r = await spawnLoopbackRelay(["--rate", "0"]);
  const relay = { port: r.tcpPort, key: r.publicKeyHex };
  await using a = await peer({ relay, direct: false });
  await using b = await peer({ relay, direct: false });
  await a.relay!.waitForRelays(1, 10_000);
  await b.relay!.waitForRelays(1, 10_000);
  a.d.connect(b.d.host.publicKey, b.d.host.dhtPublicKey);
  await a.d.waitEstablished(b.d.host.peer, 15_000);
  const src = pattern(1 << 20, 2);
  assert.equal(await transfer(a, b, src), toHex(sha256(src)));
  assert.equal(a.d.stats.udpSent + b.d.stats.udpSent, 0, "nothing went over UDP");
  assert(a.d.stats.relaySent > 700 && b.d.stats.relayReceived > 700);
  assert(a.path!.stats.oob >= 1, "the cookie request went out of band (no route yet)");
  assert(a.path!.stats.routed > 700, "the data went over the routed connection");
});

Deno.test("SessionDriver: relay → direct switch mid-transfer of 3 MiB loses and duplicates nothing", async () => {
  await using r = await spawnLoopbackRelay(["--rate", "0"]);
  const relay = { port: r.tcpPort, key: r.publicKeyHex };
  await using a = await peer({ relay });
  await using b = await peer({ relay });
  await a.relay!.waitForRelays(1, 10_000);
  await b.relay!.waitForRelays(1, 10_000);
  a.d.connect(b.d.host.publicKey, b.d.host.dhtPublicKey);
  await a.d.waitEstablished(b.d.host.peer, 15_000);
  await a.relay!.waitForPeer(b.d.host.dhtPublicKey, 10_000);
  const src = pattern(3 << 20, 3);
  let relayBefore = 0, udpBefore = 0;
  const hash = await transfer(
    a,
    b,
    src,
    () => {
      relayBefore = a.d.stats.relaySent;
      udpBefore = a.d.stats.udpSent;
      // Both learn the other's address (as from the DHT); c-toxcore, too, drops data
      // from an address it has not bound to the session.
      a.d.setDirect(b.d.host.peer, b.udp.localAddr);
      b.d.setDirect(a.d.host.peer, a.udp.localAddr);
      // Keep the sender's queue from refilling until the direct path is confirmed (the
      // probes go every 4 s), so the second half really crosses the switch.
      return until(() => a.d.directUp(b.d.host.peer), 15_000);
    },
    60_000,
    256 << 10,
  );
  assert.equal(hash, toHex(sha256(src)));
  assert(relayBefore > 500, `the first half went by the relay (${relayBefore})`);
  assert.equal(udpBefore, 0, "nothing went direct before the switch");
  assert(a.d.stats.udpSent > 0, "a sent direct after the switch");
  assert(b.d.stats.udpReceived > 0, "b received direct after the switch");
  assert(a.d.directUp(b.d.host.peer) && b.d.directUp(a.d.host.peer), "direct both ways");
  assert(a.d.stats.relaySent - relayBefore < relayBefore, "most of the second half went direct");
});

Deno.test("SessionDriver: direct path dies mid-transfer, the relay carries the rest (direct down after 8 s), byte-exact", async () => {
  await using r = await spawnLoopbackRelay(["--rate", "0"]);
  const relay = { port: r.tcpPort, key: r.publicKeyHex };
  await using a = await peer({ relay });
  await using b = await peer({ relay });
  await a.relay!.waitForRelays(1, 10_000);
  await b.relay!.waitForRelays(1, 10_000);
  a.d.connect(b.d.host.publicKey, b.d.host.dhtPublicKey, { addr: b.udp.localAddr });
  await a.d.waitEstablished(b.d.host.peer, 15_000);
  b.d.setDirect(a.d.host.peer, a.udp.localAddr);
  await until(() => a.d.directUp(b.d.host.peer), 5_000);
  assert(a.d.directUp(b.d.host.peer), "direct first");
  // A socket that is bound and never read: datagrams to it vanish, as on a dead path.
  await using dead = await denoNetwork.bindDatagram({ hostname: "127.0.0.1", port: 0 });
  const src = pattern(2 << 20, 4);
  let relayAtCut = 0;
  const hash = await transfer(a, b, src, () => {
    relayAtCut = a.d.stats.relaySent;
    a.d.setDirect(b.d.host.peer, dead.localAddr);
    b.d.setDirect(a.d.host.peer, dead.localAddr);
    return until(() => !a.d.directUp(b.d.host.peer) && !b.d.directUp(a.d.host.peer), 15_000);
  });
  assert.equal(hash, toHex(sha256(src)));
  assert(!a.d.directUp(b.d.host.peer), "the direct path is down");
  // How much of the second half was still to send at the cut depends on the pacer; what
  // was lost on the dead path, and what came after, went by the relay.
  const byRelay = a.d.stats.relaySent - relayAtCut;
  assert(byRelay > 0 && b.path!.stats.received > 0, `the rest went by the relay (${byRelay})`);
});
