/**
 * The real network for a punch session: its first UDP socket (the punch socket, bound
 * first) is the batched Linux socket, which can send the first probes with a low TTL
 * (`lib/net/udp_linux.ts`); every later one (the birthday method's 256 extra sockets) is
 * Deno's. Idle batched sockets each hold an FFI poll thread for up to a second at a time, so
 * 256 of them delay the one socket that gets the hit by seconds (measured in the lab: the
 * birthday pairs' median went from under 1 s to 2-8 s); their first probes then go with the
 * default TTL, counted by `PunchDriver.lowTtl.unavailable`. TCP is Deno's.
 *
 * @example
 * ```ts
 * import { punchNetwork } from "./ttl_network.ts";
 * import { canSetTtl } from "../net/udp_linux.ts";
 * const net = punchNetwork();
 * await using main = await net.bindDatagram({ hostname: "127.0.0.1", port: 0 });
 * await using extra = await net.bindDatagram({ hostname: "127.0.0.1", port: 0 });
 * console.assert(!canSetTtl(extra) && (canSetTtl(main) || Deno.build.os !== "linux"));
 * ```
 * @module
 */
import { denoBatchNetwork, denoNetwork } from "../net/deno.ts";
import type { Network } from "../net/types.ts";

/** A fresh network whose first datagram socket is batched (see the module notes). */
export function punchNetwork(): Network {
  let first = true;
  return {
    ...denoNetwork,
    bindDatagram: (addr) => {
      const net = first ? denoBatchNetwork : denoNetwork;
      first = false;
      return net.bindDatagram(addr);
    },
  };
}
