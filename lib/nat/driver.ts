/**
 * The thin UDP driver of {@link NatDiscovery}: one datagram socket, the runtime's timers,
 * nothing else. It sends what the plan asks, feeds every datagram back, and resolves with
 * the report once the plan is done, bounded by the plan's retransmission schedule and by
 * `signal`. A host that shares one socket with the DHT feeds {@link NatDiscovery} itself
 * instead; this driver owns its socket.
 *
 * @example
 * ```ts ignore
 * import { discoverNat } from "./driver.ts";
 * const report = await discoverNat({ servers: [{ hostname: "127.0.0.1", port: 3478 }] });
 * console.log(report.mapping, report.filtering);
 * ```
 * @module
 */
import type { Addr } from "../net/addr.ts";
import { type Clock, realClock } from "../net/clock.ts";
import { denoNetwork } from "../net/deno.ts";
import type { Datagram, Network } from "../net/types.ts";
import { NatDiscovery, type NatDiscoveryOptions } from "./discovery.ts";
import type { NatReport } from "./report.ts";

/** Options of {@link discoverNat}. */
export interface DiscoverNatOptions extends Omit<NatDiscoveryOptions, "local"> {
  /** Where sockets come from (default: Deno's). */
  network?: Network;
  /** Local address to bind (default `0.0.0.0:0`, or `[::]:0` when the first server is IPv6). */
  bind?: Addr;
  /** Time source and timers (default: the real clock). */
  clock?: Clock;
  /** Stops the discovery early; the report then holds what was found so far. */
  signal?: AbortSignal;
}

/** A report plus the driver's counters. */
export interface DiscoverNatResult extends NatReport {
  /** Datagrams the socket refused to send (for example no route). */
  sendErrors: number;
  /** Datagrams received that answered none of our tests. */
  ignored: number;
}

const MAX_STEPS = 100_000;

/**
 * Runs RFC 5780 behaviour discovery over one UDP socket.
 *
 * @example
 * ```ts ignore
 * import { discoverNat } from "./driver.ts";
 * const r = await discoverNat({ servers: [{ hostname: "127.0.0.1", port: 3478 }], rto: 100, attempts: 3 });
 * console.log(r.mapped, r.servers[0]?.rttMs);
 * ```
 */
export async function discoverNat(opts: DiscoverNatOptions): Promise<DiscoverNatResult> {
  const clock = opts.clock ?? realClock;
  const v6 = opts.servers[0]?.hostname.includes(":") ?? false;
  const bind = opts.bind ?? { hostname: v6 ? "::" : "0.0.0.0", port: 0 };
  const sock = await (opts.network ?? denoNetwork).bindDatagram(bind);
  const d = new NatDiscovery({ ...opts, local: sock.localAddr }, clock.now());
  let sendErrors = 0, ignored = 0;
  // One receive is outstanding at a time; it survives timeouts and is reused.
  const rx: { p: Promise<Datagram | null> | null } = { p: null };
  const receive = () =>
    rx.p ??= sock.receive().then((x) => x, () => null).finally(() => rx.p = null);
  try {
    for (let step = 0; step < MAX_STEPS && !d.done && !opts.signal?.aborted; step++) {
      for (const t of d.pollTransmit()) {
        try {
          await sock.send(t.data, t.to);
        } catch {
          sendErrors++;
        }
      }
      if (d.done) break;
      const due = d.nextTimeout();
      const wait = due === null ? 0 : Math.max(0, due - clock.now());
      const got = await race(receive(), wait, clock, opts.signal);
      if (got === "timeout") d.handleTimeout(clock.now());
      else if (got === "aborted") break;
      else if (got === null) break; // socket closed under us
      else if (!d.handleDatagram(got.from, got.data, clock.now())) ignored++;
    }
  } finally {
    sock.close();
    await rx.p;
  }
  return { ...d.report(), sendErrors, ignored };
}

function race<T>(
  p: Promise<T>,
  ms: number,
  clock: Clock,
  signal: AbortSignal | undefined,
): Promise<T | "timeout" | "aborted"> {
  return new Promise((resolve) => {
    const onAbort = () => finish("aborted");
    const timer = clock.setTimeout(() => finish("timeout"), ms);
    signal?.addEventListener("abort", onAbort, { once: true });
    let done = false;
    function finish(v: T | "timeout" | "aborted") {
      if (done) return;
      done = true;
      clock.clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      resolve(v);
    }
    p.then(finish);
  });
}
