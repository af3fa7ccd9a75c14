/**
 * What a TCP relay DELIVERS between two clients: `peerkit relay serve` (rate limit off)
 * against tox-bootstrapd 0.2.18 in the same run, and both against THE LIMIT: the same two
 * peers over one direct loopback TCP connection with the same handshake, framing and crypto
 * and no relay between them.
 *
 *     deno run -A bench/relay_throughput.ts [rates-MB/s=2,4,8,16,32,48,64,96] [ms-per-step=2000]
 *       [rounds=1] [sides=limit,peerkit,anchor] [rtt-samples=200]
 *
 * Method. The sender and the receiver each run on their own worker thread with the lean
 * peer of bench/_relay_peer.ts (one libsodium seal per sent frame, one open per received
 * frame, nothing else). Each step starts a FRESH relay process, links both peers through
 * it, then the sender offers 2000-byte data packets for the step at a paced rate (a
 * schedule topped up every millisecond, frames owed at once sealed into one write) or
 * greedily (as fast as the socket takes them; backpressure is the only brake). The
 * receiver counts the data frames that arrive during the step plus a 500 ms drain.
 * Delivered MB/s = payload bytes that arrived / max(sending time, time of the last
 * arrival). A step is CLEAN when at least 99 % of the offered frames (greedy: of the sent
 * frames) arrived; otherwise it is a STALL row, shown like any other. Each side's best
 * clean delivered rate is compared: peerkit / anchor and peerkit / limit. "relay cpu" is
 * the relay process's CPU time during the step over the step's wall time. Last, the round
 * trip of one 64-byte packet to an echoing peer and back through each side (fresh relay,
 * `rtt-samples` sequential samples; median and p99).
 *
 * @module
 */
import { type BenchRelay, startPeerkitRelay, startToxRelay } from "./_relay_setup.ts";
import type { ReceiveCounts, RttResult, WorkerReply, WorkerRequest } from "./_relay_worker.ts";
import type { SendResult } from "./_relay_peer.ts";
import { median } from "./_measure.ts";

const RATES = (Deno.args[0] ?? "2,4,8,16,32,48,64,96").split(",").map(Number);
const STEP_MS = Number(Deno.args[1] ?? 2000);
const ROUNDS = Number(Deno.args[2] ?? 1);
const RTT_SAMPLES = Number(Deno.args[4] ?? 200);
const DRAIN_MS = 500;
const CLEAN = 0.99;
if (RATES.some((r) => !(r > 0)) || !(STEP_MS >= 100) || !(ROUNDS >= 1) || !(RTT_SAMPLES >= 0)) {
  console.error(
    "usage: relay_throughput.ts [rates-MB/s,...] [ms-per-step>=100] [rounds>=1] " +
      "[sides=limit,peerkit,anchor] [rtt-samples>=0]",
  );
  Deno.exit(2);
}

/** One worker thread, answering requests in order. */
class Peer {
  readonly #w = new Worker(new URL("./_relay_worker.ts", import.meta.url), { type: "module" });
  readonly #waiting: ((r: WorkerReply) => void)[] = [];
  constructor() {
    this.#w.onmessage = (e: MessageEvent<WorkerReply>) => this.#waiting.shift()?.(e.data);
  }
  /** Sends one request; rejects on the worker's error or after 60 s without an answer. */
  async call(req: WorkerRequest): Promise<WorkerReply & { ok: true }> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const r = await new Promise<WorkerReply>((resolve) => {
      this.#waiting.push(resolve);
      timer = setTimeout(
        () => resolve({ ok: false, error: `${req.cmd}: no answer in 60 s` }),
        60_000,
      );
      this.#w.postMessage(req);
    });
    clearTimeout(timer);
    if (!r.ok) throw new Error(r.error);
    return r;
  }
  stop(): void {
    this.#w.terminate();
  }
}

type Side = "peerkit relay serve" | "tox-bootstrapd 0.2.18" | "direct (limit)";
const SIDE_NAMES: Record<string, Side> = {
  limit: "direct (limit)",
  peerkit: "peerkit relay serve",
  anchor: "tox-bootstrapd 0.2.18",
};
const SIDES: Side[] = (Deno.args[3] ?? "limit,peerkit,anchor").split(",").map((s) => {
  const side = SIDE_NAMES[s];
  if (!side) {
    console.error(`unknown side ${s}: use limit, peerkit, anchor`);
    Deno.exit(2);
  }
  return side;
});

interface Row {
  side: Side;
  round: number;
  offered: number | "greedy";
  sentMBps: number;
  deliveredMBps: number;
  deliveredPct: number;
  cpuPct: number;
  clean: boolean;
  note: string;
}

const TICK = 100; // USER_HZ on Linux
async function cpuTicks(pid: number): Promise<number> {
  const f = (await Deno.readTextFile(`/proc/${pid}/stat`)).split(") ")[1]!.split(" ");
  return Number(f[11]) + Number(f[12]); // utime, stime
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Starts the side's relay (fresh) and links a sender and a receiver through it, then runs `fn`. */
async function withPair<T>(
  side: Side,
  fn: (send: Peer, recv: Peer, relay: BenchRelay | null) => Promise<T>,
): Promise<T> {
  const send = new Peer(), recv = new Peer();
  let relay: BenchRelay | null = null;
  try {
    const peerKey = (await recv.call({ cmd: "init" })).publicKey!;
    const senderKey = (await send.call({ cmd: "init" })).publicKey!;
    if (side === "direct (limit)") {
      const { port } = await recv.call({ cmd: "listenDirect" });
      await send.call({ cmd: "linkDirect", port: port!, peer: peerKey });
    } else {
      relay = side === "peerkit relay serve"
        ? await startPeerkitRelay(["--rate", "0"])
        : await startToxRelay();
      const r = relay;
      await Promise.all([
        recv.call({
          cmd: "linkRelay",
          port: r.tcpPort,
          relayKey: r.publicKey,
          peer: senderKey,
          receive: true,
        }),
        send.call({
          cmd: "linkRelay",
          port: r.tcpPort,
          relayKey: r.publicKey,
          peer: peerKey,
          receive: false,
        }),
      ]);
    }
    return await fn(send, recv, relay);
  } finally {
    send.stop();
    recv.stop();
    await relay?.stop();
  }
}

function step(side: Side, offered: number | "greedy", round: number): Promise<Row> {
  return withPair(side, async (send, recv, relay) => {
    await recv.call({ cmd: "go", bytesPerSecond: 0, ms: 0 });
    const cpu0 = relay ? await cpuTicks(relay.pid) : 0;
    const bps = offered === "greedy" ? 0 : offered * 1e6;
    const s = (await send.call({ cmd: "go", bytesPerSecond: bps, ms: STEP_MS }))
      .result as SendResult;
    await sleep(DRAIN_MS);
    const c = (await recv.call({ cmd: "report" })).result as ReceiveCounts;
    const cpu1 = relay ? await cpuTicks(relay.pid) : 0;
    await send.call({ cmd: "report" });
    const delivered = c.frames / Math.max(1, s.offered);
    return {
      side,
      round,
      offered,
      sentMBps: (s.sent * 2000) / s.ms / 1000,
      deliveredMBps: c.bytes / Math.max(s.ms, c.lastMs) / 1000,
      deliveredPct: 100 * delivered,
      cpuPct: relay ? (100 * (cpu1 - cpu0) / TICK) / ((s.ms + DRAIN_MS) / 1000) : NaN,
      clean: delivered >= CLEAN && !s.error,
      note: s.error ? `sender's socket failed after ${s.ms.toFixed(0)} ms: ${s.error}` : "",
    };
  });
}

/** Round trip of one 64-byte packet through the side's (fresh) relay to an echoing peer. */
function rttStep(side: Side): Promise<RttResult> {
  return withPair(side, async (send, recv) => {
    await recv.call({ cmd: "echo" });
    return (await send.call({ cmd: "rtt", samples: RTT_SAMPLES })).result as RttResult;
  });
}

const pad = (s: string, n: number) => s.padStart(n);
function print(r: Row): void {
  console.log(
    [
      r.side.padEnd(22),
      pad(String(r.round), 5),
      pad(r.offered === "greedy" ? "greedy" : r.offered.toFixed(0), 8),
      pad(r.sentMBps.toFixed(1), 8),
      pad(r.deliveredMBps.toFixed(1), 10),
      pad(r.deliveredPct.toFixed(1), 7),
      pad(Number.isNaN(r.cpuPct) ? "-" : r.cpuPct.toFixed(0), 9),
      r.clean ? "clean" : "STALL",
      r.note,
    ].join(" "),
  );
}

console.log(
  `relay throughput: ${RATES.join(",")} MB/s paced + greedy, ${STEP_MS} ms per step, ` +
    `${ROUNDS} round(s), fresh relay process per step, 2000-byte payloads, ` +
    `clean = >= ${CLEAN * 100} % of offered frames delivered`,
);
console.log(
  [
    "side".padEnd(22),
    pad("round", 5),
    pad("offered", 8),
    pad("sent", 8),
    pad("delivered", 10),
    pad("deliv%", 7),
    pad("relay cpu", 9),
    "status",
  ].join(" "),
);
console.log(
  `${"".padEnd(22)} ${pad("", 5)} ${pad("MB/s", 8)} ${pad("MB/s", 8)} ${pad("MB/s", 10)}`,
);
const rows: Row[] = [];
for (let round = 1; round <= ROUNDS; round++) {
  for (const offered of [...RATES, "greedy" as const]) {
    for (const side of SIDES) {
      let row: Row;
      try {
        row = await step(side, offered, round);
      } catch (e) {
        console.log(
          `${side.padEnd(22)} ${pad(String(round), 5)} ${offered}: failed: ${e}`,
          (e as Error).stack,
        );
        continue;
      }
      rows.push(row);
      print(row);
    }
  }
}

const rtts = new Map<Side, RttResult>();
if (RTT_SAMPLES > 0) {
  console.log(`\nround trip, 64-byte packet to an echoing peer and back, ${RTT_SAMPLES} samples:`);
  for (const side of SIDES) {
    try {
      const r = await rttStep(side);
      rtts.set(side, r);
      console.log(
        `  ${side.padEnd(22)} median ${r.median.toFixed(3)} ms, p99 ${r.p99.toFixed(3)} ms` +
          (r.lost ? `, ${r.lost} lost` : ""),
      );
    } catch (e) {
      console.log(`  ${side.padEnd(22)} failed: ${e}`);
    }
  }
}

const clean = (side: Side) => rows.filter((r) => r.side === side && r.clean);
const best = (side: Side) => Math.max(0, ...clean(side).map((r) => r.deliveredMBps));
/** Relay CPU milliseconds per delivered MB, median over the side's clean rows. */
const cpuPerMB = (side: Side) => {
  const xs = clean(side).filter((r) => r.deliveredMBps > 0 && !Number.isNaN(r.cpuPct))
    .map((r) => (10 * r.cpuPct) / r.deliveredMBps * ((STEP_MS + DRAIN_MS) / STEP_MS));
  return xs.length ? median(xs) : NaN;
};
console.log("\nsummary (best clean delivered rate of each side, over all rounds):");
for (const side of SIDES) {
  const all = rows.filter((r) => r.side === side).length;
  const cpu = cpuPerMB(side);
  console.log(
    `  ${side.padEnd(22)} ${
      clean(side).length ? `${best(side).toFixed(1).padStart(6)} MB/s` : "   n/a (no clean step)"
    }   ${all - clean(side).length} stall row(s) of ${all}` +
      (Number.isNaN(cpu) ? "" : `; relay CPU ${cpu.toFixed(1)} ms per delivered MB (median)`),
  );
}
const ratio = (a: Side, b: Side) => clean(a).length && clean(b).length ? best(a) / best(b) : NaN;
const pk = "peerkit relay serve", anchor = "tox-bootstrapd 0.2.18", limit = "direct (limit)";
if (SIDES.includes(pk) && SIDES.includes(anchor)) {
  const r = ratio(pk, anchor);
  console.log(
    `  ratio peerkit / tox-bootstrapd: ${Number.isNaN(r) ? "n/a" : `${r.toFixed(1)}x`}`,
  );
}
if (SIDES.includes(pk) && SIDES.includes(limit)) {
  const r = ratio(pk, limit);
  console.log(
    `  peerkit / direct-connection limit: ${Number.isNaN(r) ? "n/a" : `${(100 * r).toFixed(0)} %`}`,
  );
}
const rp = rtts.get(pk), ra = rtts.get(anchor);
if (rp && ra) {
  console.log(
    `  median round trip: peerkit ${rp.median.toFixed(3)} ms, tox-bootstrapd ${
      ra.median.toFixed(3)
    } ms (${(ra.median / rp.median).toFixed(0)} times lower)`,
  );
}
console.log(
  "  (the machine's load affects every side: compare sides within one run, not across runs)",
);
