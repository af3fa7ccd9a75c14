/**
 * A UDP impairment shim on loopback, in its own thread (a Worker), for the loss benchmark:
 * two batched sockets, `a` and `b`. What arrives at `a` leaves from `b` to `bPort`; what
 * arrives at `b` leaves from `a` to `aPort`; so peer A talks to `a` as if it were B and
 * peer B to `b` as if it were A, and all their traffic crosses the shim in both directions.
 *
 * Each datagram is dropped with probability `loss`; of the rest, a share `reorder` is held
 * back and released after 1-8 later datagrams in the same direction (or 5 ms, whichever
 * comes first), so it arrives out of order. The random source is seeded (`seededRandom`).
 *
 * Messages: `{ aPort, bPort, loss, reorder, seed }` starts it and answers `{ a, b }` (the
 * shim's ports); `{ loss, reorder }` changes the impairment; `{ stats: true }` answers
 * `{ forwarded, dropped, reordered }`.
 *
 * @module
 */
import { denoBatchNetwork } from "../lib/net/deno.ts";
import { seededRandom } from "../lib/net/random.ts";
import type { DatagramSocket } from "../lib/net/types.ts";

const self = globalThis as unknown as {
  postMessage(m: unknown): void;
  onmessage: ((m: MessageEvent) => void) | null;
};

let loss = 0, reorder = 0;
const stats = { forwarded: 0, dropped: 0, reordered: 0 };

/** One direction: from `rx` to `port` through `tx`. */
async function pipe(rx: DatagramSocket, tx: DatagramSocket, port: number, r: () => number) {
  const to = { hostname: "127.0.0.1", port };
  let held: Uint8Array | null = null, release = 0, heldAt = 0;
  const out = (d: Uint8Array) => {
    stats.forwarded++;
    tx.send(d, to).catch(() => {});
  };
  for (;;) {
    let d;
    try {
      d = await rx.receive();
    } catch {
      return;
    }
    if (r() < loss) {
      stats.dropped++;
      continue;
    }
    if (held === null && r() < reorder) {
      held = d.data;
      release = 1 + Math.floor(r() * 8);
      heldAt = performance.now();
      stats.reordered++;
      continue;
    }
    out(d.data);
    if (held !== null && (--release <= 0 || performance.now() - heldAt > 5)) {
      out(held);
      held = null;
    }
  }
}

self.onmessage = async (m: MessageEvent) => {
  const o = m.data as {
    aPort?: number;
    bPort?: number;
    loss?: number;
    reorder?: number;
    seed?: number;
    stats?: boolean;
  };
  if (o.stats) return self.postMessage({ ...stats });
  loss = o.loss ?? loss;
  reorder = o.reorder ?? reorder;
  if (o.aPort === undefined || o.bPort === undefined) return;
  const a = await denoBatchNetwork.bindDatagram({ hostname: "127.0.0.1", port: 0 });
  const b = await denoBatchNetwork.bindDatagram({ hostname: "127.0.0.1", port: 0 });
  const r = seededRandom(o.seed ?? 1);
  pipe(a, b, o.bPort, r);
  pipe(b, a, o.aPort, r);
  self.postMessage({ a: a.localAddr.port, b: b.localAddr.port });
};
