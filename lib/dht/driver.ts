/**
 * The thin UDP driver of a {@link DhtNode}: it owns one datagram socket and one timer, feeds
 * received DHT datagrams to the node, hands every other kind (net_crypto 0x18-0x1b, onion
 * 0x80+, forwarding 0x90+, announcements 0x93+, bootstrap info 0xf0…) to `onOtherPacket`, and
 * sends what the node queues. Other layers send through the same socket with `send()`.
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
import { formatIp, parseIp, unmapIpv4 } from "../net/ip.ts";
import { ClosedError, type DatagramSocket } from "../net/types.ts";
import { DhtNode, type DhtNodeOptions } from "./node.ts";
import type { LookupOptions, LookupResult } from "./lookup.ts";

/** Sends in flight above which the receive loop pauses until they fall to the low mark. */
const SEND_HIGH_WATER = 64;
const SEND_LOW_WATER = 16;

/** Options of a {@link DhtDriver}. */
export interface DhtDriverOptions {
  /** The bound socket (the driver closes it on `close()`). */
  socket: DatagramSocket;
  /** A node, or the options to make one. */
  node: DhtNode | DhtNodeOptions;
  /** Time source (default real time). */
  clock?: Clock;
  /** Receives every datagram whose kind the DHT does not handle. */
  onOtherPacket?: (data: Uint8Array, from: Addr) => void;
}

/**
 * The canonical text of an address, as received datagrams carry it: `::ffff:a.b.c.d` becomes
 * `a.b.c.d` (c-toxcore stores IPv4-mapped as IPv4) and IPv6 is compressed (`::1`). Addresses
 * we are given get the same form, since a response counts only from the address we asked.
 */
function normalise(a: Addr): Addr {
  if (!a.hostname.includes(":")) return a;
  const ip = parseIp(a.hostname);
  return ip && ip.length === 16 ? { hostname: formatIp(unmapIpv4(ip)), port: a.port } : a;
}

/** Drives a {@link DhtNode} over a {@link DatagramSocket}. */
export class DhtDriver implements AsyncDisposable {
  /** The node. */
  readonly node: DhtNode;
  /** The socket. */
  readonly socket: DatagramSocket;
  /** Datagrams that could not be sent. */
  sendErrors = 0;
  readonly #clock: Clock;
  readonly #onOther: ((data: Uint8Array, from: Addr) => void) | undefined;
  #timer: TimerId | undefined;
  #timerAt = Infinity;
  #loop: Promise<void> | undefined;
  #closed = false;
  #sending = 0;
  #drained: (() => void) | undefined;

  /** Wraps a node around a bound socket. @param opts socket, node, clock, hook for other packets */
  constructor(opts: DhtDriverOptions) {
    this.socket = opts.socket;
    this.node = opts.node instanceof DhtNode ? opts.node : new DhtNode(opts.node);
    this.#clock = opts.clock ?? realClock;
    this.#onOther = opts.onOtherPacket;
    const local = opts.socket.localAddr;
    if (!this.node.selfAddr && local.hostname !== "0.0.0.0" && local.hostname !== "::") {
      this.node.selfAddr = local;
    }
  }

  /** Local address of the socket. */
  get localAddr(): Addr {
    return this.socket.localAddr;
  }

  /** Current time of the driver's clock. */
  now(): number {
    return this.#clock.now();
  }

  /** Starts receiving and the timers. Idempotent. */
  start(): void {
    if (this.#loop || this.#closed) return;
    this.#loop = this.#receiveLoop();
    this.#schedule();
  }

  /** Sends a datagram through the DHT socket (best effort). */
  send(data: Uint8Array, to: Addr): void {
    if (this.#closed) return;
    this.#sending++;
    this.socket.send(data, to).catch(() => this.sendErrors++).finally(() => {
      if (--this.#sending <= SEND_LOW_WATER && this.#drained) {
        const wake = this.#drained;
        this.#drained = undefined;
        wake();
      }
    });
  }

  /** Sends a nodes request for our key to a bootstrap node. */
  bootstrap(addr: Addr, publicKey: Uint8Array): void {
    this.node.bootstrap(normalise(addr), publicKey, this.#clock.now());
    this.flush();
  }

  /** Sends a ping request. */
  ping(addr: Addr, publicKey: Uint8Array): void {
    this.node.ping(normalise(addr), publicKey, this.#clock.now());
    this.flush();
  }

  /** Runs an iterative lookup; resolves when it ends (or `signal` aborts it). */
  lookup(
    target: Uint8Array,
    opts: LookupOptions & { signal?: AbortSignal } = {},
  ): Promise<LookupResult> {
    if (opts.seeds) {
      opts = { ...opts, seeds: opts.seeds.map((n) => ({ ...n, addr: normalise(n.addr) })) };
    }
    return new Promise<LookupResult>((resolve) => {
      // Declared first: a lookup with nobody to ask ends inside startLookup, whose callback
      // removes the listener.
      const abort = () => {
        this.node.cancelLookup(l, this.#clock.now());
        this.flush();
      };
      const l = this.node.startLookup(target, this.#clock.now(), opts, (r) => {
        opts.signal?.removeEventListener("abort", abort);
        resolve(r);
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

  /** Stops the timers and the receive loop and closes the socket. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.socket.close();
    this.#drained?.();
    await this.#loop;
  }

  /** Same as {@link DhtDriver.close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #receiveLoop(): Promise<void> {
    while (!this.#closed) {
      let d;
      try {
        d = await this.socket.receive();
      } catch (e) {
        // Closed under us (another layer shares the socket): every later receive fails at
        // once, so retrying would spin without ever yielding to timers.
        if (this.#closed || e instanceof ClosedError) return;
        continue;
      }
      const from = normalise(d.from);
      const now = this.#clock.now();
      if (!this.node.handlePacket(d.data, from, now)) this.#onOther?.(d.data, from);
      this.flush();
      // Under overload, let queued sends complete before reading more: otherwise reads win
      // every turn and answers starve.
      if (this.#sending > SEND_HIGH_WATER) {
        await new Promise<void>((r) => this.#drained = r);
      }
    }
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
): Promise<LookupResult> {
  return driver.lookup(target, opts);
}
