/**
 * Runs a {@link SenderMachine} on a {@link PeerChannel}: offers the source, checks a
 * resume prefix, streams the content with the channel's backpressure, and waits for the
 * receiver's result. Owns the timer; never closes the channel (its caller does).
 *
 * @example
 * ```ts ignore
 * import { sendOverChannel } from "./send_driver.ts";
 * import { messageSource } from "./source.ts";
 * const report = await sendOverChannel(channel, messageSource("hi"));
 * console.log(report.delivered, report.why);
 * ```
 * @module
 */
import type { ChannelEnd, PeerChannel } from "../link/channel.ts";
import { equals, toHex } from "../util/bytes.ts";
import { DATA_CHUNK } from "./constants.ts";
import { createSenderMachine, type SenderEvent } from "./sender.ts";
import type { Source } from "./source.ts";
import { isTransferMessage } from "./wire.ts";

/** Why a send did not deliver. */
export type SendFailure = "refused" | "unreachable" | "mismatch" | "interrupted";

/** What a send came to. */
export interface SendReport {
  /** True only when the receiver's hash and size of what it stored equal ours. */
  delivered: boolean;
  /** Why not, when not delivered. */
  failure?: SendFailure;
  /** One line saying why, when not delivered. */
  why?: string;
  /** Content bytes sent in this run. */
  bytes: number;
  /** The offset the data started at (bytes the receiver already held). */
  resumedFrom: number;
  /** Size of the whole content (known at the end for a stream). */
  size: number | null;
  /** Ms from the offer to the result. */
  timeMs: number;
  /** Our SHA-256 of the content, hex (`null` if not known). */
  sha256: string | null;
  /** The receiver's SHA-256 of what it stored, hex. */
  receiverSha256?: string;
  /** The name the receiver stored it under. */
  storedAs?: string;
}

/** Options of {@link sendOverChannel}. */
export interface SendOptions {
  /** Clock, ms (default `Date.now`). */
  now?: () => number;
  /**
   * Called as content goes out (`acked` false: queued on the channel) and as the receiver
   * reports what it holds (`acked` true): bytes of this run, and the offset it started at.
   */
  onProgress?: (bytes: number, resumedFrom: number, acked: boolean) => void;
  /** Bound on each wait for the receiver, ms (default 30 s). */
  timeoutMs?: number;
  /** Stops the send (reported as interrupted). */
  signal?: AbortSignal;
}

type Wake = SenderEvent | { type: "ended"; end: ChannelEnd } | { type: "aborted" };

/**
 * Sends `src` to the peer on `ch` and waits for the receiver's verdict. Never throws for
 * what the peer or the network does; the report says what happened.
 *
 * @example
 * ```ts ignore
 * const r = await sendOverChannel(channel, await fileSource("notes.txt"));
 * ```
 */
export async function sendOverChannel(
  ch: PeerChannel,
  src: Source,
  o: SendOptions = {},
): Promise<SendReport> {
  const now = o.now ?? Date.now;
  const t0 = now();
  const id = crypto.getRandomValues(new Uint8Array(8));
  const m = createSenderMachine(
    { id, kind: src.kind, name: src.name, size: src.size, hash: src.hash },
    o.timeoutMs,
  );
  const queue: Wake[] = [];
  let wake: (() => void) | null = null;
  const push = (ev: Wake) => {
    queue.push(ev);
    wake?.();
  };
  const off = ch.onMessage((msg) => {
    if (!isTransferMessage(msg)) return;
    for (const ev of m.handle(msg, now())) {
      if (ev.type === "progress") o.onProgress?.(ev.held - m.startedAt, m.startedAt, true);
      else push(ev);
    }
  });
  void ch.ended.then((end) => push({ type: "ended", end }));
  const onAbort = () => {
    push({ type: "aborted" });
    // A send waiting on a full ring (a vanished receiver never acknowledges) would wait
    // forever: ending the channel rejects it, so an interrupted send exits at once.
    void ch.close();
  };
  o.signal?.addEventListener("abort", onAbort);
  const timer = setInterval(() => {
    for (const ev of m.handleTimeout(now())) push(ev);
  }, 250);
  const next = async (): Promise<Wake> => {
    while (queue.length === 0) await new Promise<void>((r) => (wake = r));
    wake = null;
    return queue.shift()!;
  };
  const report = (over: Partial<SendReport>): SendReport => ({
    delivered: false,
    bytes: m.sent,
    resumedFrom: m.startedAt,
    size: src.size,
    timeMs: now() - t0,
    sha256: src.hash ? toHex(src.hash) : null,
    ...over,
  });
  const broke = (ev: Wake): SendReport => {
    if (ev.type === "refused") {
      return report({ failure: "refused", why: `refused: ${ev.reason}` });
    }
    if (ev.type === "ended") {
      const e = ev.end;
      const why = e.reason === "refused"
        ? `refused: ${e.message}`
        : e.reason === "timeout" || e.reason === "lost"
        ? `the peer went away (${e.reason === "lost" ? e.message : "timed out"})`
        : `the channel closed (${e.reason === "peer" ? e.message ?? "by the peer" : "locally"})`;
      return report({ failure: e.reason === "refused" ? "refused" : "interrupted", why });
    }
    if (ev.type === "aborted") return report({ failure: "interrupted", why: "interrupted" });
    if (ev.type === "failed") return report({ failure: "interrupted", why: ev.why });
    return report({ failure: "interrupted", why: `unexpected ${ev.type}` });
  };
  try {
    await ch.send(m.start(now()));
    let answer = await next();
    if (answer.type !== "accepted") return broke(answer);
    if (answer.offset > 0 && !equals(await src.prefixHash(answer.offset), answer.prefixHash)) {
      await ch.send(m.restart(now())); // what the receiver holds is not our first bytes
      answer = await next();
      if (answer.type !== "accepted") return broke(answer);
    }
    const from = answer.offset;
    m.begin(from);
    for await (const chunk of src.read(from)) {
      for (let at = 0; at < chunk.length; at += DATA_CHUNK) {
        if (queue.length > 0) return broke(queue.shift()!);
        await ch.send(m.data(chunk.subarray(at, Math.min(at + DATA_CHUNK, chunk.length))));
      }
      o.onProgress?.(m.sent, from, false);
    }
    const hash = src.finalHash();
    await ch.send(m.end(from + m.sent, hash, now()));
    const last = await next();
    if (last.type !== "result") return broke(last);
    const base = {
      size: from + m.sent,
      sha256: toHex(hash),
      receiverSha256: toHex(last.hash),
    };
    if (last.delivered) return report({ ...base, delivered: true, storedAs: last.text });
    const why = last.ok ? "the receiver's hash of what it stored differs from ours" : last.text;
    return report({ ...base, failure: "mismatch", why: `not stored: ${why}` });
  } catch (e) {
    // A send rejected because the channel ended: say why it ended, not that a send failed.
    let t: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([ch.ended, new Promise((r) => (t = setTimeout(r, 200)))]);
    clearTimeout(t);
    const ended = queue.find((q) => q.type === "ended");
    if (ended) return broke(ended);
    return report({ failure: "interrupted", why: (e as Error).message });
  } finally {
    clearInterval(timer);
    o.signal?.removeEventListener("abort", onAbort);
    off();
  }
}
