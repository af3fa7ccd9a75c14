/**
 * The relay client on real sockets: a thin driver around {@link RelayClientCore}, which
 * holds every protocol rule (links to several relays, routes, failover, re-dial backoff,
 * out-of-band fallback, keep-alive). The driver opens and closes the streams the core asks
 * for, writes what it queues, feeds it what it reads, runs one timer at its
 * `nextTimeout()`, and hands its events to the subscribers of {@link RelayClient.on}.
 *
 * @example
 * ```ts ignore
 * import { backend } from "../crypto/mod.ts";
 * import { RelayClient } from "./client_driver.ts";
 * await using c = new RelayClient({ keyPair: backend().keyPair() });
 * c.addRelay({ hostname: "127.0.0.1", port: 33445 }, relayPublicKey);
 * c.addPeer(friendPublicKey);
 * c.on("data", (peer, data) => console.log(data.length));
 * await c.waitForPeer(friendPublicKey, 5000);
 * c.send(friendPublicKey, new TextEncoder().encode("hi"));
 * ```
 * @module
 */
import type { Addr } from "../net/addr.ts";
import { type Clock, realClock, type TimerId } from "../net/clock.ts";
import { denoNetwork } from "../net/deno.ts";
import type { Network, Stream } from "../net/types.ts";
import { PeerkitError } from "../util/errors.ts";
import { TaskSet } from "../util/tasks.ts";
import { RelayClientCore } from "./client_core.ts";
import type { RelayClientCoreOptions, RelayClientStats, RelayLinkInfo } from "./client_types.ts";
import {
  type PeerDataListener,
  RelayClientEvents,
  type RelayClientListeners,
} from "./client_events.ts";

/** Options of {@link RelayClient}: the core's, plus the network and clock. */
export interface RelayClientOptions extends RelayClientCoreOptions {
  /** Network (default the real one). */
  network?: Network;
  /** Clock (default the real one). */
  clock?: Clock;
}

type Slots = { [K in keyof RelayClientListeners]?: RelayClientListeners[K] };

/**
 * A client of one or more relays.
 *
 * @example
 * ```ts
 * import { backend } from "../crypto/mod.ts";
 * import { RelayClient } from "./client_driver.ts";
 * const c = new RelayClient({ keyPair: backend().keyPair() });
 * console.assert(c.relays().length === 0 && !c.isOnline(new Uint8Array(32)));
 * await c.close();
 * ```
 */
export class RelayClient implements AsyncDisposable {
  /** The sans-IO core (read its state; drive it only through this driver). */
  readonly core: RelayClientCore;
  readonly #net: Network;
  readonly #clock: Clock;
  readonly #events = new RelayClientEvents();
  readonly #slots: Slots = {};
  readonly #streams = new Map<number, Stream>();
  readonly #writing = new Set<number>();
  readonly #tasks = new TaskSet();
  readonly #waiters = new Set<{ check: () => void; close: () => void }>();
  readonly #onWritable = new Set<() => void>();
  #timer: TimerId | null = null;
  #timerAt = Infinity;
  #pumping = false;
  #again = false;
  #closed = false;

  /**
   * A client with no relays yet; add them with {@link RelayClient.addRelay}.
   *
   * @param opts key pair, network, clock, crypto, randomness, timings
   */
  constructor(opts: RelayClientOptions) {
    this.core = new RelayClientCore(opts);
    this.#net = opts.network ?? denoNetwork;
    this.#clock = opts.clock ?? realClock;
    for (const k of ["data", "oob", "peer", "relay", "onionResponse"] as const) {
      // The single-slot callbacks of earlier versions are one subscription each.
      this.#events.on(
        k,
        ((...a: unknown[]) =>
          (this.#slots[k] as ((...a: unknown[]) => void) | undefined)?.(...a)) as never,
      );
    }
  }

  /** Data from a peer, with the relay it came through (one slot; see {@link on}). */
  get onData(): RelayClientListeners["data"] | undefined {
    return this.#slots.data;
  }
  set onData(fn: RelayClientListeners["data"] | undefined) {
    this.#slots.data = fn;
  }
  /** Out-of-band packet from `sender` (one slot; see {@link on}). */
  get onOob(): RelayClientListeners["oob"] | undefined {
    return this.#slots.oob;
  }
  set onOob(fn: RelayClientListeners["oob"] | undefined) {
    this.#slots.oob = fn;
  }
  /** A peer became reachable or unreachable (one slot; see {@link on}). */
  get onPeer(): RelayClientListeners["peer"] | undefined {
    return this.#slots.peer;
  }
  set onPeer(fn: RelayClientListeners["peer"] | undefined) {
    this.#slots.peer = fn;
  }
  /** A relay link came up or went down (one slot; see {@link on}). */
  get onRelay(): RelayClientListeners["relay"] | undefined {
    return this.#slots.relay;
  }
  set onRelay(fn: RelayClientListeners["relay"] | undefined) {
    this.#slots.relay = fn;
  }
  /** An onion response from a relay (one slot; see {@link on}). */
  get onOnionResponse(): RelayClientListeners["onionResponse"] | undefined {
    return this.#slots.onionResponse;
  }
  set onOnionResponse(fn: RelayClientListeners["onionResponse"] | undefined) {
    this.#slots.onionResponse = fn;
  }

  /**
   * Subscribes to every event of `type`; returns the unsubscribe function. A listener that
   * throws is counted in {@link stats} and does not stop the others.
   */
  on<K extends keyof RelayClientListeners>(type: K, fn: RelayClientListeners[K]): () => void {
    return this.#events.on(type, fn);
  }

  /**
   * Subscribes to "a link's queue was handed to its socket": each time a write finishes and
   * the queue is taken again, so a {@link RelayClient.send} that returned false (queue full)
   * may be tried again. Returns the unsubscribe function; a listener that throws is ignored.
   */
  onWritable(fn: () => void): () => void {
    this.#onWritable.add(fn);
    return () => this.#onWritable.delete(fn);
  }

  /** Subscribes to data from `peer` only; returns the unsubscribe function. */
  onPeerData(peer: Uint8Array, fn: PeerDataListener): () => void {
    return this.#events.onPeerData(peer, fn);
  }

  /** This client's public key. */
  get publicKey(): Uint8Array {
    return this.core.publicKey;
  }

  /** The core's counters and the listener calls that threw. */
  stats(): RelayClientStats & { listenerErrors: number } {
    return { ...this.core.stats(), listenerErrors: this.#events.listenerErrors };
  }

  /** Starts linking to a relay (and relinking after losses) until removed or closed. */
  addRelay(addr: Addr, publicKey: Uint8Array): void {
    if (this.#closed) return;
    this.core.addRelay(addr, publicKey, this.#clock.now());
    this.#pump();
  }

  /** Drops a relay link for good. */
  removeRelay(publicKey: Uint8Array): void {
    this.core.removeRelay(publicKey, this.#clock.now());
    this.#pump();
  }

  /** Asks every relay for a route to `peer` (its DHT public key). */
  addPeer(peer: Uint8Array): void {
    this.core.addPeer(peer, this.#clock.now());
    this.#pump();
  }

  /** Forgets a peer and tells the relays to drop its routes. */
  removePeer(peer: Uint8Array): void {
    this.core.removePeer(peer, this.#clock.now());
    this.#pump();
  }

  /** True when some relay has an online route to `peer`. */
  isOnline(peer: Uint8Array): boolean {
    return this.core.isOnline(peer);
  }

  /** The relay links and their state. */
  relays(): RelayLinkInfo[] {
    return this.core.relays();
  }

  /**
   * Sends data to `peer` over the first relay with an online route, or out of band while
   * none is online. Returns false when nothing took it (the caller may retry).
   */
  send(peer: Uint8Array, data: Uint8Array): boolean {
    const ok = this.core.send(peer, data);
    if (ok) this.#pump();
    return ok;
  }

  /**
   * Sends an out-of-band packet (1..1024 bytes) to `peer` through every ready relay, or only
   * through `relay`. Returns how many relays took it.
   */
  sendOob(peer: Uint8Array, data: Uint8Array, relay?: Uint8Array): number {
    const n = this.core.sendOob(peer, data, relay);
    if (n > 0) this.#pump();
    return n;
  }

  /** Sends an onion request (payload after id 8) through `relay`. */
  sendOnionRequest(relay: Uint8Array, payload: Uint8Array): boolean {
    const ok = this.core.sendOnionRequest(relay, payload);
    if (ok) this.#pump();
    return ok;
  }

  /** Resolves when `n` relays are ready; rejects after `timeoutMs` or when the client closes. */
  waitForRelays(n: number, timeoutMs: number): Promise<void> {
    return this.#waitFor(
      () => this.core.relays().filter((l) => l.state === "ready").length >= n,
      timeoutMs,
      `fewer than ${n} relays ready`,
    );
  }

  /**
   * Resolves when `peer` has an online route; rejects after `timeoutMs` or when the client
   * closes.
   */
  waitForPeer(peer: Uint8Array, timeoutMs: number): Promise<void> {
    return this.#waitFor(() => this.isOnline(peer), timeoutMs, "peer not reachable");
  }

  /** Closes every link and waits for the background tasks. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.core.close();
    this.#pump();
    if (this.#timer !== null) this.#clock.clearTimeout(this.#timer);
    this.#timer = null;
    for (const w of [...this.#waiters]) w.close();
    await this.#tasks.drain();
  }

  /** Same as {@link close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #waitFor(ok: () => boolean, timeoutMs: number, what: string): Promise<void> {
    if (ok()) return Promise.resolve();
    if (this.#closed) return Promise.reject(closedError(what));
    return new Promise((resolve, reject) => {
      const waiter = {
        check: () => {
          if (!ok()) return;
          done();
          resolve();
        },
        close: () => {
          done();
          reject(closedError(what));
        },
      };
      const timer = this.#clock.setTimeout(() => {
        done();
        reject(new PeerkitError("RELAY_TIMEOUT", `${what} after ${timeoutMs} ms`));
      }, timeoutMs);
      const done = () => {
        this.#clock.clearTimeout(timer);
        this.#waiters.delete(waiter);
      };
      this.#waiters.add(waiter);
    });
  }

  /** Carries out what the core asked for; re-entrant calls are folded into the running one. */
  #pump(): void {
    if (this.#pumping) {
      this.#again = true;
      return;
    }
    this.#pumping = true;
    try {
      do {
        this.#again = false;
        for (const a of this.core.pollActions()) {
          if (a.type === "dial") this.#tasks.track(this.#dial(a.socket, a.addr));
          else {
            this.#streams.get(a.socket)?.close();
            this.#streams.delete(a.socket);
          }
        }
        for (const s of this.core.pollWritable()) this.#flush(s);
        for (const e of this.core.pollEvents()) this.#events.deliver(e);
        for (const w of [...this.#waiters]) w.check();
      } while (this.#again);
    } finally {
      this.#pumping = false;
    }
    this.#arm();
  }

  #arm(): void {
    const at = this.#closed ? Infinity : this.core.nextTimeout();
    if (at === this.#timerAt && this.#timer !== null) return;
    if (this.#timer !== null) this.#clock.clearTimeout(this.#timer);
    this.#timer = null;
    this.#timerAt = at;
    if (at === Infinity) return;
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = null;
      this.#timerAt = Infinity;
      this.core.handleTimeout(this.#clock.now());
      this.#pump();
    }, Math.max(0, at - this.#clock.now()));
  }

  async #dial(socket: number, addr: Addr): Promise<void> {
    let stream: Stream;
    try {
      stream = await this.#net.connect(addr);
    } catch {
      this.core.dialFailed(socket, this.#clock.now());
      this.#pump();
      return;
    }
    if (this.#closed) {
      stream.close();
      return;
    }
    this.#streams.set(socket, stream);
    this.core.connected(socket, this.#clock.now());
    this.#pump();
    const buf = new Uint8Array(64 * 1024);
    try {
      while (this.#streams.get(socket) === stream) {
        const n = await stream.read(buf);
        if (n === null) break;
        this.core.receive(socket, buf.subarray(0, n), this.#clock.now());
        this.#pump();
      }
    } catch { /* reset */ }
    stream.close();
    if (this.#streams.get(socket) === stream) {
      this.#streams.delete(socket);
      this.core.closed(socket, this.#clock.now());
      this.#pump();
    }
  }

  /** Tells the writable listeners that a write finished (the queue has room again). */
  #writable(): void {
    for (const fn of [...this.#onWritable]) {
      try {
        fn();
      } catch { /* a consumer's fault is its own */ }
    }
  }

  #flush(socket: number): void {
    const stream = this.#streams.get(socket);
    if (!stream || this.#writing.has(socket)) return;
    const first = this.core.takeOutput(socket);
    if (!first) return;
    this.#writing.add(socket);
    this.#tasks.track((async () => {
      try {
        for (let out: Uint8Array | null = first; out;) {
          await stream.write(out);
          out = this.core.takeOutput(socket);
          this.#writable(); // the queue is empty now: refused sends may go again
          out ??= this.core.takeOutput(socket); // what the listeners queued just now
        }
      } catch {
        stream.close();
        if (this.#streams.get(socket) === stream) {
          this.#streams.delete(socket);
          this.core.closed(socket, this.#clock.now());
          this.#pump();
        }
      } finally {
        this.#writing.delete(socket);
      }
    })());
  }
}

function closedError(what: string): PeerkitError {
  return new PeerkitError("RELAY_CLOSED", `${what}: the relay client was closed`);
}
