/**
 * Which wildcard address serves both IPv4 and IPv6 here, as tox-bootstrapd's `enable_ipv6`
 * (with `enable_ipv4_fallback`) does: `::` when an IPv6 socket can be bound and also
 * receives IPv4 (as IPv4-mapped addresses, Linux's default `net.ipv6.bindv6only=0`), else
 * `0.0.0.0` with a one-line notice saying why.
 *
 * The probe binds two throw-away UDP sockets: `[::]:0`, then `0.0.0.0` on the same port. On
 * a dual-stack socket the second bind fails with "address in use" (the IPv6 socket already
 * holds the IPv4 port); on an IPv6-only socket it succeeds. Deno has no way to clear
 * `IPV6_V6ONLY` itself, so an IPv6-only system serves IPv4 only.
 *
 * @example
 * ```ts
 * import { dualStackHost } from "./dual_stack.ts";
 * const { hostname } = await dualStackHost();
 * console.assert(hostname === "::" || hostname === "0.0.0.0");
 * ```
 * @module
 */
import { denoNetwork } from "./deno.ts";
import type { DatagramSocket, Network } from "./types.ts";

/** What {@link dualStackHost} found. */
export interface DualStackHost {
  /** `::` (IPv6 and IPv4) or `0.0.0.0` (IPv4 only). */
  hostname: "::" | "0.0.0.0";
  /** Why IPv4 only, for the operator; absent when dual-stack works. */
  notice?: string;
}

/**
 * Probes `network` (default the real one) for a dual-stack wildcard address. Never throws.
 *
 * @example
 * ```ts
 * import { dualStackHost } from "./dual_stack.ts";
 * import type { Network } from "./types.ts";
 * const noIpv6 = { bindDatagram: () => Promise.reject(new Error("no IPv6")) } as unknown as Network;
 * console.assert((await dualStackHost(noIpv6)).hostname === "0.0.0.0");
 * ```
 */
export async function dualStackHost(network: Network = denoNetwork): Promise<DualStackHost> {
  let v6: DatagramSocket;
  try {
    v6 = await network.bindDatagram({ hostname: "::", port: 0 });
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    return { hostname: "0.0.0.0", notice: `IPv6 is unavailable (${why}): serving IPv4 only` };
  }
  try {
    const v4 = await network.bindDatagram({ hostname: "0.0.0.0", port: v6.localAddr.port });
    v4.close();
    return {
      hostname: "0.0.0.0",
      notice: "IPv6 sockets here do not take IPv4 (net.ipv6.bindv6only=1): serving IPv4 only",
    };
  } catch {
    return { hostname: "::" };
  } finally {
    v6.close();
  }
}
