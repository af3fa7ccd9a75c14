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
  | { cmd: "report" };

/** A worker's answer. */
export type WorkerReply =
  | { ok: true; publicKey?: Uint8Array; port?: number; result?: unknown }
  | { ok: false; error: string };

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
const counts: ReceiveCounts = { frames: 0, bytes: 0, lastMs: 0 };

function count(l: Link): void {
  readPackets(l, (p) => {
    const id = p[0]!;
    if (id >= NUM_RESERVED_PORTS) {
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

port.onmessage = (e) => {
  handle(e.data).then(
    (r) => port.postMessage(r),
    (err) => port.postMessage({ ok: false, error: String(err?.message ?? err) }),
  );
};
