/**
 * The thin UDP driver of a {@link DhtNode}: it registers the DHT's packet kinds (0x00-0x04,
 * 0x20, 0x21) in a {@link UdpHost}'s table, feeds those datagrams to the node, sends what the
 * node queues and runs the node's timer. Other layers register their own kinds in the same
 * host (`driver.host.table`) and send through it.
 *
 * Given a `socket` instead of a `host`, the driver makes its own host and hands every kind
 * the DHT does not handle to `onOtherPacket` (guarded: a hook that throws is counted in
 * `host.table.stats.errors` and the datagram dropped).
 *
 * @example
 * ```ts ignore
 * import { DhtDriver } from "./driver.ts";
 * import { denoNetwork } from "../net/mod.ts";
 * import { backend } from "../crypto/mod.ts";
 * const socket = await denoNetwork.bindDatagram({ hostname: "127.0.0.1", port: 0 });
 * await using d = new DhtDriver({ socket, node: { keyPair: backend().keyPair() } });
 * d.start();
 * ```
 * @module
 */
import { type Addr } from "../net/addr.ts";
import { type Clock, realClock, type TimerId } from "../net/clock.ts";
import type { DatagramSocket } from "../net/types.ts";
import { canonicalAddr, UdpHost } from "../node/host.ts";
import { isDhtKind } from "./wire.ts";
import { DhtNode, type DhtNodeOptions } from "./node.ts";
import type { LookupOptions, LookupResult } from "./lookup.ts";

/**
 * The datagram kinds the DHT handles (0x00-0x04, 0x20, 0x21).
 *
 * @example
 * ```ts
 * import { DHT_KINDS } from "./driver.ts";
 * console.assert(DHT_KINDS.includes(0x20) && !DHT_KINDS.includes(0x03));
 * ```
 */
export const DHT_KINDS: readonly number[] = Array.from({ length: 256 }, (_, k) => k)
  .filter((k) => isDhtKind(k));

/** Options of a {@link DhtDriver}: a `host` to share, or a `socket` of its own. */
export type DhtDriverOptions =
  & {
    /** A node, or the options to make one. */
    node: DhtNode | DhtNodeOptions;
    /** Time source (default real time; a given host should use the same). */
    clock?: Clock;
  }
  & (
    | {
      /** The bound socket (the driver makes a host for it and closes it on `close()`). */
      socket: DatagramSocket;
      /** Receives every datagram whose kind the DHT does not handle. */
      onOtherPacket?: (data: Uint8Array, from: Addr) => void;
      host?: undefined;
    }
    | {
      /** A host shared with other layers (started and closed by its owner). */
      host: UdpHost;
      socket?: undefined;
      onOtherPacket?: undefined;
    }
  );

/** A lookup result plus why sends failed during it (`"127.0.0.2:1": "network unreachable"`). */
export type DriverLookupResult = LookupResult & { sendErrors?: Record<string, string> };

/** Drives a {@link DhtNode} over a {@link UdpHost}. */
export class DhtDriver implements AsyncDisposable {
  /** The node. */
  readonly node: DhtNode;
  /** The host whose socket the DHT shares. */
  readonly host: UdpHost;
  readonly #clock: Clock;
  readonly #ownsHost: boolean;
  #timer: TimerId | undefined;
  #timerAt = Infinity;
  #started = false;
  #closed = false;

  /** Wraps a node around a host or a bound socket. @param opts node, host or socket, clock */
  constructor(opts: DhtDriverOptions) {
    this.node = opts.node instanceof DhtNode ? opts.node : new DhtNode(opts.node);
    this.#clock = opts.clock ?? realClock;
    if (opts.host) {
      this.host = opts.host;
      this.#ownsHost = false;
    } else {
      this.host = new UdpHost({ socket: opts.socket, clock: this.#clock });
      this.#ownsHost = true;
      const other = opts.onOtherPacket;
      if (other) this.host.table.setFallback("other", (data, from) => other(data, from));
    }
    this.host.table.register("dht", DHT_KINDS, (data, from, now) => {
      this.node.handlePacket(data, from, now);
      this.flush();
    });
    const local = this.host.localAddr;
    if (!this.node.selfAddr && local.hostname !== "0.0.0.0" && local.hostname !== "::") {
      this.node.selfAddr = local;
    }
  }

  /** The socket. */
  get socket(): DatagramSocket {
    return this.host.socket;
  }

  /** Datagrams that could not be sent. */
  get sendErrors(): number {
    return this.host.sendErrors;
  }

  /** Local address of the socket. */
  get localAddr(): Addr {
    return this.socket.localAddr;
  }

  /** Current time of the driver's clock. */
  now(): number {
    return this.#clock.now();
  }

  /** Starts receiving (when the driver owns its host) and the timers. Idempotent. */
  start(): void {
    if (this.#started || this.#closed) return;
    this.#started = true;
    if (this.#ownsHost) this.host.start();
    this.#schedule();
  }

  /** Sends a datagram through the DHT socket (best effort). */
  send(data: Uint8Array, to: Addr): void {
    if (this.#closed) return;
    this.host.send(data, to);
  }

  /** Sends a nodes request for our key to a bootstrap node. */
  bootstrap(addr: Addr, publicKey: Uint8Array): void {
    this.node.bootstrap(canonicalAddr(addr), publicKey, this.#clock.now());
    this.flush();
  }

  /** Sends a ping request. */
  ping(addr: Addr, publicKey: Uint8Array): void {
    this.node.ping(canonicalAddr(addr), publicKey, this.#clock.now());
    this.flush();
  }

  /** Runs an iterative lookup; resolves when it ends (or `signal` aborts it). */
  lookup(
    target: Uint8Array,
    opts: LookupOptions & { signal?: AbortSignal } = {},
  ): Promise<DriverLookupResult> {
    const started = this.#clock.now();
    if (opts.seeds) {
      opts = { ...opts, seeds: opts.seeds.map((n) => ({ ...n, addr: canonicalAddr(n.addr) })) };
    }
    return new Promise<DriverLookupResult>((resolve) => {
      // Declared first: a lookup with nobody to ask ends inside startLookup, whose callback
      // removes the listener.
      const abort = () => {
        this.node.cancelLookup(l, this.#clock.now());
        this.flush();
      };
      const l = this.node.startLookup(target, this.#clock.now(), opts, (r) => {
        opts.signal?.removeEventListener("abort", abort);
        resolve(this.#withSendErrors(r, started));
      });
      // An already aborted signal never fires "abort": cancel now rather than at the deadline.
      if (opts.signal?.aborted) abort();
      else if (!l.done) opts.signal?.addEventListener("abort", abort, { once: true });
      this.flush();
      this.#schedule();
    });
  }

  /** Sends everything the node queued. */
  flush(): void {
    for (let t; (t = this.node.pollTransmit());) this.send(t.data, t.to);
  }

  /** The last send failure to `addr` ("network unreachable"...), if any. */
  sendError(addr: Addr): string | undefined {
    return this.host.sendFailure(addr)?.reason;
  }

  /** Stops the timers; closes the host (receive loop and socket) when the driver owns it. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.host.table.unregister("dht");
    if (this.#ownsHost) await this.host.close();
  }

  /** Same as {@link DhtDriver.close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #withSendErrors(r: LookupResult, since: number): DriverLookupResult {
    const errors = this.host.sendFailuresSince(since);
    return Object.keys(errors).length > 0 ? { ...r, sendErrors: errors } : r;
  }

  #schedule(): void {
    if (this.#closed) return;
    const at = this.node.nextTimeout();
    if (this.#timer !== undefined && at >= this.#timerAt) return;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timerAt = at;
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      this.#timerAt = Infinity;
      this.node.handleTimeout(this.#clock.now());
      this.flush();
      this.#schedule();
    }, Math.max(0, at - this.#clock.now()));
  }
}

/**
 * Runs an iterative lookup of `target` on a driver (for library users such as `punch`).
 *
 * @example
 * ```ts ignore
 * import { lookup } from "./driver.ts";
 * const r = await lookup(driver, targetKey, { parallel: 3 });
 * console.log(r.found, r.addr);
 * ```
 */
export function lookup(
  driver: DhtDriver,
  target: Uint8Array,
  opts: LookupOptions & { signal?: AbortSignal } = {},
): Promise<DriverLookupResult> {
  return driver.lookup(target, opts);
}
