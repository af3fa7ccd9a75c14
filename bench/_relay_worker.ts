/**
 * Worker side of bench/relay_throughput.ts: one sending or receiving peer on its own thread,
 * so neither the other peer nor the orchestration shares its event loop. Driven by messages
 * from {@link WorkerRequest}; answers each with one {@link WorkerReply}.
 *
 * @example
 * ```ts ignore
 * const w = new Worker(new URL("./_relay_worker.ts", import.meta.url), { type: "module" });
 * w.postMessage({ cmd: "init" });
 * ```
 * @module
 */
import { backend, type KeyPair, loadSodium, setBackend } from "../lib/crypto/mod.ts";
import { NUM_RESERVED_PORTS, PACKET_ID } from "../lib/relay/constants.ts";
import {
  acceptLink,
  connectLink,
  type Link,
  readPackets,
  route,
  sendLoad,
  sendPacket,
} from "./_relay_peer.ts";

/** What the benchmark asks a worker to do. */
export type WorkerRequest =
  | { cmd: "init" }
  | { cmd: "linkRelay"; port: number; relayKey: Uint8Array; peer: Uint8Array; receive: boolean }
  | { cmd: "listenDirect" }
  | { cmd: "linkDirect"; port: number; peer: Uint8Array }
  | { cmd: "go"; bytesPerSecond: number; ms: number }
  | { cmd: "echo" }
  | { cmd: "rtt"; samples: number }
  | { cmd: "report" };

/** A worker's answer. */
export type WorkerReply =
  | { ok: true; publicKey?: Uint8Array; port?: number; result?: unknown }
  | { ok: false; error: string };

/** Round trips of one 64-byte data packet to the echoing peer and back, in ms. */
export interface RttResult {
  /** Median. */
  median: number;
  /** 99th percentile. */
  p99: number;
  /** Samples with no echo within 2 s. */
  lost: number;
}

/** What a receiver counted since "go". */
export interface ReceiveCounts {
  /** Data frames that arrived. */
  frames: number;
  /** Their payload bytes. */
  bytes: number;
  /** Time of the last arrival after "go", ms (0 when none came). */
  lastMs: number;
}

const port = self as unknown as {
  postMessage(m: WorkerReply): void;
  onmessage: ((e: MessageEvent<WorkerRequest>) => void) | null;
};

let keys: KeyPair;
let link: Link | null = null;
let connId = NUM_RESERVED_PORTS;
let listener: Deno.TcpListener | null = null;
let linked: Promise<void> | null = null;
let goAt = 0;
let echo = false;
const counts: ReceiveCounts = { frames: 0, bytes: 0, lastMs: 0 };

function count(l: Link): void {
  readPackets(l, (p) => {
    const id = p[0]!;
    if (id >= NUM_RESERVED_PORTS) {
      if (echo) {
        const back = p.slice();
        back[0] = connId;
        sendPacket(l, back).catch(() => {});
        return true;
      }
      counts.frames++;
      counts.bytes += p.length - 1;
      counts.lastMs = performance.now() - goAt;
    } else if (id === PACKET_ID.PING) {
      const pong = p.slice();
      pong[0] = PACKET_ID.PONG;
      sendPacket(l, pong).catch(() => {});
    }
    return true;
  }).catch(() => {});
}

async function handle(m: WorkerRequest): Promise<WorkerReply> {
  switch (m.cmd) {
    case "init":
      setBackend(await loadSodium());
      keys = backend().keyPair();
      return { ok: true, publicKey: keys.publicKey };
    case "linkRelay":
      link = await connectLink({ hostname: "127.0.0.1", port: m.port }, m.relayKey, keys);
      connId = await route(link, m.peer);
      if (m.receive) count(link);
      return { ok: true };
    case "listenDirect": {
      listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
      const l = listener;
      linked = l.accept().then(async (c) => {
        link = await acceptLink(c, keys);
        count(link);
      });
      return { ok: true, port: l.addr.port };
    }
    case "linkDirect":
      link = await connectLink({ hostname: "127.0.0.1", port: m.port }, m.peer, keys);
      return { ok: true };
    case "go":
      if (linked) await linked;
      counts.frames = counts.bytes = counts.lastMs = 0;
      goAt = performance.now();
      if (m.ms === 0) return { ok: true };
      return { ok: true, result: await sendLoad(link!, connId, m.bytesPerSecond, m.ms) };
    case "echo":
      echo = true;
      return { ok: true };
    case "rtt":
      return { ok: true, result: await rtt(link!, m.samples) };
    case "report": {
      const result = { ...counts };
      try {
        link?.conn.close();
      } catch { /* the sender may have closed it already */ }
      listener?.close();
      link = null;
      listener = null;
      linked = null;
      return { ok: true, result };
    }
  }
}

async function rtt(l: Link, samples: number): Promise<RttResult> {
  let wake: (() => void) | null = null;
  readPackets(l, (p) => {
    if (p[0]! >= NUM_RESERVED_PORTS) wake?.();
    return true;
  }).catch(() => {});
  const msg = new Uint8Array(65);
  msg[0] = connId;
  const times: number[] = [];
  let lost = 0;
  for (let i = 0; i < samples; i++) {
    const t0 = performance.now();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const got = await new Promise<boolean>((resolve) => {
      wake = () => resolve(true);
      timer = setTimeout(() => resolve(false), 2000);
      sendPacket(l, msg).catch(() => resolve(false));
    });
    clearTimeout(timer);
    wake = null;
    if (got) times.push(performance.now() - t0);
    else lost++;
  }
  times.sort((a, b) => a - b);
  const at = (q: number) => times[Math.min(times.length - 1, Math.floor(times.length * q))] ?? NaN;
  return { median: at(0.5), p99: at(0.99), lost };
}

port.onmessage = (e) => {
  handle(e.data).then(
    (r) => port.postMessage(r),
    (err) => port.postMessage({ ok: false, error: String(err?.message ?? err) }),
  );
};
