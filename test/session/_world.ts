/**
 * Virtual-time test world for sessions: seeded randomness, links with latency, jitter,
 * loss, duplication and a bandwidth limit, and a loop that runs two (or more) hosts.
 * @module
 */
import { tweetnaclBackend } from "../../lib/crypto/backend.ts";
import type { CryptoBackend } from "../../lib/crypto/backend.ts";
import { SessionHost, type SessionHostOptions } from "../../lib/session/host.ts";

/** mulberry32: a small seeded PRNG in [0, 1). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Seeded random bytes. */
export function randomBytes(seed: number): (n: number) => Uint8Array {
  const r = rng(seed);
  return (n) => {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = Math.floor(r() * 256);
    return out;
  };
}

/** A host with seeded keys. */
export function makeHost(
  seed: number,
  extra: Partial<SessionHostOptions> = {},
  crypto: CryptoBackend = tweetnaclBackend,
): SessionHost {
  const random = randomBytes(seed);
  const self = crypto.keyPairFromSecretKey(random(32));
  const selfDht = crypto.keyPairFromSecretKey(random(32));
  return new SessionHost({ crypto, random, self, selfDht, ...extra });
}

/** Link behaviour. */
export interface LinkOptions {
  /** One-way latency, ms. */
  latency?: number;
  /** Extra random delay up to this, ms (reorders). */
  jitter?: number;
  /** Drop probability. */
  loss?: number;
  /** Duplication probability. */
  dup?: number;
  /** Bandwidth, bytes per ms (Infinity for none). */
  rate?: number;
  /** Tail-drop when the queue holds more than this many ms. */
  queueMs?: number;
}

interface InFlight {
  at: number;
  seq: number;
  to: SessionHost;
  from: string;
  bytes: Uint8Array;
  link: Link;
}

/** A one-way lossy link. */
export class Link {
  readonly o: Required<LinkOptions>;
  readonly #r: () => number;
  #busyUntil = 0;
  /** Datagrams dropped by the loss model or the queue. */
  dropped = 0;
  /** Datagrams carried. */
  carried = 0;

  constructor(seed: number, o: LinkOptions = {}) {
    this.o = { latency: 5, jitter: 0, loss: 0, dup: 0, rate: Infinity, queueMs: 50, ...o };
    this.#r = rng(seed);
  }

  /** Arrival times of a datagram sent now (empty when dropped). */
  schedule(now: number, size: number): number[] {
    const start = Math.max(now, this.#busyUntil);
    if (start - now > this.o.queueMs) {
      this.dropped++;
      return [];
    }
    this.#busyUntil = start + size / this.o.rate;
    if (this.#r() < this.o.loss) {
      this.dropped++;
      return [];
    }
    this.carried++;
    const at = () => this.#busyUntil + this.o.latency + this.#r() * this.o.jitter;
    return this.#r() < this.o.dup ? [at(), at()] : [at()];
  }
}

/** Two hosts wired back to back through switchable links. */
export class World {
  now = 0;
  readonly #q: InFlight[] = [];
  #seq = 0;
  /** Current link from a to b and from b to a. */
  ab: Link;
  ba: Link;
  a: SessionHost;
  b: SessionHost;
  /** Test hook: every datagram before it enters a link; return false to drop it. */
  tap: ((from: string, bytes: Uint8Array) => boolean) | null = null;
  /** Test hook: the links a datagram takes (default: the current `ab` / `ba`). */
  router: ((from: string, bytes: Uint8Array) => Link[]) | null = null;
  /** Test hook: a datagram arrived over `link`. */
  onArrive: ((to: SessionHost, from: string, link: Link) => void) | null = null;

  constructor(a: SessionHost, b: SessionHost, ab: Link, ba: Link) {
    this.a = a;
    this.b = b;
    this.ab = ab;
    this.ba = ba;
  }

  /** Delivers `bytes` to `to` after the link's delay. */
  inject(to: SessionHost, from: string, bytes: Uint8Array, link: Link): void {
    for (const at of link.schedule(this.now, bytes.length)) {
      this.#push({ at, seq: this.#seq++, to, from, bytes, link });
    }
  }

  #push(f: InFlight): void {
    const q = this.#q;
    q.push(f);
    let i = q.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (q[p]!.at < f.at || (q[p]!.at === f.at && q[p]!.seq < f.seq)) break;
      q[i] = q[p]!;
      i = p;
    }
    q[i] = f;
  }

  #pop(): InFlight | undefined {
    const q = this.#q;
    const top = q[0];
    const last = q.pop();
    if (q.length > 0 && last) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1, r = l + 1;
        let m = i;
        const less = (x: InFlight, y: InFlight) => x.at < y.at || (x.at === y.at && x.seq < y.seq);
        if (l < q.length && less(q[l]!, m === i ? last : q[m]!)) m = l;
        if (r < q.length && less(q[r]!, m === i ? last : q[m]!)) m = r;
        if (m === i) break;
        q[i] = q[m]!;
        i = m;
      }
      q[i] = last;
    }
    return top;
  }

  #flush(): void {
    for (
      const [h, other, link] of [[this.a, this.b, this.ab], [this.b, this.a, this.ba]] as const
    ) {
      for (const t of h.drainTransmit()) {
        if (this.tap && !this.tap(h.peer, t.bytes)) continue;
        for (const l of this.router ? this.router(h.peer, t.bytes) : [link]) {
          this.inject(other, h.peer, t.bytes, l);
        }
      }
    }
  }

  /** Runs until `done()` or `maxMs` of virtual time pass; returns whether `done()` held. */
  run(done: () => boolean, maxMs: number, onTick?: () => void): boolean {
    const end = this.now + maxMs;
    for (let iter = 0; iter < 5_000_000; iter++) {
      this.#flush();
      if (done()) return true;
      const next = Math.min(this.#q[0]?.at ?? Infinity, this.a.nextTimeout(), this.b.nextTimeout());
      this.now = Math.max(this.now + 0.25, Math.min(next, end));
      if (this.now >= end) return done();
      while (this.#q.length > 0 && this.#q[0]!.at <= this.now) {
        const f = this.#pop()!;
        this.onArrive?.(f.to, f.from, f.link);
        f.to.handleDatagram(f.bytes, this.now, { peer: f.from, reply: f.from });
      }
      this.a.handleTimeout(this.now);
      this.b.handleTimeout(this.now);
      onTick?.();
    }
    return done();
  }
}
