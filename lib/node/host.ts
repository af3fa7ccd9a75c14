/**
 * The thin driver of one UDP socket shared by several layers: it reads datagrams without
 * ever pausing, hands each to the {@link PacketTable} (whose handlers are guarded), and
 * sends for every layer through the same socket, remembering why a send failed ("network
 * unreachable", "permission denied"...) per destination so results can say so.
 *
 * Under overload reading continues; when more than `maxInFlight` sends are still pending
 * (possible only with a socket whose sends complete asynchronously), new sends are shed and
 * counted rather than queued without bound.
 *
 * @example
 * ```ts
 * import { UdpHost } from "./host.ts";
 * import { MemoryNetwork } from "../net/memory.ts";
 * const net = new MemoryNetwork();
 * await using a = new UdpHost({ socket: await net.bindDatagram({ hostname: "10.0.0.1", port: 1 }) });
 * await using b = new UdpHost({ socket: await net.bindDatagram({ hostname: "10.0.0.2", port: 1 }) });
 * let got = 0;
 * b.table.register("test", [0x42], () => got++);
 * b.start();
 * a.send(new Uint8Array([0x42]), b.localAddr);
 * for (let i = 0; i < 100 && got === 0; i++) await new Promise((r) => setTimeout(r, 5));
 * console.assert(got === 1);
 * ```
 * @module
 */
import { type Addr, formatAddr } from "../net/addr.ts";
import { type Clock, realClock } from "../net/clock.ts";
import { formatIp, parseIp, unmapIpv4 } from "../net/ip.ts";
import { ClosedError, type DatagramSocket } from "../net/types.ts";
import { PacketTable } from "./table.ts";

/** Sends pending at once above which new ones are shed. */
const MAX_IN_FLIGHT = 4096;
/** Destinations whose last send failure is remembered. */
const FAILURES_KEPT = 256;

/** Options of a {@link UdpHost}. */
export interface UdpHostOptions {
  /** The bound socket; the host closes it on `close()`. */
  socket: DatagramSocket;
  /** Time source for `now` passed to handlers (default real time). */
  clock?: Clock;
  /** The table (default a new one). */
  table?: PacketTable;
  /** Pending sends above which new sends are shed (default 4096). */
  maxInFlight?: number;
}

/** Why a send failed, as a send result can report it. */
export interface SendFailure {
  /** Short reason: "network unreachable", "permission denied"… */
  reason: string;
  /** Clock time of the failure. */
  at: number;
}

/**
 * The canonical text of an address, as received datagrams carry it: `::ffff:a.b.c.d`
 * becomes `a.b.c.d` (c-toxcore stores IPv4-mapped as IPv4) and IPv6 is compressed.
 *
 * @example
 * ```ts
 * import { canonicalAddr } from "./host.ts";
 * console.assert(canonicalAddr({ hostname: "::ffff:10.0.0.1", port: 1 }).hostname === "10.0.0.1");
 * ```
 */
export function canonicalAddr(a: Addr): Addr {
  if (!a.hostname.includes(":")) return a;
  const ip = parseIp(a.hostname);
  return ip && ip.length === 16 ? { hostname: formatIp(unmapIpv4(ip)), port: a.port } : a;
}

/**
 * A short reason for a failed send: the `reason` of a batched-socket error, or Deno's
 * message without its "(os error N)" suffix, lower-cased.
 *
 * @example
 * ```ts
 * import { sendFailureReason } from "./host.ts";
 * const e = new Error("Network is unreachable (os error 101)");
 * console.assert(sendFailureReason(e) === "network unreachable");
 * ```
 */
export function sendFailureReason(e: unknown): string {
  if (e && typeof e === "object" && "reason" in e && typeof e.reason === "string") return e.reason;
  const text = e instanceof Error ? e.message : String(e);
  const s = text.replace(/\s*\(os error \d+\)\s*$/, "").trim().toLowerCase();
  return (s.replace(/^network is unreachable$/, "network unreachable") || "send failed")
    .slice(0, 120);
}

/**
 * One UDP socket, one receive loop, one packet table.
 *
 * @example
 * ```ts
 * import { UdpHost } from "./host.ts";
 * import { MemoryNetwork } from "../net/memory.ts";
 * const socket = await new MemoryNetwork().bindDatagram({ hostname: "10.0.0.1", port: 1 });
 * await using h = new UdpHost({ socket });
 * h.table.register("stun", [0x00], () => {});
 * h.start();
 * ```
 */
export class UdpHost implements AsyncDisposable {
  /** The socket. */
  readonly socket: DatagramSocket;
  /** Packet kind to handler. */
  readonly table: PacketTable;
  /** Sends that failed (any reason). */
  sendErrors = 0;
  /** Sends dropped because too many were pending. */
  sendsShed = 0;
  /** Datagrams received. */
  received = 0;
  readonly #clock: Clock;
  readonly #maxInFlight: number;
  readonly #failures = new Map<string, SendFailure>();
  #inFlight = 0;
  #loop: Promise<void> | undefined;
  #closed = false;

  /** A host around a bound socket. @param opts socket, clock, table, send limit */
  constructor(opts: UdpHostOptions) {
    this.socket = opts.socket;
    this.table = opts.table ?? new PacketTable();
    this.#clock = opts.clock ?? realClock;
    this.#maxInFlight = opts.maxInFlight ?? MAX_IN_FLIGHT;
  }

  /** Local address of the socket. */
  get localAddr(): Addr {
    return this.socket.localAddr;
  }

  /** True after {@link UdpHost.close}. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Starts the receive loop. Idempotent. */
  start(): void {
    if (this.#loop || this.#closed) return;
    this.#loop = this.#receiveLoop();
  }

  /** Sends a datagram (best effort); a failure is counted and its reason remembered. */
  send(data: Uint8Array, to: Addr): void {
    if (this.#closed) return;
    if (this.#inFlight >= this.#maxInFlight) {
      this.sendsShed++;
      return;
    }
    this.#inFlight++;
    this.socket.send(data, to).then(
      () => this.#inFlight--,
      (e) => {
        this.#inFlight--;
        if (this.#closed && e instanceof ClosedError) return;
        this.sendErrors++;
        this.#fail(to, sendFailureReason(e));
      },
    );
  }

  /** The last send failure to `to`, if one is remembered. */
  sendFailure(to: Addr): SendFailure | undefined {
    return this.#failures.get(formatAddr(canonicalAddr(to)));
  }

  /** Send failures since clock time `t`, by `host:port`. */
  sendFailuresSince(t: number): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, f] of this.#failures) if (f.at >= t) out[k] = f.reason;
    return out;
  }

  /** Stops the receive loop and closes the socket. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.socket[Symbol.asyncDispose]();
    await this.#loop;
  }

  /** Same as {@link UdpHost.close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #fail(to: Addr, reason: string): void {
    const key = formatAddr(canonicalAddr(to));
    this.#failures.delete(key);
    if (this.#failures.size >= FAILURES_KEPT) {
      const oldest = this.#failures.keys().next().value;
      if (oldest !== undefined) this.#failures.delete(oldest);
    }
    this.#failures.set(key, { reason, at: this.#clock.now() });
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
        // Any other failure: retry, but yield to the timers first.
        await new Promise((r) => setTimeout(r, 1));
        continue;
      }
      this.received++;
      this.table.dispatch(d.data, canonicalAddr(d.from), this.#clock.now());
    }
  }
}
