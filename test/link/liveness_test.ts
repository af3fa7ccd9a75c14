/**
 * The link's liveness on virtual time over the in-memory network: a peer that vanishes
 * (its socket gone, no kill) ends the channel with `timeout` after 32 s of silence, and
 * alive packets keep an idle session open meanwhile.
 * @module
 */
import assert from "node:assert/strict";
import { backend } from "../../lib/crypto/mod.ts";
import { Link } from "../../lib/link/link.ts";
import { VirtualClock } from "../../lib/net/clock.ts";
import { MemoryNetwork } from "../../lib/net/memory.ts";

/** Advances virtual time in `step` ms steps, letting deliveries run between them. */
async function run(clock: VirtualClock, ms: number, stop: () => boolean = () => false, step = 200) {
  for (let t = 0; t < ms && !stop(); t += step) {
    clock.advance(step);
    for (let i = 0; i < 3; i++) await new Promise((r) => setTimeout(r, 0));
  }
}

Deno.test("Link: an idle session stays up on alive packets; a vanished peer ends it with timeout after 32 s", async () => {
  const clock = new VirtualClock(1_000_000);
  const net = new MemoryNetwork({ clock });
  const c = backend();
  const open = (host: string) =>
    Link.open({ keyPair: c.keyPair(), bind: { hostname: host, port: 1 }, network: net, clock });
  await using a = await open("10.0.0.1");
  await using b = await open("10.0.0.2");
  b.listen({ allow: [a.publicKey], onChannel: () => {} });
  let ch: Awaited<ReturnType<Link["dial"]>> | undefined;
  const dialing = a.dial({ peer: b.publicKey, addrs: [b.localAddr], timeoutMs: 5_000 })
    .then((x) => ch = x);
  await run(clock, 5_000, () => ch !== undefined, 20);
  await dialing;
  let ended: string | undefined;
  ch!.ended.then((e) => ended = e.reason);
  await run(clock, 60_000);
  assert.equal(ended, undefined, "a minute idle: still open (alive every 8 s)");
  await b.udp.close(); // b vanishes: no kill, no more packets
  const t0 = clock.now();
  await run(clock, 40_000, () => ended !== undefined);
  assert.equal(ended, "timeout");
  const after = clock.now() - t0;
  assert(after > 24_000 && after < 33_500, `ended ${after} ms after the peer vanished`);
});
