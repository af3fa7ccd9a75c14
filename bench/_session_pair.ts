/**
 * Both ends of a peerkit session for the benchmarks: the sender here (a `SessionDriver` on
 * a `UdpHost` with the batched socket), the receiver in a Worker (`_session_worker.ts`),
 * so each end has its own thread as each c-toxcore peer has its own process. Also the
 * c-toxcore file transfer run and the row printer the session benchmarks share.
 *
 * @module
 */
import type { Addr } from "../lib/net/addr.ts";
import type { Pacer } from "../lib/session/session_options.ts";
import { fromHex } from "../lib/util/bytes.ts";
import type { ToxClient } from "../test/_support/toxclient.ts";
import { benchNode, type BenchRelayRef, PATTERN } from "./_session_worker.ts";

/** Payload bytes per packet: id 160 + 1372, what a c-toxcore file chunk carries at most. */
export const CHUNK = 1372;
/** A run that takes longer than this is reported as timed out. */
export const RUN_LIMIT_MS = 60_000;

/** One measured run of one side. */
export interface Row {
  side: string;
  run: string;
  mbps: number;
  ms: number;
  clean: boolean;
  note: string;
}

/** MB/s (10^6 bytes per second). */
export const mbps = (bytes: number, ms: number): number => bytes / 1e6 / (ms / 1000);

/** Prints a row as it is measured and keeps it. */
export function reporter(rows: Row[]): (r: Row) => void {
  return (r) => {
    rows.push(r);
    console.log(
      `${r.side.padEnd(26)} ${r.run.padEnd(12)} ${r.mbps.toFixed(2).padStart(8)} MB/s  ` +
        `${(r.ms / 1000).toFixed(2).padStart(6)} s  ${r.clean ? "clean" : "NOT CLEAN"}  ${r.note}`,
    );
  };
}

/** Median of the clean rows of `side` whose run label starts with `run`, 0 when none. */
export function medianOf(rows: Row[], side: string, run = ""): number {
  const xs = rows.filter((r) => r.side === side && r.clean && r.run.startsWith(run))
    .map((r) => r.mbps).sort((a, b) => a - b);
  if (xs.length === 0) return 0;
  const m = xs.length >> 1;
  return xs.length % 2 ? xs[m]! : (xs[m - 1]! + xs[m]!) / 2;
}

/** The result of one peerkit transfer. */
export interface PeerkitRun {
  bytes: number;
  ms: number;
  bad: number;
  first8ms: number;
  maxGapMs: number;
  resent: number;
  timedOut: boolean;
}

/** A peerkit sender here and its receiver in a Worker. */
export interface PeerkitPair {
  /** The receiver's UDP port (what a shim in between forwards to). */
  readonly receiverPort: number;
  /** The sender's UDP port. */
  readonly senderPort: number;
  /** Opens the session, the sender addressing the receiver at `addr` (or by the relay). */
  connect(addr?: Addr): Promise<void>;
  /** Sends `total` bytes of the pattern; resolves when the receiver has them all. */
  transfer(run: number, total: number): Promise<PeerkitRun>;
  close(): Promise<void>;
}

/** Starts the receiver Worker and the sender node (both on `relay` only, when given). */
export async function peerkitPair(pacer?: Pacer, relay?: BenchRelayRef): Promise<PeerkitPair> {
  const worker = new Worker(new URL("./_session_worker.ts", import.meta.url), { type: "module" });
  const messages: ((m: unknown) => void)[] = [];
  worker.onmessage = (m) => messages.shift()?.(m.data);
  const next = <T>() => new Promise<T>((r) => messages.push(r as (m: unknown) => void));
  const info = next<{ port: number; pk: string; dht: string }>();
  worker.postMessage({ role: "session", ...(pacer ? { pacer } : {}), ...(relay ? { relay } : {}) });
  const { port, pk, dht } = await info;
  const { udp, host, d, close } = await benchNode(pacer, relay);
  let resentBefore = 0;
  return {
    receiverPort: port,
    senderPort: udp.localAddr.port,
    async connect(addr) {
      d.connect(fromHex(pk), fromHex(dht), addr ? { addr } : {});
      await d.waitEstablished(pk, 15_000);
    },
    async transfer(run, total) {
      const done = next<Omit<PeerkitRun, "resent" | "timedOut">>();
      worker.postMessage({ run, total });
      // Let the reset reach the worker before the first byte does.
      await new Promise((r) => setTimeout(r, 20));
      let at = 0, finished = false;
      const result = done.then((x) => (finished = true, x));
      const t0 = performance.now();
      while (!finished && performance.now() - t0 < RUN_LIMIT_MS) {
        while (at < total) {
          const n = Math.min(CHUNK, total - at);
          const p = new Uint8Array(n + 1);
          p[0] = 160;
          p.set(PATTERN.subarray(at & 255, (at & 255) + n), 1);
          if (!d.send(pk, p)) break;
          at += n;
        }
        // The outbox holds 8192 packets (11 MB): refilled every 4 ms it never runs dry.
        await new Promise((r) => setTimeout(r, 4));
      }
      const s = host.session(pk);
      const resent = (s?.stats.resent ?? 0) - resentBefore;
      resentBefore += resent;
      if (!finished) {
        return {
          bytes: 0,
          ms: RUN_LIMIT_MS,
          bad: 0,
          first8ms: 0,
          maxGapMs: 0,
          resent,
          timedOut: true,
        };
      }
      return { ...(await result), resent, timedOut: false };
    },
    async close() {
      await close();
      worker.terminate();
    },
  };
}

/** One c-toxcore file transfer of `total` bytes from `a` to `b` (friend `bOnA`). */
export async function toxcoreRun(
  a: ToxClient,
  b: ToxClient,
  bOnA: number,
  total: number,
): Promise<{ bytes: number; ms: number; bad: number } | null> {
  const since = b.events().length;
  await a.fileSend(bOnA, total);
  try {
    const e = await b.waitFor(/^file_done /, RUN_LIMIT_MS, { since });
    const [, , , bytes, ms, bad] = e.line.split(" ");
    return { bytes: Number(bytes), ms: Number(ms), bad: Number(bad) };
  } catch {
    return null;
  }
}

/** What one transfer moved; `note` is appended to the row's note. */
export interface Outcome {
  bytes: number;
  ms: number;
  bad: number;
  note?: string;
}

/** A peerkit run as an {@link Outcome} (`null`: timed out), with its resends and stall. */
export function peerkitOutcome(x: PeerkitRun): Outcome | null {
  if (x.timedOut) return null;
  return { ...x, note: `, ${x.resent} resent, stall ${x.maxGapMs.toFixed(0)} ms` };
}

/** The row of one transfer of `size` bytes (`null`: it timed out). */
export function outcomeRow(side: string, run: string, size: number, x: Outcome | null): Row {
  return {
    side,
    run,
    mbps: x ? mbps(x.bytes, x.ms) : 0,
    ms: x?.ms ?? 0,
    clean: x !== null && x.bytes === size && x.bad === 0,
    note: x ? `${x.bytes} B, ${x.bad} bad${x.note ?? ""}` : "timed out",
  };
}

/**
 * A new connection's first `first` bytes (`new 8MiB`), then `runs` transfers of `total`
 * (`run N`), each reported; stops after one that timed out.
 */
export async function series(
  report: (r: Row) => void,
  side: string,
  o: { runs: number; first: number; total: number },
  move: (k: number, size: number) => Promise<Outcome | null>,
): Promise<void> {
  for (let k = 0; k <= o.runs; k++) {
    const size = k === 0 ? o.first : o.total;
    const x = await move(k, size);
    report(outcomeRow(side, k === 0 ? "new 8MiB" : `run ${k}`, size, x));
    if (!x) break;
  }
}
