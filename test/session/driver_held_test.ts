/**
 * Backpressure at the relay edge: when the relay link's queue is full, the driver holds
 * the refused datagram (and what follows it) and the session's lossless data, instead of
 * counting it as sent; the held datagrams leave when the link has room again. Without it
 * every refused datagram was a hole only the peer's packet requests could fill.
 * @module
 */
import assert from "node:assert/strict";
import { tweetnaclBackend as crypto } from "../../lib/crypto/backend.ts";
import { MemoryNetwork } from "../../lib/net/memory.ts";
import { UdpHost } from "../../lib/node/host.ts";
import { SessionDriver } from "../../lib/session/driver.ts";
import { SessionHost } from "../../lib/session/host.ts";
import type { RelayDatagramHandler, RelayPath } from "../../lib/session/relay_path.ts";
import { DeliveryRate } from "../../lib/session/delivery_rate.ts";
import { Sender } from "../../lib/session/sender.ts";
import { sha256 } from "../../lib/crypto/hash.ts";
import { toHex } from "../../lib/util/bytes.ts";
import { pattern } from "./_transfer.ts";

/** One end of a relay link that takes at most `room` datagrams per 1 ms write. */
class TinyRelay {
  other: TinyRelay | undefined;
  refused = 0;
  readonly #queue: Uint8Array[] = [];
  readonly #listeners = new Set<RelayDatagramHandler>();
  readonly #writable = new Set<() => void>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  constructor(readonly self: Uint8Array, readonly room: number) {}
  listen(fn: RelayDatagramHandler): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }
  onWritable(fn: () => void): () => void {
    this.#writable.add(fn);
    return () => this.#writable.delete(fn);
  }
  onOnline(): () => void {
    return () => {};
  }
  addPeer(): void {}
  removePeer(): void {}
  online(): boolean {
    return true;
  }
  send(_dht: Uint8Array, bytes: Uint8Array): boolean {
    if (this.#queue.length >= this.room) {
      this.refused++;
      return false;
    }
    this.#queue.push(bytes);
    this.#timer ??= setTimeout(() => this.#write(), 1);
    return true;
  }
  close(): void {
    clearTimeout(this.#timer);
  }
  #write(): void {
    this.#timer = undefined;
    const out = this.#queue.splice(0);
    for (const d of out) for (const fn of [...this.other!.#listeners]) fn(d, this.self);
    for (const fn of [...this.#writable]) fn();
  }
}

Deno.test("SessionDriver: a full relay queue holds the data, no datagram is lost to it", async () => {
  const net = new MemoryNetwork();
  const mk = () => new SessionHost({ crypto, self: crypto.keyPair(), selfDht: crypto.keyPair() });
  const ha = mk(), hb = mk();
  const ra = new TinyRelay(ha.dhtPublicKey, 16), rb = new TinyRelay(hb.dhtPublicKey, 16);
  ra.other = rb;
  rb.other = ra;
  await using ua = new UdpHost({
    socket: await net.bindDatagram({ hostname: "10.0.0.1", port: 1 }),
  });
  await using ub = new UdpHost({
    socket: await net.bindDatagram({ hostname: "10.0.0.2", port: 1 }),
  });
  const relay = (r: TinyRelay) => r as unknown as RelayPath;
  await using a = new SessionDriver({ udp: ua, host: ha, relay: relay(ra), direct: false });
  await using b = new SessionDriver({ udp: ub, host: hb, relay: relay(rb), direct: false });
  try {
    const src = pattern(1 << 20, 3);
    const got = new Uint8Array(src.length);
    let len = 0;
    b.on((e) => {
      if (e.type !== "data" || e.data[0] !== 160) return;
      if (len + e.data.length - 1 <= got.length) got.set(e.data.subarray(1), len);
      len += e.data.length - 1;
    });
    a.connect(hb.publicKey, hb.dhtPublicKey);
    await a.waitEstablished(hb.peer, 5000);
    let at = 0;
    const end = Date.now() + 20_000;
    while (len < src.length && Date.now() < end) {
      while (at < src.length) {
        const piece = src.subarray(at, at + 1372);
        if (!a.send(hb.peer, new Uint8Array([160, ...piece]))) break;
        at += piece.length;
      }
      await new Promise((r) => setTimeout(r, 2));
    }
    assert.equal(len, src.length);
    assert.equal(toHex(sha256(got)), toHex(sha256(src)), "byte-exact");
    assert(ra.refused > 0 && a.stats.held > 0, `the queue filled (${ra.refused} refused)`);
    assert.equal(a.stats.noPath, 0, "nothing dropped for want of a path");
    assert.equal(a.stats.heldDropped, 0);
    assert.equal(ha.session(hb.peer)!.stats.resent, 0, "no resend: no datagram was lost");
  } finally {
    ra.close();
    rb.close();
  }
});

Deno.test("Sender: while blocked nothing is sent and no timer is due; on release it pumps", () => {
  const out: number[] = [];
  const s = new Sender(new DeliveryRate(), (_p, n) => out.push(n));
  for (let i = 0; i < 10; i++) s.enqueue(new Uint8Array([160]));
  s.blocked = true;
  s.pump(0);
  assert.equal(out.length, 0);
  assert.equal(s.nextTimeout(), Infinity);
  s.blocked = false;
  s.pump(1);
  assert.equal(out.length, 10);
});

Deno.test("Sender.resendFlight() queues every unacknowledged packet once, and pump sends them", () => {
  const out: number[] = [];
  const s = new Sender(new DeliveryRate(), (_p, n) => out.push(n));
  for (let i = 0; i < 10; i++) s.enqueue(new Uint8Array([160]));
  s.pump(0);
  assert.equal(out.length, 10);
  assert(s.acked(3, 5), "0-2 acknowledged");
  assert.equal(s.resendFlight(), 7);
  assert.equal(s.resendFlight(), 0, "already queued: not twice");
  out.length = 0;
  s.pump(10);
  assert.deepEqual(out, [3, 4, 5, 6, 7, 8, 9]);
  assert.equal(s.resentTotal, 7);
});
