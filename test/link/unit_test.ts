/**
 * The link's pure parts on virtual time: the path watch, the channel's backpressure and
 * close, and the byte stream fed whatever a peer may send (truncation / bit-flip fuzz).
 * @module
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { PACKET } from "../../lib/link/channel.ts";
import { PathWatch } from "../../lib/link/path_watch.ts";
import { type ChannelPort, LinkChannel } from "../../lib/link/peer_channel.ts";
import { VirtualClock } from "../../lib/net/clock.ts";
import { runStream } from "../../commands/_stream.ts";

Deno.test("PathWatch: relay, direct (route dropped), quiet direct back to relay (route re-added), lost", () => {
  const w = new PathWatch("ab", 100);
  const relay = { directUp: false, relayReady: true, relay: "10.0.0.1:33445" };
  assert.equal(w.update(100, { directUp: false, relayReady: false }).event, undefined);
  const r = w.update(200, relay);
  assert.deepEqual(r.event, {
    event: "path",
    peer: "AB",
    path: "relay",
    relay: "10.0.0.1:33445",
    why: "session carried by the relay",
    atMs: 100,
  });
  assert.equal(w.update(300, relay).event, undefined, "no change, no event");
  const d = w.update(400, { ...relay, directUp: true, remote: "10.0.0.2:5000" });
  assert.equal(d.event?.path, "direct");
  assert.equal(d.event?.remote, "10.0.0.2:5000");
  assert(d.dropRoute && !d.addRoute && w.routeDropped);
  assert(!w.update(500, { ...relay, directUp: true }).dropRoute, "dropped once");
  const back = w.update(9000, relay);
  assert.equal(back.event?.why, "direct path quiet for 8 s; back on the relay");
  assert(back.addRoute && !w.routeDropped);
  assert.equal(
    w.update(9100, { directUp: false, relayReady: false }).event?.why,
    "every path lost",
  );
  assert.deepEqual(w.used, ["relay", "direct", "relay"]);
});

/** A port whose session takes `room` messages until `free()` is called. */
function port(room: number) {
  const queued: Uint8Array[] = [];
  let kills = 0;
  const p: ChannelPort & { queued: Uint8Array[]; free(): void; kills(): number } = {
    queued,
    trySend: (m) => queued.length < room ? (queued.push(m), true) : false,
    idle: () => queued.length === 0,
    kill: () => void kills++,
    paths: () => ["relay"],
    free: () => void queued.splice(0),
    kills: () => kills,
  };
  return p;
}

Deno.test("LinkChannel: sends past a full ring wait, in order, and resolve once queued", async () => {
  const clock = new VirtualClock();
  const p = port(2);
  const ch = new LinkChannel("ab", p, clock);
  const order: number[] = [];
  const sends = [1, 2, 3, 4].map((i) =>
    ch.send(new Uint8Array([160, i])).then(() => order.push(i))
  );
  await Promise.resolve();
  await Promise.resolve();
  assert.deepEqual(order, [1, 2]);
  clock.advance(10);
  await Promise.resolve();
  assert.deepEqual(order, [1, 2], "still full: still waiting");
  p.free();
  clock.advance(10);
  await Promise.all(sends);
  assert.deepEqual(order, [1, 2, 3, 4]);
  assert.deepEqual(p.queued.map((m) => m[1]), [3, 4]);
});

Deno.test("LinkChannel: close sends the bye, waits for it to be acknowledged (at most 2 s), then kills", async () => {
  const clock = new VirtualClock();
  const p = port(10);
  const ch = new LinkChannel("ab", p, clock);
  const closing = ch.close("bye now");
  assert.equal(p.queued[0]![0], PACKET.BYE);
  assert.equal(new TextDecoder().decode(p.queued[0]!.subarray(1)), "bye now");
  await assert.rejects(ch.send(new Uint8Array([160])), /ended/);
  clock.advance(1_000);
  assert.equal(p.kills(), 0, "not acknowledged yet");
  clock.advance(1_100);
  await closing;
  assert.equal(p.kills(), 1);
  assert.deepEqual(await ch.ended, { reason: "local" });
  await ch.close();
  assert.equal(p.kills(), 1, "idempotent");
});

Deno.test("LinkChannel: the end rejects waiting sends; the first reason wins; bad messages throw RangeError", async () => {
  const ch = new LinkChannel("ab", port(0), new VirtualClock());
  const waiting = ch.send(new Uint8Array([160, 1]));
  ch.end({ reason: "refused", message: "busy" });
  ch.end({ reason: "timeout" });
  await assert.rejects(waiting, /ended \(refused\)/);
  assert.deepEqual(await ch.ended, { reason: "refused", message: "busy" });
  await assert.rejects(ch.send(new Uint8Array([16, 1])), RangeError);
  await assert.rejects(ch.send(new Uint8Array(1374).fill(160)), RangeError);
  await assert.rejects(ch.send(new Uint8Array(0)), RangeError);
});

Deno.test("runStream: whatever a peer sends (truncated, bit-flipped, any id 160-191) writes only its [160] bytes, in order", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.uint8Array({ minLength: 0, maxLength: 40 }), { maxLength: 30 }),
      fc.array(fc.tuple(fc.nat(), fc.nat(7)), { maxLength: 10 }),
      async (payloads, flips) => {
        const msgs = payloads.map((p, i) => {
          const m = new Uint8Array(1 + p.length);
          m[0] = 160 + (i % 32);
          m.set(p, 1);
          return m;
        });
        for (const [at, bit] of flips) {
          const m = msgs[at % Math.max(1, msgs.length)];
          if (m) m[(at >> 3) % m.length]! ^= 1 << bit;
        }
        const truncated = msgs.map((m, i) => i % 3 === 0 ? m.subarray(0, 1 + (i % m.length)) : m);
        const ch = new LinkChannel("ab", port(1000), new VirtualClock());
        const written: number[] = [];
        const abort = new AbortController();
        const run = runStream(ch, {
          write: (b) => Promise.resolve(void written.push(...b)),
          signal: abort.signal,
        });
        let ended = false;
        for (const m of truncated) {
          if (!ended && m[0] !== PACKET.STREAM_END) ch.deliver(m);
          if (m[0] === PACKET.STREAM_END) ended = true;
        }
        ch.end({ reason: "peer" });
        const out = await run;
        const want = truncated.filter((m, i) =>
          m[0] === PACKET.STREAM_DATA &&
          !truncated.slice(0, i).some((x) => x[0] === PACKET.STREAM_END)
        ).flatMap((m) => [...m.subarray(1)]);
        assert.deepEqual(written, want);
        assert.equal(out.received, want.length);
        assert.deepEqual(out.end, { reason: "peer" });
      },
    ),
    { numRuns: 200 },
  );
});

Deno.test("runStream: when our output fails (a closed pipe) the channel is closed with a bye", async () => {
  const clock = new VirtualClock();
  const p = port(100);
  const ch = new LinkChannel("ab", p, clock);
  const run = runStream(ch, {
    write: () => Promise.reject(new Error("Broken pipe")),
    signal: new AbortController().signal,
  });
  ch.onMessage(() => {});
  ch.deliver(new Uint8Array([160, 1, 2]));
  for (let i = 0; i < 5; i++) await Promise.resolve();
  const bye = p.queued.find((m) => m[0] === PACKET.BYE);
  assert.equal(new TextDecoder().decode(bye?.subarray(1)), "output closed");
  p.free();
  clock.advance(3_000);
  const out = await run;
  assert.equal(out.writeError, "Broken pipe");
  assert.deepEqual(out.end, { reason: "local" });
  assert(p.kills() === 1, "killed after the bye");
});
