/**
 * Runs a {@link ReceiverMachine} for one incoming transfer: decides offers (names, sizes,
 * resume from the {@link Store}), writes the content, commits or keeps the partial file,
 * and reports. Messages it is handed go through the machine synchronously, in order; the
 * storing runs on one serial chain behind them. Owns the idle timer.
 *
 * @example
 * ```ts ignore
 * import { receiveTransfer } from "./receive_driver.ts";
 * const r = receiveTransfer({ peer, send: (m) => channel.send(m), saveDir: "/tmp/in",
 *   onText: (t) => console.log(t) });
 * channel.onMessage((m) => r.handle(m));
 * console.log(await r.done);
 * ```
 * @module
 */
import type { ChannelEnd } from "../link/channel.ts";
import { toHex } from "../util/bytes.ts";
import { PeerkitError } from "../util/errors.ts";
import { MAX_TEXT_BYTES, REFUSE_CODE } from "./constants.ts";
import { badName } from "./names.ts";
import { createReceiverMachine, type Offer, type ReceiverOutput } from "./receiver.ts";
import { type Incoming, openStore, type Store, type StoreRequest } from "./store.ts";
import { createHash } from "node:crypto";

/** What one incoming transfer came to. */
export interface ReceiveResult {
  /** `message` or `file` (stored or not), `refused` when the offer was not taken. */
  kind: "message" | "file" | "refused";
  /** True when stored (a file) or printed (a message) with a matching hash. */
  ok: boolean;
  /** The offered name. */
  name?: string;
  /** Where a file was stored. */
  path?: string;
  /** Content bytes received in this run. */
  bytes: number;
  /** Bytes held from an earlier run that this one resumed after. */
  resumedFrom: number;
  /** SHA-256 of what was stored, hex. */
  sha256?: string;
  /** Why not stored. */
  why?: string;
  /** Ms from the offer to the end. */
  timeMs: number;
}

/** Options of {@link receiveTransfer}. */
export interface ReceiveTransferOptions {
  /** The sender's key, upper-case hex (keys resumes). */
  peer: string;
  /** Sends a message to the sender (the channel's `send`). */
  send: (msg: Uint8Array) => Promise<void>;
  /** Where files are saved; absent: files are refused. */
  saveDir?: string;
  /** Called with a complete, verified message. */
  onText: (text: string) => Promise<void> | void;
  /** Called once, when the first content byte arrives (for time-to-first-byte reports). */
  onFirstData?: (info: { name: string; offset: number }) => void;
  /** The channel's end: a transfer still running then is broken off. */
  ended?: Promise<ChannelEnd>;
  /** Clock, ms (default `Date.now`). */
  now?: () => number;
}

/** One incoming transfer in progress. */
export interface IncomingTransfer {
  /** Takes the next transfer message from the channel, in order. */
  handle(msg: Uint8Array): void;
  /** Resolves (never rejects) when the transfer is over. */
  readonly done: Promise<ReceiveResult>;
}

const stores = new Map<string, Promise<Store>>();

function storeFor(dir: string): Promise<Store> {
  let s = stores.get(dir);
  if (!s) stores.set(dir, s = openStore(dir));
  return s;
}

/** How long an offer waits for the same file's earlier transfer to let go of it. */
const BUSY_WAIT_MS = 5000;

/**
 * Opens `req` in `store`, waiting up to {@link BUSY_WAIT_MS} while an earlier transfer of
 * the same file still holds it (a sender killed and started again: its old channel may
 * end only after the new offer arrives).
 */
async function openWhenFree(store: Store, req: StoreRequest): Promise<Incoming> {
  for (let waited = 0;; waited += 100) {
    try {
      return await store.open(req);
    } catch (e) {
      if (!(e instanceof PeerkitError && e.code === "BUSY") || waited >= BUSY_WAIT_MS) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/**
 * Starts receiving one transfer.
 *
 * @example
 * ```ts ignore
 * const r = receiveTransfer({ peer, send, saveDir, onText: console.log });
 * ```
 */
export function receiveTransfer(o: ReceiveTransferOptions): IncomingTransfer {
  const now = o.now ?? Date.now;
  const t0 = now();
  const m = createReceiverMachine(t0);
  let offer: Offer | null = null;
  let inc: Incoming | null = null;
  let text: Uint8Array[] = [];
  let first = true, finished = false;
  let chain = Promise.resolve();
  let resolve!: (r: ReceiveResult) => void;
  const done = new Promise<ReceiveResult>((r) => (resolve = r));
  const timer = setInterval(() => run(m.handleTimeout(now())), 1000);

  const result = (over: Partial<ReceiveResult>): ReceiveResult => ({
    kind: offer?.kind === "message" ? "message" : "file",
    ok: false,
    ...(offer?.name ? { name: offer.name } : {}),
    bytes: m.received,
    resumedFrom: m.total - m.received,
    timeMs: now() - t0,
    ...over,
  });
  const finish = (r: ReceiveResult) => {
    if (finished) return;
    finished = true;
    clearInterval(timer);
    resolve(r);
  };
  const step = async (out: ReceiverOutput) => {
    for (const msg of out.send) await o.send(msg).catch(() => {});
    for (const ev of out.events) {
      if (ev.type === "offer") await step(await decide(ev.offer));
      else if (ev.type === "restart") await inc?.restart();
      else if (ev.type === "data") {
        if (first) {
          first = false;
          o.onFirstData?.({ name: offer?.name ?? "", offset: m.total - m.received });
        }
        if (inc) await inc.write(ev.bytes);
        else text.push(ev.bytes);
      } else if (ev.type === "complete") await complete(ev.hash);
      else if (ev.type === "failed") {
        if (ev.resumable) await inc?.keep();
        else await inc?.discard();
        const refused = ev.why.startsWith("refused: ");
        finish(result({ ...(refused ? { kind: "refused" } : {}), why: ev.why }));
      }
    }
  };
  const run = (out: ReceiverOutput) => {
    chain = chain.then(() => step(out)).catch(async (e) => {
      await inc?.discard().catch(() => {});
      finish(result({ why: (e as Error).message }));
    });
  };
  async function decide(of: Offer): Promise<ReceiverOutput> {
    offer = of;
    if (of.kind === "message") {
      if (of.size === null || of.size > MAX_TEXT_BYTES) {
        return m.refuse(REFUSE_CODE.TOO_LARGE, `messages are at most ${MAX_TEXT_BYTES} bytes`);
      }
      return m.accept(0, createHash("sha256"), now());
    }
    if (o.saveDir === undefined) {
      return m.refuse(REFUSE_CODE.NO_FILES, "this receiver takes no files (no --save-dir)");
    }
    const bad = badName(of.name);
    if (bad !== null) return m.refuse(REFUSE_CODE.BAD_NAME, bad);
    try {
      inc = await openWhenFree(await storeFor(o.saveDir), {
        sender: o.peer,
        name: of.name,
        size: of.size,
        hash: of.hash,
      });
    } catch (e) {
      const code = e instanceof PeerkitError && e.code === "BUSY"
        ? REFUSE_CODE.OTHER
        : REFUSE_CODE.STORE;
      return m.refuse(code, (e as Error).message);
    }
    if (of.fresh && inc.offset > 0) await inc.restart();
    return m.accept(of.fresh ? 0 : inc.offset, inc.hasher, now());
  }
  async function complete(hash: Uint8Array) {
    const sha256 = toHex(hash);
    if (!inc) {
      const all = new Uint8Array(text.reduce((n, t) => n + t.length, 0));
      let at = 0;
      for (const t of text) all.set(t, (at += t.length) - t.length);
      text = [];
      let s: string;
      try {
        s = new TextDecoder("utf-8", { fatal: true }).decode(all);
      } catch {
        await step(m.finish(false, "the message is not UTF-8"));
        return finish(result({ why: "the message is not UTF-8", sha256 }));
      }
      await o.onText(s);
      await step(m.finish(true, ""));
      return finish(result({ ok: true, sha256 }));
    }
    try {
      const path = await inc.commit();
      await step(m.finish(true, path.slice(path.lastIndexOf("/") + 1)));
      finish(result({ ok: true, path, sha256 }));
    } catch (e) {
      await inc.discard();
      await step(m.finish(false, (e as Error).message));
      finish(result({ why: (e as Error).message, sha256 }));
    }
  }
  void o.ended?.then((end) => {
    chain = chain.then(async () => {
      if (finished) return;
      if (offer?.kind === "file") await inc?.keep();
      else await inc?.discard();
      finish(result({ why: `the channel ended (${end.reason}) mid-transfer` }));
    });
  });
  return {
    handle: (msg) => run(m.handle(msg, now())),
    done,
  };
}
