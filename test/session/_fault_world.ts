/**
 * Real-socket helpers of the session fault tests: peers (a node's UDP host, a session
 * host, a relay client linked to any number of `relay serve` processes), a bulk transfer
 * that hashes what arrived and records when each piece was delivered, and the longest
 * delivery gap around a moment.
 * @module
 */
import { sha256 } from "../../lib/crypto/hash.ts";
import { backend } from "../../lib/crypto/mod.ts";
import { denoNetwork } from "../../lib/net/deno.ts";
import { UdpHost } from "../../lib/node/host.ts";
import { RelayClient } from "../../lib/relay/client_driver.ts";
import { SessionDriver } from "../../lib/session/driver.ts";
import { SessionHost } from "../../lib/session/host.ts";
import { RelayPath } from "../../lib/session/relay_path.ts";
import type { Pacer } from "../../lib/session/session_options.ts";
import { fromHex, toHex } from "../../lib/util/bytes.ts";
import { pattern } from "./_transfer.ts";

/** Payload bytes per session packet (after the id byte 160). */
export const CHUNK = 1372;

/** A relay to link to. */
export interface RelayRef {
  port: number;
  key: string;
}

/** One peer of a fault test. */
export interface FaultPeer extends AsyncDisposable {
  d: SessionDriver;
  udp: UdpHost;
  relay: RelayClient | undefined;
  path: RelayPath | undefined;
}

/**
 * A peer on 127.0.0.1 linked to `relays` (in that order); the host's default pacer unless
 * `pacer` says otherwise.
 */
export async function faultPeer(
  relays: RelayRef[] = [],
  pacer?: Pacer,
): Promise<FaultPeer> {
  const c = backend();
  const selfDht = c.keyPair();
  const udp = new UdpHost({
    socket: await denoNetwork.bindDatagram({ hostname: "127.0.0.1", port: 0 }),
  });
  const host = new SessionHost({
    crypto: c,
    self: c.keyPair(),
    selfDht,
    ...(pacer ? { pacer } : {}),
  });
  const relay = relays.length > 0 ? new RelayClient({ keyPair: selfDht }) : undefined;
  for (const r of relays) relay!.addRelay({ hostname: "127.0.0.1", port: r.port }, fromHex(r.key));
  const path = relay ? new RelayPath(relay) : undefined;
  const d = new SessionDriver({ udp, host, ...(path ? { relay: path } : {}) });
  return {
    d,
    udp,
    relay,
    path,
    [Symbol.asyncDispose]: async () => {
      await d.close();
      await relay?.close();
      await udp.close();
    },
  };
}

/** One line of what the sender's session and both drivers hold, for a failure message. */
export function describe(a: FaultPeer, b: FaultPeer): string {
  const s = a.d.host.session(b.d.host.peer);
  const r = b.d.host.session(a.d.host.peer);
  const sender = s
    ? `in flight ${s.inFlight}, queued ${s.queued}, sent ${s.stats.sent}, resent ${s.stats.resent}, rtt ${
      s.rtt.toFixed(1)
    } ms`
    : "no session";
  return `sender: ${sender}; receiver got ${r?.stats.received ?? 0}; a ${
    JSON.stringify(a.d.stats)
  }; b ${JSON.stringify(b.d.stats)}`;
}

/** Waits until `ok()` or `ms` passed (20 ms polls). */
export async function until(ok: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (!ok() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  return ok();
}

/**
 * Queues `src` from offset `at` on `d` for `to` as id-160 packets of {@link CHUNK} bytes
 * while the session takes them; returns the offset reached.
 */
export function sendChunks(d: SessionDriver, to: string, src: Uint8Array, at: number): number {
  while (at < src.length) {
    const piece = src.subarray(at, at + CHUNK);
    const pkt = new Uint8Array(piece.length + 1);
    pkt[0] = 160;
    pkt.set(piece, 1);
    if (!d.send(to, pkt)) break;
    at += piece.length;
  }
  return at;
}

/** What a transfer delivered. */
export interface TransferResult {
  /** True when exactly `src` arrived (length and SHA-256). */
  exact: boolean;
  /** Bytes delivered (more than sent means a duplicate). */
  received: number;
  /** Wall time from the first send to the last delivery, ms. */
  ms: number;
  /** Delivery time (ms, `Date.now()`) of each piece, in order. */
  times: number[];
}

/**
 * Sends `src` from `a` to `b` as id-160 packets, delivering to a buffer of exactly its
 * size; `tick(receivedBytes)` runs after every send round (every ~2 ms) and may change
 * the paths. Gives up after `maxMs`.
 */
export async function bulk(
  a: FaultPeer,
  b: FaultPeer,
  src: Uint8Array,
  tick: (received: number) => Promise<void> | void,
  maxMs: number,
): Promise<TransferResult> {
  const to = b.d.host.peer;
  const got = new Uint8Array(src.length);
  const times: number[] = [];
  let len = 0;
  const off = b.d.on((e) => {
    if (e.type !== "data" || e.data[0] !== 160) return;
    const n = e.data.length - 1;
    if (len + n <= got.length) got.set(e.data.subarray(1), len);
    len += n;
    times.push(Date.now());
  });
  const t0 = Date.now(), deadline = t0 + maxMs;
  let at = 0;
  try {
    while (len < src.length && Date.now() < deadline) {
      at = sendChunks(a.d, to, src, at);
      await tick(len);
      await new Promise((r) => setTimeout(r, 2));
    }
  } finally {
    off();
  }
  const exact = len === src.length && toHex(sha256(got)) === toHex(sha256(src));
  return { exact, received: len, ms: (times.at(-1) ?? Date.now()) - t0, times };
}

/**
 * The longest time (ms) with no delivery from `at` until `windowMs` later: the gap that
 * spans `at` and every gap that starts inside the window, leaving out gaps that end after
 * `endBefore` (the next event's own).
 */
export function stallAround(
  times: number[],
  at: number,
  windowMs: number,
  endBefore = Infinity,
): number {
  let worst = 0;
  for (let i = 1; i < times.length; i++) {
    const t = times[i]!, prev = times[i - 1]!;
    if (t < at) continue;
    if (prev > at + windowMs || t > endBefore) break;
    worst = Math.max(worst, t - prev);
  }
  return worst;
}

/** A 64 MiB pattern (the size). */
export function src64(seed: number): Uint8Array {
  return pattern(64 << 20, seed);
}
