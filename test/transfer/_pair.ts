/**
 * Two in-process {@link PeerChannel}s joined back to back, for testing what runs on a
 * channel without sessions: messages arrive in order after a macrotask, `send` waits while
 * `window` messages are in flight, and `cut()` ends both sides as a lost path would.
 *
 * @module
 */
import type { ChannelEnd, PathKind, PeerChannel } from "../../lib/link/channel.ts";

/** One end of a pair, with test controls. */
export interface TestChannel extends PeerChannel {
  /** Messages this end has sent, in order (copies). */
  readonly sentLog: Uint8Array[];
  /** Drops messages this end sends whose first byte is in `ids` (to model a sender that is killed). */
  mute(pred: (msg: Uint8Array) => boolean): void;
}

/** A connected pair plus a way to break it. */
export interface ChannelPair {
  a: TestChannel;
  b: TestChannel;
  /** Ends both sides with `reason` (default: lost). */
  cut(end?: ChannelEnd): void;
}

/**
 * A pair of channels between keys `keyA` and `keyB`.
 *
 * @example
 * ```ts ignore
 * const { a, b } = channelPair("AA".repeat(32), "BB".repeat(32));
 * ```
 */
export function channelPair(keyA: string, keyB: string, window = 64): ChannelPair {
  let ended = false;
  const endings: ((e: ChannelEnd) => void)[] = [];
  const make = (
    peer: string,
  ): TestChannel & {
    deliver(m: Uint8Array): void;
    other?: TestChannel & { deliver(m: Uint8Array): void };
  } => {
    const subs = new Set<(m: Uint8Array) => void>();
    let inFlight = 0;
    let waiters: (() => void)[] = [];
    let muted: ((m: Uint8Array) => boolean) | null = null;
    const sentLog: Uint8Array[] = [];
    let resolveEnd!: (e: ChannelEnd) => void;
    const endP = new Promise<ChannelEnd>((r) => (resolveEnd = r));
    endings.push((e) => {
      resolveEnd(e);
      for (const w of waiters) w();
      waiters = [];
    });
    const ch = {
      peer,
      sentLog,
      pathsUsed: ["direct"] as PathKind[],
      ended: endP,
      mute(pred: (m: Uint8Array) => boolean) {
        muted = pred;
      },
      deliver(m: Uint8Array) {
        for (const s of subs) s(m);
      },
      other: undefined as (TestChannel & { deliver(m: Uint8Array): void }) | undefined,
      async send(msg: Uint8Array) {
        while (!ended && inFlight >= window) await new Promise<void>((r) => waiters.push(r));
        if (ended) throw new Error("channel ended");
        if (muted?.(msg)) return;
        const copy = msg.slice();
        sentLog.push(copy);
        inFlight++;
        setTimeout(() => {
          inFlight--;
          waiters.shift()?.();
          if (!ended) ch.other!.deliver(copy);
        }, 0);
      },
      onMessage(fn: (m: Uint8Array) => void) {
        subs.add(fn);
        return () => void subs.delete(fn);
      },
      drained: () => Promise.resolve(),
      close(_reason?: string) {
        cut({ reason: "local" });
        return Promise.resolve();
      },
    };
    return ch;
  };
  const a = make(keyB), b = make(keyA);
  a.other = b;
  b.other = a;
  const cut = (end: ChannelEnd = { reason: "lost", message: "cut" }) => {
    if (ended) return;
    ended = true;
    for (const e of endings) e(end);
  };
  return { a, b, cut };
}
