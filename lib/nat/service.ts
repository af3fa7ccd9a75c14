/**
 * A STUN responder on a UDP port shared with other layers: it claims, in the host's packet
 * table, the datagrams {@link isStunPacket} passes (by cookie, length and fingerprint, tried
 * before the kind table, since a Binding request begins 0x00/0x01 like a Tox ping), and
 * answers them through {@link StunResponderDriver}, which also binds the three extra
 * addresses an alternate needs. The host keeps reading its socket; nothing else changes.
 *
 * @example
 * ```ts
 * import { UdpHost } from "../node/host.ts";
 * import { denoNetwork } from "../net/deno.ts";
 * import { serveStunOnHost } from "./service.ts";
 * import { discoverNat } from "./driver.ts";
 * await using host = new UdpHost({ socket: await denoNetwork.bindDatagram({ hostname: "127.0.0.1", port: 0 }) });
 * await using stun = await serveStunOnHost(host);
 * host.start();
 * const r = await discoverNat({ servers: [host.localAddr], bind: { hostname: "127.0.0.1", port: 0 }, rto: 100, attempts: 2 });
 * console.assert(r.udp && stun.responder.stats.answered >= 1);
 * ```
 * @module
 */
import type { Addr } from "../net/addr.ts";
import type { Clock } from "../net/clock.ts";
import type { Network } from "../net/types.ts";
import type { UdpHost } from "../node/host.ts";
import type { RateLimitOptions } from "./rate.ts";
import { StunResponder, type StunResponderStats } from "./responder.ts";
import { StunResponderDriver, type StunResponderDriverStats } from "./responder_driver.ts";
import { isStunPacket } from "./wire.ts";

/** The packet-table layer name the responder registers under. */
export const STUN_LAYER = "stun";

/** Options of {@link serveStunOnHost}. */
export interface StunServiceOptions {
  /** Second IP and port (OTHER-ADDRESS); the host must then be bound to a specific IP. */
  alternate?: Addr;
  /** SOFTWARE text (default "peerkit"). */
  software?: string;
  /** Per-source rate limit (default: the responder's, 10/s, burst 20). */
  rate?: RateLimitOptions;
  /** Answer RFC 3489 clients (no magic cookie) too (default true). */
  legacy?: boolean;
  /** Where the alternate sockets come from (default: Deno's). */
  network?: Network;
  /** Clock of the rate limiter (default real time). */
  clock?: Clock;
}

/** A responder attached to a host. */
export interface StunService extends AsyncDisposable {
  /** The sans-IO core and its counters. */
  responder: StunResponder;
  /** Every local address answered on, the host's first. */
  addresses: Addr[];
  /** Counters of the responder and its driver, and `failures` of the handler itself. */
  stats(): StunResponderStats & StunResponderDriverStats & { failures: number };
  /** Unregisters from the table and closes the alternate sockets (not the host's). */
  close(): Promise<void>;
}

function isWildcard(hostname: string): boolean {
  return hostname === "0.0.0.0" || hostname === "::" || hostname === "[::]";
}

/**
 * Registers a STUN responder in `host.table` and binds the alternate addresses, if any.
 * An alternate beside a host bound to a wildcard address is a `RangeError` (the other
 * three sockets take the host's IP or port).
 *
 * @example
 * ```ts
 * import { UdpHost } from "../node/host.ts";
 * import { denoNetwork } from "../net/deno.ts";
 * import { serveStunOnHost } from "./service.ts";
 * await using host = new UdpHost({ socket: await denoNetwork.bindDatagram({ hostname: "0.0.0.0", port: 0 }) });
 * await serveStunOnHost(host, { alternate: { hostname: "127.0.0.2", port: 3479 } })
 *   .catch((e) => console.assert(e instanceof RangeError));
 * ```
 */
export async function serveStunOnHost(
  host: UdpHost,
  opts: StunServiceOptions = {},
): Promise<StunService> {
  const primary = host.localAddr;
  if (opts.alternate && isWildcard(primary.hostname)) {
    throw new RangeError("a STUN alternate address needs the UDP port bound to a specific IP");
  }
  const responder = new StunResponder({
    primary,
    ...(opts.alternate ? { alternate: opts.alternate } : {}),
    ...(opts.software !== undefined ? { software: opts.software } : {}),
    ...(opts.rate ? { rate: opts.rate } : {}),
    legacy: opts.legacy ?? true,
  });
  const driver = await StunResponderDriver.bind(responder, {
    shared: host.socket,
    ...(opts.network ? { network: opts.network } : {}),
    ...(opts.clock ? { clock: opts.clock } : {}),
  });
  const legacy = { legacy: opts.legacy ?? true };
  let failures = 0;
  host.table.registerMatcher(STUN_LAYER, (d) => isStunPacket(d, legacy), (data, from) => {
    // The driver counts its own send failures; anything else that goes wrong later (the
    // handler is async, beyond the table's guard) is counted here, never left unhandled.
    driver.handle({ data, from }, primary).catch(() => failures++);
  });
  let closing: Promise<void> | undefined;
  const close = () =>
    closing ??= (async () => {
      host.table.unregister(STUN_LAYER);
      await driver.close();
    })();
  return {
    responder,
    addresses: driver.addresses,
    stats: () => ({ ...responder.stats, ...driver.stats, failures }),
    close,
    [Symbol.asyncDispose]: close,
  };
}
