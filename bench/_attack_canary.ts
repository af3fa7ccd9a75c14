/**
 * The honest peer of bench/attack.ts: a DHT ping over UDP every 100 ms and a new relay
 * handshake plus an encrypted relay ping over TCP every 250 ms, from 127.0.0.1, each probe
 * timed and recorded as answered (with its latency) or lost. It shares no code path with the
 * attackers and runs in the benchmark's own process.
 *
 * @example
 * ```ts ignore
 * import { Canary } from "./_attack_canary.ts";
 * const c = new Canary({ udpPort: 33445, tcpPort: 33445, publicKey });
 * c.start();
 * await new Promise((r) => setTimeout(r, 1000));
 * await c.stop();
 * console.log(Canary.summarise(c.probes, 0, Date.now()));
 * ```
 * @module
 */
import { backend, type CryptoBackend } from "../lib/crypto/mod.ts";
import { openDhtPacket, sealDhtPacket } from "../lib/dht/wire.ts";
import {
  createClientHandshake,
  decodePacket,
  encodePacket,
  FrameCodec,
  FrameReader,
  openServerHandshake,
} from "../lib/relay/mod.ts";
import { equals } from "../lib/util/bytes.ts";

/** Where the canary sends. */
export interface CanaryTarget {
  /** UDP (DHT) port on 127.0.0.1. */
  udpPort: number;
  /** TCP relay port on 127.0.0.1. */
  tcpPort: number;
  /** The server's public key. */
  publicKey: Uint8Array;
}

/** One probe: when it was sent and how long the answer took (null: none in time). */
export interface Probe {
  /** "udp" (DHT ping) or "tcp" (handshake + relay ping). */
  kind: "udp" | "tcp";
  /** `performance.now()` at send. */
  at: number;
  /** Milliseconds to the answer, or null. */
  ms: number | null;
}

/** Answered share and latency of a set of probes. */
export interface ProbeSummary {
  /** Probes sent. */
  sent: number;
  /** Answered share, 0..100. */
  pct: number;
  /** Median latency of the answered ones (ms), or null. */
  p50: number | null;
  /** 95th percentile latency (ms), or null. */
  p95: number | null;
}

const UDP_EVERY_MS = 100;
const TCP_EVERY_MS = 250;
const UDP_TIMEOUT_MS = 1000;
const TCP_TIMEOUT_MS = 2000;

/** The two probe loops against one target. */
export class Canary {
  /** Every probe so far (pending ones have `ms: null` until answered). */
  readonly probes: Probe[] = [];
  readonly #t: CanaryTarget;
  readonly #b: CryptoBackend;
  readonly #kp;
  readonly #key: Uint8Array;
  readonly #udp: Deno.DatagramConn;
  readonly #pending = new Map<string, Probe>();
  readonly #timers: ReturnType<typeof setInterval>[] = [];
  readonly #tasks = new Set<Promise<void>>();
  #stopped = false;

  /** A canary for `t`, with its own key and UDP socket on 127.0.0.1. */
  constructor(t: CanaryTarget, b: CryptoBackend = backend()) {
    this.#t = t;
    this.#b = b;
    this.#kp = b.keyPair();
    this.#key = b.sharedKey(t.publicKey, this.#kp.secretKey);
    this.#udp = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  }

  /** Starts both loops. */
  start(): void {
    this.#track(this.#udpReceive());
    this.#timers.push(setInterval(() => this.#udpProbe(), UDP_EVERY_MS));
    this.#timers.push(setInterval(() => this.#track(this.#tcpProbe()), TCP_EVERY_MS));
  }

  /** Stops sending, waits for the probes in flight, closes the socket. */
  async stop(): Promise<void> {
    for (const t of this.#timers) clearInterval(t);
    await new Promise((r) => setTimeout(r, UDP_TIMEOUT_MS));
    this.#stopped = true;
    this.#udp.close();
    await Promise.allSettled([...this.#tasks]);
  }

  /**
   * Answered share and latency of the probes of `kind` sent in [from, to).
   *
   * @example
   * ```ts
   * import { Canary } from "./_attack_canary.ts";
   * const s = Canary.summarise([{ kind: "udp", at: 1, ms: 2 }, { kind: "udp", at: 2, ms: null }], "udp", 0, 10);
   * console.assert(s.pct === 50 && s.p50 === 2);
   * ```
   */
  static summarise(probes: Probe[], kind: "udp" | "tcp", from: number, to: number): ProbeSummary {
    const set = probes.filter((p) => p.kind === kind && p.at >= from && p.at < to);
    const ms = set.flatMap((p) => (p.ms === null ? [] : [p.ms])).sort((a, b) => a - b);
    const q = (
      f: number,
    ) => (ms.length ? ms[Math.min(ms.length - 1, Math.floor(ms.length * f))]! : null);
    return {
      sent: set.length,
      pct: set.length ? (100 * ms.length) / set.length : 0,
      p50: q(0.5),
      p95: q(0.95),
    };
  }

  #track(p: Promise<void>): void {
    this.#tasks.add(p);
    p.finally(() => this.#tasks.delete(p));
  }

  #udpProbe(): void {
    const pingId = this.#b.randomBytes(8);
    const nonce = this.#b.randomBytes(24);
    const bytes = sealDhtPacket(
      { type: "pingRequest", pingId },
      this.#kp.publicKey,
      this.#key,
      nonce,
    );
    const probe: Probe = { kind: "udp", at: performance.now(), ms: null };
    this.probes.push(probe);
    const id = String(pingId);
    this.#pending.set(id, probe);
    setTimeout(() => this.#pending.delete(id), UDP_TIMEOUT_MS);
    this.#udp.send(bytes, { transport: "udp", hostname: "127.0.0.1", port: this.#t.udpPort })
      .catch(() => {});
  }

  async #udpReceive(): Promise<void> {
    while (!this.#stopped) {
      let data: Uint8Array;
      try {
        [data] = await this.#udp.receive();
      } catch {
        return;
      }
      if (data[0] !== 0x01) continue;
      try {
        const r = openDhtPacket(data, () => this.#key);
        if (
          !r || r.message.type !== "pingResponse" || !equals(r.senderPublicKey, this.#t.publicKey)
        ) {
          continue;
        }
        const id = String(r.message.pingId);
        const probe = this.#pending.get(id);
        if (probe) {
          probe.ms = performance.now() - probe.at;
          this.#pending.delete(id);
        }
      } catch { /* not a ping response */ }
    }
  }

  async #tcpProbe(): Promise<void> {
    const probe: Probe = { kind: "tcp", at: performance.now(), ms: null };
    this.probes.push(probe);
    let conn: Deno.TcpConn | undefined;
    const timer = setTimeout(() => {
      try {
        conn?.close();
      } catch { /* closed */ }
      conn = undefined;
    }, TCP_TIMEOUT_MS);
    try {
      conn = await Deno.connect({ hostname: "127.0.0.1", port: this.#t.tcpPort });
      const h = createClientHandshake(this.#kp, this.#t.publicKey);
      await conn.write(h.bytes);
      const reply = new Uint8Array(96);
      for (let got = 0; got < 96;) {
        const n = await conn.read(reply.subarray(got));
        if (n === null) return;
        got += n;
      }
      const keys = openServerHandshake(h, this.#t.publicKey, this.#kp.secretKey, reply);
      if (!keys) return;
      const codec = new FrameCodec(keys);
      const pingId = this.#b.randomBytes(8);
      pingId[0] = pingId[0]! | 1; // a ping id of zero is not answered
      await conn.write(codec.seal(encodePacket({ type: "ping", pingId })));
      const reader = new FrameReader();
      const buf = new Uint8Array(4096);
      for (let i = 0; i < 64; i++) {
        const n = await conn.read(buf);
        if (n === null) return;
        for (const body of reader.push(buf.subarray(0, n))) {
          const plain = codec.open(body);
          if (!plain) return;
          const p = decodePacket(plain.slice());
          if (p.type === "pong" && equals(p.pingId, pingId)) {
            if (performance.now() - probe.at <= TCP_TIMEOUT_MS) {
              probe.ms = performance.now() - probe.at;
            }
            return;
          }
        }
      }
    } catch {
      /* refused, reset, closed by the timer: lost */
    } finally {
      clearTimeout(timer);
      try {
        conn?.close();
      } catch { /* closed */ }
    }
  }
}
