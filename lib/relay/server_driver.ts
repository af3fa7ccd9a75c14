/**
 * The relay server on real sockets: listens on one or more TCP ports, feeds each connection
 * into a {@link RelayServer} core, writes its output in batches, pauses reads for the rate
 * limit and runs the core's timers.
 *
 * @example
 * ```ts ignore
 * import { backend } from "../crypto/mod.ts";
 * import { RelayServerDriver } from "./server_driver.ts";
 * await using relay = await RelayServerDriver.listen({
 *   keyPair: backend().keyPair(), hostname: "127.0.0.1", ports: [0],
 * });
 * console.log(relay.addrs[0]);
 * ```
 * @module
 */
import type { Addr } from "../net/addr.ts";
import { type Clock, realClock, type TimerId } from "../net/clock.ts";
import { denoNetwork } from "../net/deno.ts";
import { ClosedError, type Network, type Stream, type StreamListener } from "../net/types.ts";
import { RelayServer } from "./server.ts";
import type { KillReason, RelayServerOptions } from "./server_options.ts";
import { TaskSet } from "../util/tasks.ts";

/**
 * True for an accept error that concerns only the connection being accepted: reset or
 * aborted before it was accepted (Deno reports an RST-before-accept as `NotConnected`,
 * os error 107). The listener is fine and the next connection can be taken at once.
 *
 * @example
 * ```ts
 * import { isDeadConnection } from "./server_driver.ts";
 * console.assert(isDeadConnection(new Deno.errors.NotConnected("os error 107")));
 * console.assert(!isDeadConnection(new Error("Too many open files (os error 24)")));
 * ```
 */
export function isDeadConnection(e: unknown): boolean {
  return e instanceof Deno.errors.NotConnected ||
    e instanceof Deno.errors.ConnectionReset ||
    e instanceof Deno.errors.ConnectionAborted ||
    (e instanceof Error && /\(os error (103|104|107)\)/.test(e.message));
}

/** Options of {@link RelayServerDriver.listen}. */
export interface RelayServerDriverOptions extends RelayServerOptions {
  /** Address to bind (default 127.0.0.1). */
  hostname?: string;
  /** TCP ports to listen on; 0 picks a free one (default [0]). */
  ports?: number[];
  /** Network (default the real one). */
  network?: Network;
  /** Clock (default the real one). */
  clock?: Clock;
  /** Bytes read per socket read once a client is confirmed and busy (default 64 KiB; 2 KiB before). */
  readBufferBytes?: number;
  /** Told about every connection the server closes, with the reason. */
  onKill?: (conn: number, reason: KillReason, addr: Addr) => void;
}

interface Entry {
  stream: Stream;
  writing: boolean;
  closed: boolean;
  pause: { timer: TimerId; resolve: () => void } | null;
}

/**
 * A running TCP relay.
 *
 * @example
 * ```ts
 * import { backend } from "../crypto/mod.ts";
 * import { RelayServerDriver } from "./server_driver.ts";
 * const relay = await RelayServerDriver.listen({ keyPair: backend().keyPair() });
 * console.assert(relay.addrs[0]!.port > 0);
 * await relay.close();
 * ```
 */
export class RelayServerDriver implements AsyncDisposable {
  /** The protocol core (stats, `sendPacket`). */
  readonly core: RelayServer;
  readonly #listeners: StreamListener[];
  readonly #clock: Clock;
  readonly #entries = new Map<number, Entry>();
  readonly #tasks = new TaskSet();
  readonly #readBytes: number;
  readonly #onKill?: RelayServerDriverOptions["onKill"];
  /** Accepts that failed because the connection died in the backlog (retried at once). */
  deadAccepts = 0;
  /** Other accept failures (out of descriptors...), retried after 100 ms. */
  acceptErrors = 0;
  #timer: TimerId | null = null;
  #closed = false;
  readonly #wakeups = new Set<() => void>();

  private constructor(
    core: RelayServer,
    listeners: StreamListener[],
    opts: RelayServerDriverOptions,
  ) {
    this.core = core;
    this.#listeners = listeners;
    this.#clock = opts.clock ?? realClock;
    this.#readBytes = opts.readBufferBytes ?? 64 * 1024;
    this.#onKill = opts.onKill;
    for (const l of listeners) this.#tasks.track(this.#acceptLoop(l));
    this.#schedule();
  }

  /**
   * Binds every port and starts serving. Rejects (closing what was bound) when a port
   * cannot be bound.
   */
  static async listen(opts: RelayServerDriverOptions): Promise<RelayServerDriver> {
    const net = opts.network ?? denoNetwork;
    const hostname = opts.hostname ?? "127.0.0.1";
    const listeners: StreamListener[] = [];
    try {
      for (const port of opts.ports ?? [0]) listeners.push(await net.listen({ hostname, port }));
    } catch (e) {
      for (const l of listeners) l.close();
      throw e;
    }
    return new RelayServerDriver(new RelayServer(opts), listeners, opts);
  }

  /** The bound addresses, one per port. */
  get addrs(): Addr[] {
    return this.#listeners.map((l) => l.addr);
  }

  /** Sends a plaintext packet (id first) to a confirmed connection; see {@link RelayServer.sendPacket}. */
  sendPacket(conn: number, plaintext: Uint8Array): boolean {
    const ok = this.core.sendPacket(conn, plaintext, this.#clock.now());
    this.#pump();
    return ok;
  }

  /** Sends an out-of-band packet from the relay's own key; see {@link RelayServer.sendOobFromSelf}. */
  sendOobFromSelf(key: Uint8Array, data: Uint8Array): boolean {
    const ok = this.core.sendOobFromSelf(key, data);
    this.#pump();
    return ok;
  }

  /** Stops listening, closes every connection and waits for all tasks. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer !== null) this.#clock.clearTimeout(this.#timer);
    for (const l of this.#listeners) l.close();
    for (const w of [...this.#wakeups]) w();
    this.core.closeAll();
    this.#pump();
    for (const e of this.#entries.values()) this.#closeEntry(e);
    await this.#tasks.drain();
  }

  /** Same as {@link close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #schedule(): void {
    if (this.#closed) return;
    const wait = Math.max(0, this.core.nextTimeout() - this.#clock.now());
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = null;
      this.core.handleTimeout(this.#clock.now());
      this.#pump();
      this.#schedule();
    }, Math.min(wait, 1000));
  }

  async #acceptLoop(l: StreamListener): Promise<void> {
    while (!this.#closed) {
      let s: Stream;
      try {
        s = await l.accept();
      } catch (e) {
        if (this.#closed || e instanceof ClosedError) return;
        // A connection that died in the backlog (reset before it was accepted) costs
        // nothing: take the next one at once.
        if (isDeadConnection(e)) {
          this.deadAccepts++;
          continue;
        }
        // Out of file descriptors or another transient error: keep the listener, retry
        // shortly.
        this.acceptErrors++;
        await new Promise<void>((resolve) => {
          const wake = () => {
            this.#clock.clearTimeout(t);
            this.#wakeups.delete(wake);
            resolve();
          };
          const t = this.#clock.setTimeout(wake, 100);
          this.#wakeups.add(wake);
        });
        continue;
      }
      if (this.#closed) {
        s.close();
        return;
      }
      const id = this.core.accept(s.remoteAddr, this.#clock.now());
      const e: Entry = { stream: s, writing: false, closed: false, pause: null };
      this.#entries.set(id, e);
      this.#pump();
      this.#tasks.track(this.#readLoop(id, e));
    }
  }

  async #readLoop(id: number, e: Entry): Promise<void> {
    // Idle clients hold a small buffer; one that fills it gets a bigger one (up to
    // readBufferBytes once confirmed), and falls back after a run of small reads.
    const small = Math.min(2048, this.#readBytes);
    let buf = new Uint8Array(small);
    let smallReads = 0;
    try {
      while (!e.closed) {
        const pause = this.core.readPauseMs(id, this.#clock.now());
        if (pause > 0) {
          await new Promise<void>((resolve) => {
            e.pause = { timer: this.#clock.setTimeout(resolve, pause), resolve };
          });
          e.pause = null;
          if (e.closed) break;
        }
        const n = await e.stream.read(buf);
        if (n === null || e.closed) break;
        this.core.receive(id, buf.subarray(0, n), this.#clock.now());
        this.#pump();
        if (n === buf.length && buf.length < this.#readBytes && this.core.isConfirmed(id)) {
          buf = new Uint8Array(this.#readBytes);
          smallReads = 0;
        } else if (buf.length > small && n <= small && ++smallReads >= 32) {
          buf = new Uint8Array(small);
          smallReads = 0;
        } else if (n > small) smallReads = 0;
      }
    } catch { /* reset by peer */ }
    if (!e.closed) {
      this.core.closed(id);
      this.#closeEntry(e);
      this.#entries.delete(id);
      this.#pump();
    }
  }

  #pump(): void {
    for (const { id, reason } of this.core.pollClosed()) {
      const e = this.#entries.get(id);
      if (!e) continue;
      this.#entries.delete(id);
      this.#onKill?.(id, reason, e.stream.remoteAddr);
      // Flush nothing more: a killed connection is closed at once, as c-toxcore does.
      this.#closeEntry(e);
    }
    for (const id of this.core.pollWritable()) {
      const e = this.#entries.get(id);
      if (e && !e.writing && !e.closed) this.#tasks.track(this.#writeLoop(id, e));
    }
  }

  async #writeLoop(id: number, e: Entry): Promise<void> {
    e.writing = true;
    try {
      for (let out = this.core.takeOutput(id); out && !e.closed; out = this.core.takeOutput(id)) {
        await e.stream.write(out);
      }
    } catch {
      if (!e.closed) {
        this.core.closed(id);
        this.#closeEntry(e);
        this.#entries.delete(id);
        this.#pump(); // its peers' disconnect notifications
      }
    } finally {
      e.writing = false;
    }
  }

  #closeEntry(e: Entry): void {
    if (e.closed) return;
    e.closed = true;
    if (e.pause) {
      this.#clock.clearTimeout(e.pause.timer);
      e.pause.resolve();
    }
    e.stream.close();
  }
}
