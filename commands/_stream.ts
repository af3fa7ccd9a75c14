/**
 * `connect`'s byte stream over a {@link PeerChannel}, both directions at once: our input
 * goes out as `[160][≤1372 bytes]` (waiting on the channel's backpressure), its end as
 * `[161]` once everything before it is queued; the peer's `[160]` bytes are written out in
 * order, its `[161]` ends our output. The stream is over when both directions have ended
 * (then the channel is closed cleanly), when either side closes, or on `signal`.
 *
 * @example
 * ```ts ignore
 * const r = await runStream(channel, { input: new ByteSource(Deno.stdin.readable), write, signal });
 * console.log(r.sent, r.received, r.end);
 * ```
 * @module
 */
import { type ChannelEnd, PACKET, type PeerChannel } from "../lib/link/channel.ts";

/** Bytes of stream data in one message. */
export const STREAM_CHUNK = 1372;

/**
 * One reader over an input stream, shared by the sessions of a `--keep-open` listener: a
 * chunk read while a session ended is handed to the next one.
 *
 * @example
 * ```ts
 * import { ByteSource } from "./_stream.ts";
 * const s = new ByteSource(new Blob(["hi"]).stream());
 * const c = await s.next();
 * console.assert(c?.length === 2 && (await s.next()) === null);
 * ```
 */
export class ByteSource {
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  #held: Uint8Array | null = null;
  #reading: Promise<Uint8Array | null> | null = null;
  #done = false;

  /** A source reading `stream`. */
  constructor(stream: ReadableStream<Uint8Array>) {
    this.#reader = stream.getReader();
  }

  /** The next chunk, `null` at the end. A chunk `putBack` comes first. */
  next(): Promise<Uint8Array | null> {
    if (this.#held) {
      const h = this.#held;
      this.#held = null;
      return Promise.resolve(h);
    }
    if (this.#done) return Promise.resolve(null);
    return this.#reading ??= this.#reader.read().then((r) => {
      this.#reading = null;
      if (r.done) this.#done = true;
      return r.done ? null : r.value;
    }, () => {
      this.#reading = null;
      this.#done = true;
      return null;
    });
  }

  /** Gives back a chunk (or its unsent rest) for the next reader. */
  putBack(c: Uint8Array): void {
    if (c.length > 0) this.#held = c;
  }
}

/** Options of {@link runStream}. */
export interface StreamOptions {
  /** What to send; absent: our direction ends at once (`--recv-only`). */
  input?: ByteSource;
  /** Writes the peer's bytes out (stdout), in order. */
  write: (bytes: Uint8Array) => Promise<void>;
  /** Ends the stream with a bye (Ctrl-C, SIGTERM). */
  signal: AbortSignal;
  /** How the peer's messages reach the stream (default `ch.onMessage`). */
  subscribe?: (fn: (msg: Uint8Array) => void) => () => void;
}

/** How a stream ended. */
export interface StreamOutcome {
  /** Bytes we sent. */
  sent: number;
  /** Bytes the peer sent us (written out). */
  received: number;
  /** Why the channel ended. */
  end: ChannelEnd;
  /** Both directions ended before the channel did. */
  complete: boolean;
  /** Our stdout failed (a closed pipe): why. */
  writeError?: string;
}

/**
 * Runs the stream on `ch` until it is over (see the module notes).
 *
 * @example
 * ```ts ignore
 * const out = await runStream(ch, { write: (b) => io.rawStdout!(b), signal: io.signal });
 * ```
 */
export async function runStream(ch: PeerChannel, o: StreamOptions): Promise<StreamOutcome> {
  const r: StreamOutcome = { sent: 0, received: 0, end: { reason: "local" }, complete: false };
  let localDone = false, remoteDone = false;
  let writing: Promise<void> = Promise.resolve();
  let finish!: () => void;
  const bothDone = new Promise<void>((res) => finish = res);
  const check = () => {
    if (localDone && remoteDone) finish();
  };
  const take = (m: Uint8Array) => {
    if (remoteDone) return;
    if (m[0] === PACKET.STREAM_DATA && m.length > 1) {
      const bytes = m.slice(1);
      r.received += bytes.length;
      writing = writing.then(() => r.writeError ? undefined : o.write(bytes)).catch((e) => {
        // Our output is gone (a closed pipe, as with `| head`): nothing more can be shown.
        r.writeError ??= e instanceof Error ? e.message : String(e);
        void ch.close("output closed");
      });
    } else if (m[0] === PACKET.STREAM_END) {
      remoteDone = true;
      check();
    }
  };
  const off = (o.subscribe ?? ((fn) => ch.onMessage(fn)))(take);
  const pump = async () => {
    while (o.input && !o.signal.aborted) {
      const chunk = await o.input.next();
      if (chunk === null) break;
      for (let at = 0; at < chunk.length; at += STREAM_CHUNK) {
        const piece = chunk.subarray(at, at + STREAM_CHUNK);
        const m = new Uint8Array(1 + piece.length);
        m[0] = PACKET.STREAM_DATA;
        m.set(piece, 1);
        try {
          await ch.send(m);
        } catch {
          o.input.putBack(chunk.subarray(at));
          return;
        }
        r.sent += piece.length;
      }
    }
    if (o.signal.aborted) return;
    await ch.send(new Uint8Array([PACKET.STREAM_END])).catch(() => {});
    localDone = true;
    check();
  };
  const pumping = pump();
  const stop = new Promise<void>((res) => {
    if (o.signal.aborted) res();
    o.signal.addEventListener("abort", () => res(), { once: true });
  });
  const first = await Promise.race([
    bothDone.then(() => "done" as const),
    ch.ended.then(() => "ended" as const),
    stop.then(() => "signal" as const),
  ]);
  if (first === "done") {
    r.complete = true;
    await writing;
    await ch.drained();
    await ch.close();
  } else if (first === "signal") {
    await ch.close("interrupted");
  }
  r.end = await ch.ended;
  off();
  await writing;
  void pumping; // may still wait on input that never comes; its chunk goes back to `input`
  return r;
}
