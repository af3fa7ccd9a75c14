/**
 * The link's {@link PeerChannel}: one session's lossless messages 160-191 with backpressure
 * (a message the session's send ring cannot take yet waits, in order, and `send` resolves
 * when it is queued), messages kept until the first subscriber so none is missed, and a
 * clean close (bye, wait until acknowledged, kill). The session underneath is reached
 * through a {@link ChannelPort}, so this file does no I/O of its own.
 *
 * @example
 * ```ts
 * import { LinkChannel } from "./peer_channel.ts";
 * const sent: Uint8Array[] = [];
 * const ch = new LinkChannel("AB", {
 *   trySend: (m) => (sent.push(m), true), idle: () => true, kill: () => {}, paths: () => [],
 * });
 * await ch.send(new Uint8Array([160, 1]));
 * await ch.close();
 * console.assert(sent.length === 1 && (await ch.ended).reason === "local");
 * ```
 * @module
 */
import { type Clock, realClock, type TimerId } from "../net/clock.ts";
import {
  type ChannelEnd,
  isChannelId,
  MAX_MESSAGE,
  MESSENGER,
  PACKET,
  type PathKind,
  type PeerKind,
  reasonMessage,
} from "./channel.ts";
import type { PeerChannel } from "./channel.ts";

/** What a channel needs from the session underneath. */
export interface ChannelPort {
  /** Queues one message in the session; false when its send ring is full. */
  trySend(msg: Uint8Array): boolean;
  /** True when nothing is queued or unacknowledged. */
  idle(): boolean;
  /** Ends the session (kill packet). */
  kill(): void;
  /** Paths used so far. */
  paths(): readonly PathKind[];
}

/** How often a waiting send or `drained()` looks again (ms). */
const RETRY_MS = 2;
/** How long a close waits for the bye to be acknowledged before the kill (ms). */
const CLOSE_DRAIN_MS = 2_000;

interface Waiting {
  msg: Uint8Array;
  resolve: () => void;
  reject: (e: Error) => void;
}

/**
 * One channel to one peer.
 *
 * @example
 * ```ts
 * import { LinkChannel } from "./peer_channel.ts";
 * const ch = new LinkChannel("AB", { trySend: () => true, idle: () => true, kill: () => {}, paths: () => [] });
 * ch.deliver(new Uint8Array([160, 7]));
 * let got = 0;
 * ch.onMessage((m) => got = m[1]!); // kept until the first subscriber
 * console.assert(got === 7);
 * ch.end({ reason: "timeout" });
 * ```
 */
export class LinkChannel implements PeerChannel {
  /** The peer's real key, upper-case hex. */
  readonly peer: string;
  /** Resolves when the channel ends. */
  readonly ended: Promise<ChannelEnd>;
  readonly #port: ChannelPort;
  readonly #clock: Clock;
  readonly #subs = new Set<(msg: Uint8Array) => void>();
  #kept: Uint8Array[] | null = [];
  #waiting: Waiting[] = [];
  #timer: TimerId | null = null;
  #end: ChannelEnd | null = null;
  #resolveEnd!: (e: ChannelEnd) => void;
  #closing: Promise<void> | null = null;
  #kind: PeerKind = "unknown";
  readonly #kindWaiters = new Set<(k: PeerKind) => void>();
  /** Listener calls that threw. */
  listenerErrors = 0;
  /** A Tox client's Messenger packets dropped here (nickname, status, typing…). */
  messengerDropped = 0;

  /** A channel to `peer` over `port`. */
  constructor(peer: string, port: ChannelPort, clock: Clock = realClock) {
    this.peer = peer.toUpperCase();
    this.#port = port;
    this.#clock = clock;
    this.ended = new Promise((r) => this.#resolveEnd = r);
  }

  /** Paths used so far, in order. */
  get pathsUsed(): readonly PathKind[] {
    return this.#port.paths();
  }

  /** True once the channel has ended. */
  get isEnded(): boolean {
    return this.#end !== null;
  }

  /** The peer's kind as far as known. */
  get kind(): PeerKind {
    return this.#kind;
  }

  /** The link learnt the peer's kind from its first message; the first call wins. */
  setKind(k: Exclude<PeerKind, "unknown">): void {
    if (this.#kind !== "unknown") return;
    this.#kind = k;
    for (const fn of [...this.#kindWaiters]) fn(k);
  }

  /** Resolves with the peer's kind once known, `"unknown"` after `timeoutMs` or at the end. */
  peerKind(timeoutMs: number): Promise<PeerKind> {
    if (this.#kind !== "unknown" || this.#end) return Promise.resolve(this.#kind);
    return new Promise((resolve) => {
      const done = (k: PeerKind) => {
        this.#clock.clearTimeout(t);
        this.#kindWaiters.delete(done);
        resolve(k);
      };
      const t = this.#clock.setTimeout(() => done("unknown"), timeoutMs);
      this.#kindWaiters.add(done);
      this.ended.then(() => done(this.#kind));
    });
  }

  /** Queues one message; waits while the session's ring is full. */
  send(msg: Uint8Array): Promise<void> {
    const id = msg[0] ?? 0;
    const text = this.#kind === "tox" && (id === MESSENGER.MESSAGE || id === MESSENGER.ACTION);
    if (msg.length === 0 || msg.length > MAX_MESSAGE || !(isChannelId(id) || text)) {
      return Promise.reject(
        new RangeError("a channel message is 1..1373 bytes, id 160-191 (64/65 to a Tox client)"),
      );
    }
    if (this.#end || this.#closing) return Promise.reject(this.#endedError());
    if (this.#waiting.length === 0 && this.#port.trySend(msg)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.#waiting.push({ msg, resolve, reject });
      this.#arm();
    });
  }

  /** Subscribes to messages; the ones that came before the first subscriber come first. */
  onMessage(fn: (msg: Uint8Array) => void): () => void {
    this.#subs.add(fn);
    const kept = this.#kept;
    this.#kept = null;
    for (const m of kept ?? []) this.#call(fn, m);
    return () => this.#subs.delete(fn);
  }

  /** Resolves once everything queued has been acknowledged (or the channel ended). */
  drained(): Promise<void> {
    return this.#until(() => this.#waiting.length === 0 && this.#port.idle(), Infinity);
  }

  /** A bye with `reason` (when given), acknowledged or 2 s, then the kill. Idempotent. */
  close(reason?: string): Promise<void> {
    if (this.#end) return Promise.resolve();
    return this.#closing ??= (async () => {
      if (reason !== undefined) this.#port.trySend(reasonMessage(PACKET.BYE, reason));
      await this.#until(() => this.#waiting.length === 0 && this.#port.idle(), CLOSE_DRAIN_MS);
      if (!this.#end) this.#port.kill();
      this.end({ reason: "local" });
    })();
  }

  /** The link hands over one message from the peer. */
  deliver(msg: Uint8Array): void {
    if (this.#end) return;
    if (this.#kept) {
      this.#kept.push(msg);
      return;
    }
    for (const fn of [...this.#subs]) this.#call(fn, msg);
  }

  /** The link says the session ended; the first reason given wins. */
  end(e: ChannelEnd): void {
    if (this.#end) return;
    this.#end = e;
    if (this.#timer !== null) this.#clock.clearTimeout(this.#timer);
    this.#timer = null;
    for (const w of this.#waiting.splice(0)) w.reject(this.#endedError());
    this.#resolveEnd(e);
  }

  #endedError(): Error {
    return new Error(
      `channel to ${this.peer.slice(0, 8)} ended (${this.#end?.reason ?? "closing"})`,
    );
  }

  #call(fn: (msg: Uint8Array) => void, m: Uint8Array): void {
    try {
      fn(m);
    } catch {
      this.listenerErrors++;
    }
  }

  #arm(): void {
    if (this.#timer !== null || this.#end) return;
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = null;
      while (this.#waiting.length > 0 && this.#port.trySend(this.#waiting[0]!.msg)) {
        this.#waiting.shift()!.resolve();
      }
      if (this.#waiting.length > 0) this.#arm();
    }, RETRY_MS);
  }

  #until(ok: () => boolean, maxMs: number): Promise<void> {
    const start = this.#clock.now();
    return new Promise((resolve) => {
      const look = () => {
        if (this.#end || ok() || this.#clock.now() - start >= maxMs) return resolve();
        this.#clock.setTimeout(look, RETRY_MS * 5);
      };
      look();
    });
  }
}
