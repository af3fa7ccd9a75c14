/**
 * The receiving side of the session benchmarks, in its own thread (a Worker), as each
 * c-toxcore peer of the anchor is its own process. Two roles, chosen by the first message:
 *
 * - `{ role: "session", pacer?, relay? }`: a peerkit node ({@link benchNode}: with `relay`,
 *   through that `relay serve` only) that accepts one session; it answers `{ port, pk, dht }`. Then each
 *   `{ run: n, total }` resets the count; id-160 payloads are checked byte by byte against
 *   the pattern `(i * 31 + 7) & 255` (the C harness's); at `total` bytes it posts
 *   `{ run, bytes, ms, bad, first8ms, maxGapMs }`, timed from the first byte to the last
 *   (`maxGapMs`: the longest wait between two deliveries).
 * - `{ role: "raw", counter }`: a batched socket that counts datagrams into
 *   `counter[0]` (an `Int32Array` on a `SharedArrayBuffer`); it answers `{ port }`.
 *
 * @module
 */
import { backend, useFastestBackend } from "../lib/crypto/mod.ts";
import { denoBatchNetwork } from "../lib/net/deno.ts";
import { UdpHost } from "../lib/node/host.ts";
import { SessionDriver } from "../lib/session/driver.ts";
import { SessionHost } from "../lib/session/host.ts";
import { RelayClient } from "../lib/relay/client_driver.ts";
import { RelayPath } from "../lib/session/relay_path.ts";
import type { Pacer } from "../lib/session/session_options.ts";
import { fromHex, toHex } from "../lib/util/bytes.ts";

/** The payload byte at offset `i` (the C harness's file pattern). */
export const patternByte = (i: number): number => (i * 31 + 7) & 0xff;

/**
 * The pattern from offset 0 for 256 + 4096 bytes: it repeats every 256 bytes, so the
 * bytes at offset `o` are `PATTERN.subarray(o & 255, (o & 255) + n)` for n <= 4096.
 */
export const PATTERN: Uint8Array = Uint8Array.from(
  { length: 256 + 4096 },
  (_, i) => patternByte(i),
);

const self = globalThis as unknown as {
  postMessage(m: unknown): void;
  onmessage: ((m: MessageEvent) => void) | null;
};

/** Where a benchmark node's relay is: `relay serve` on loopback. */
export interface BenchRelayRef {
  port: number;
  key: string;
}

/**
 * A benchmark's session node: a `SessionDriver` on a `UdpHost` with the batched socket,
 * and, with `relay`, a relay route to it and UDP unused (the relay path only).
 */
export async function benchNode(pacer?: Pacer, relay?: BenchRelayRef) {
  await useFastestBackend();
  const c = backend();
  const selfDht = c.keyPair();
  const udp = new UdpHost({
    socket: await denoBatchNetwork.bindDatagram({ hostname: "127.0.0.1", port: 0 }),
  });
  const host = new SessionHost({
    crypto: c,
    self: c.keyPair(),
    selfDht,
    ...(pacer ? { pacer } : {}),
  });
  let client: RelayClient | undefined;
  if (relay) {
    client = new RelayClient({ keyPair: selfDht });
    client.addRelay({ hostname: "127.0.0.1", port: relay.port }, fromHex(relay.key));
    await client.waitForRelays(1, 10_000);
  }
  const d = new SessionDriver({
    udp,
    host,
    ...(client ? { relay: new RelayPath(client), direct: false } : {}),
  });
  const close = async () => {
    await d.close();
    await client?.close();
    await udp.close();
  };
  return { udp, host, d, close };
}

async function sessionRole(pacer: Pacer | undefined, relay?: BenchRelayRef): Promise<void> {
  const { udp, host, d } = await benchNode(pacer, relay);
  let run = 0, total = 0, got = 0, bad = 0, t0 = 0, first8 = 0, last = 0, maxGap = 0;
  d.on((e) => {
    if (e.type !== "data" || e.data[0] !== 160 || run === 0) return;
    const now = performance.now();
    if (got === 0) t0 = last = now;
    maxGap = Math.max(maxGap, now - last);
    last = now;
    const p = e.data, base = got & 255;
    for (let i = 1; i < p.length; i++) if (p[i] !== PATTERN[base + i - 1]) bad++;
    got += p.length - 1;
    if (first8 === 0 && got >= 8 * 1024 * 1024) first8 = performance.now() - t0;
    if (got >= total) {
      self.postMessage({ run, bytes: got, ms: now - t0, bad, first8ms: first8, maxGapMs: maxGap });
      run = 0;
    }
  });
  self.onmessage = (m: MessageEvent) => {
    ({ run, total } = m.data as { run: number; total: number });
    got =
      bad =
      first8 =
      maxGap =
        0;
  };
  self.postMessage({
    port: udp.localAddr.port,
    pk: toHex(host.publicKey),
    dht: toHex(host.dhtPublicKey),
  });
}

async function rawRole(counter: Int32Array): Promise<void> {
  const s = await denoBatchNetwork.bindDatagram({ hostname: "127.0.0.1", port: 0 });
  self.postMessage({ port: s.localAddr.port });
  for (;;) {
    try {
      await s.receive();
    } catch {
      return;
    }
    Atomics.add(counter, 0, 1);
  }
}

self.onmessage = (m: MessageEvent) => {
  const o = m.data as
    | { role: "session"; pacer?: Pacer; relay?: BenchRelayRef }
    | { role: "raw"; counter: Int32Array };
  if (o.role === "session") sessionRole(o.pacer, o.relay);
  else rawRole(o.counter);
};
