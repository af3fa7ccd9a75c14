/**
 * An in-memory network: datagrams and streams between endpoints in one process, with
 * injectable clock, latency and loss. Protocol drivers run on it unchanged; simulations
 * attach handlers directly and run thousands of nodes in virtual time. Hosts behind a NAT
 * attach to a `Nat` (`nat.ts`) standing on the network instead.
 *
 * @example
 * ```ts
 * import { MemoryNetwork } from "./memory.ts";
 * import { VirtualClock } from "./clock.ts";
 * const clock = new VirtualClock();
 * const net = new MemoryNetwork({ clock, latencyMs: 10 });
 * const got: string[] = [];
 * const a = net.attach({ hostname: "10.0.0.1", port: 1 }, () => {});
 * net.attach({ hostname: "10.0.0.2", port: 1 }, (d) => got.push(new TextDecoder().decode(d)));
 * a.send(new TextEncoder().encode("hi"), { hostname: "10.0.0.2", port: 1 });
 * clock.advance(10);
 * console.assert(got[0] === "hi");
 * ```
 * @module
 */
import { type Addr, formatAddr } from "./addr.ts";
import { type Clock, realClock } from "./clock.ts";
import { AsyncQueue } from "./queue.ts";
import {
  ClosedError,
  type Datagram,
  type DatagramSocket,
  type Network,
  type Stream,
  type StreamListener,
} from "./types.ts";

/** Options of a {@link MemoryNetwork}. */
export interface MemoryNetworkOptions {
  /** Time source for delivery (default: real time). */
  clock?: Clock;
  /** One-way delay in ms, fixed or per packet (default 0). */
  latencyMs?: number | ((from: Addr, to: Addr) => number);
  /** Probability in [0, 1] that a datagram is lost (default 0). Streams never lose. */
  loss?: number;
  /** Random source in [0, 1) for loss (default `Math.random`; pass `seededRandom(seed)` to replay). */
  random?: () => number;
}

/** A handler-level endpoint returned by {@link MemoryNetwork.attach}. */
export interface Endpoint {
  /** This endpoint's address. */
  readonly addr: Addr;
  /** Sends a datagram (delivered after latency unless lost). */
  send(data: Uint8Array, to: Addr): void;
  /** Removes the endpoint; later datagrams to it are dropped. */
  detach(): void;
}

/** Counters kept by the network. */
export interface MemoryNetworkStats {
  /** Datagrams handed to `send`. */
  sent: number;
  /** Datagrams delivered to a handler. */
  delivered: number;
  /** Lost to the loss model. */
  lost: number;
  /** Sent to an address nobody is bound to. */
  unreachable: number;
}

/** Receives datagrams delivered to an attached endpoint. */
export type Handler = (data: Uint8Array, from: Addr) => void;

/**
 * Anything datagram handlers attach to: the {@link MemoryNetwork} itself, or the private side
 * of a NAT (`lib/net/nat.ts`), which may in turn sit on another NAT's private side.
 */
export interface DatagramFabric {
  /** The clock deliveries are scheduled on. */
  readonly clock: Clock;
  /** Attaches a handler at `addr` (port 0 picks one); throws if the address is taken. */
  attach(addr: Addr, handler: Handler): Endpoint;
}

/**
 * A {@link DatagramSocket} over an endpoint of `fabric`.
 *
 * @example
 * ```ts
 * import { datagramSocket, MemoryNetwork } from "./memory.ts";
 * import { VirtualClock } from "./clock.ts";
 * const net = new MemoryNetwork({ clock: new VirtualClock() });
 * await using s = datagramSocket(net, { hostname: "10.0.0.1", port: 0 });
 * console.assert(s.localAddr.port > 0);
 * ```
 */
export function datagramSocket(fabric: DatagramFabric, addr: Addr): DatagramSocket {
  const q = new AsyncQueue<Datagram>("datagram socket");
  const ep = fabric.attach(addr, (data, from) => q.push({ data, from }));
  const sock: DatagramSocket = {
    localAddr: ep.addr,
    send: (data, to) => {
      if (q.closed) return Promise.reject(new ClosedError("datagram socket"));
      ep.send(data, to);
      return Promise.resolve();
    },
    receive: () => q.shift(),
    close: () => {
      ep.detach();
      q.close();
    },
    [Symbol.asyncDispose]: () => Promise.resolve(sock.close()),
  };
  return sock;
}

/** The in-memory network. */
export class MemoryNetwork implements Network, DatagramFabric {
  /** The clock deliveries are scheduled on. */
  readonly clock: Clock;
  /** Delivery counters. */
  readonly stats: MemoryNetworkStats = { sent: 0, delivered: 0, lost: 0, unreachable: 0 };
  readonly #latency: (from: Addr, to: Addr) => number;
  readonly #loss: number;
  readonly #random: () => number;
  readonly #udp = new Map<string, Handler>();
  readonly #tcp = new Map<string, (s: MemoryStream) => void>();
  #nextPort = 40000;

  /** A network with the given clock, latency, loss and randomness. */
  constructor(opts: MemoryNetworkOptions = {}) {
    this.clock = opts.clock ?? realClock;
    const l = opts.latencyMs ?? 0;
    this.#latency = typeof l === "number" ? () => l : l;
    this.#loss = opts.loss ?? 0;
    this.#random = opts.random ?? Math.random;
  }

  /** Attaches a datagram handler at `addr` (port 0 picks one). Throws if taken. */
  attach(addr: Addr, handler: Handler): Endpoint {
    const bound = this.#claim(addr, this.#udp);
    const key = formatAddr(bound);
    this.#udp.set(key, handler);
    return {
      addr: bound,
      send: (data, to) => this.#deliver(bound, to, data),
      detach: () => {
        if (this.#udp.get(key) === handler) this.#udp.delete(key);
      },
    };
  }

  /** Binds a datagram socket with the {@link DatagramSocket} interface. */
  bindDatagram(addr: Addr): Promise<DatagramSocket> {
    try {
      return Promise.resolve(datagramSocket(this, addr));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** Listens for streams at `addr`. */
  listen(addr: Addr): Promise<StreamListener> {
    const bound = this.#claim(addr, this.#tcp);
    const key = formatAddr(bound);
    const q = new AsyncQueue<Stream>("listener");
    this.#tcp.set(key, (s) => q.push(s));
    const l: StreamListener = {
      addr: bound,
      accept: () => q.shift(),
      close: () => {
        this.#tcp.delete(key);
        q.close();
      },
      [Symbol.asyncDispose]: () => Promise.resolve(l.close()),
    };
    return Promise.resolve(l);
  }

  /** Connects to a listener; rejects when none is at `addr`. */
  connect(addr: Addr): Promise<Stream> {
    const accept = this.#tcp.get(formatAddr(addr));
    if (!accept) return Promise.reject(new Error(`connection refused: ${formatAddr(addr)}`));
    const local = { hostname: "127.0.0.1", port: this.#freePort(this.#tcp) };
    const [a, b] = MemoryStream.pair(local, addr, this.clock, this.#latency(local, addr));
    accept(b);
    return Promise.resolve(a);
  }

  #deliver(from: Addr, to: Addr, data: Uint8Array): void {
    this.stats.sent++;
    if (this.#loss > 0 && this.#random() < this.#loss) {
      this.stats.lost++;
      return;
    }
    const copy = data.slice();
    const key = formatAddr(to);
    this.clock.setTimeout(() => {
      const h = this.#udp.get(key);
      if (!h) {
        this.stats.unreachable++;
        return;
      }
      this.stats.delivered++;
      h(copy, from);
    }, this.#latency(from, to));
  }

  #claim(addr: Addr, table: Map<string, unknown>): Addr {
    const bound = addr.port === 0 ? { ...addr, port: this.#freePort(table, addr.hostname) } : addr;
    if (table.has(formatAddr(bound))) throw new Error(`address in use: ${formatAddr(bound)}`);
    return bound;
  }

  #freePort(table: Map<string, unknown>, hostname = "127.0.0.1"): number {
    for (let i = 0; i < 65536; i++) {
      const p = this.#nextPort;
      this.#nextPort = this.#nextPort >= 65535 ? 1024 : this.#nextPort + 1;
      if (!table.has(formatAddr({ hostname, port: p }))) return p;
    }
    throw new Error("no free port");
  }
}

/** One end of an in-memory stream pair. */
class MemoryStream implements Stream {
  readonly localAddr: Addr;
  readonly remoteAddr: Addr;
  #peer!: MemoryStream;
  #chunks: Uint8Array[] = [];
  #waiter: (() => void) | undefined;
  #eof = false;
  #closed = false;
  #lastAt = 0;
  readonly #clock: Clock;
  readonly #latency: number;

  private constructor(local: Addr, remote: Addr, clock: Clock, latency: number) {
    this.localAddr = local;
    this.remoteAddr = remote;
    this.#clock = clock;
    this.#latency = latency;
  }

  static pair(a: Addr, b: Addr, clock: Clock, latency: number): [MemoryStream, MemoryStream] {
    const x = new MemoryStream(a, b, clock, latency);
    const y = new MemoryStream(b, a, clock, latency);
    x.#peer = y;
    y.#peer = x;
    return [x, y];
  }

  async read(buf: Uint8Array): Promise<number | null> {
    while (this.#chunks.length === 0) {
      if (this.#eof || this.#closed) return null;
      await new Promise<void>((r) => this.#waiter = r);
    }
    const c = this.#chunks[0]!;
    const n = Math.min(buf.length, c.length);
    buf.set(c.subarray(0, n));
    if (n === c.length) this.#chunks.shift();
    else this.#chunks[0] = c.subarray(n);
    return n;
  }

  write(data: Uint8Array): Promise<void> {
    if (this.#closed) return Promise.reject(new ClosedError("stream"));
    const copy = data.slice();
    this.#schedule(() => this.#peer.#receive(copy));
    return Promise.resolve();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#chunks = [];
    this.#wake();
    this.#schedule(() => this.#peer.#end());
  }

  [Symbol.asyncDispose](): Promise<void> {
    this.close();
    return Promise.resolve();
  }

  #schedule(fn: () => void): void {
    // Keep order: never deliver before something written earlier.
    const at = Math.max(this.#clock.now() + this.#latency, this.#lastAt);
    this.#lastAt = at;
    this.#clock.setTimeout(fn, at - this.#clock.now());
  }

  #receive(c: Uint8Array): void {
    if (this.#closed) return;
    this.#chunks.push(c);
    this.#wake();
  }

  #end(): void {
    this.#eof = true;
    this.#wake();
  }

  #wake(): void {
    const w = this.#waiter;
    this.#waiter = undefined;
    w?.();
  }
}
