/**
 * Helpers of the link tests: a real network whose UDP can be cut (datagrams to and from
 * the socket vanish, as on a dead path, while TCP to the relay keeps working), and waiting
 * with a bound.
 * @module
 */
import { denoNetwork } from "../../lib/net/deno.ts";
import type { Datagram, DatagramSocket, Network } from "../../lib/net/types.ts";

/** A network over Deno's whose UDP sockets drop everything while `cut` is true. */
export interface CuttableNetwork extends Network {
  /** True: UDP datagrams are dropped both ways. */
  cut: boolean;
}

/** A fresh {@link CuttableNetwork}. */
export function cuttableNetwork(): CuttableNetwork {
  const net: CuttableNetwork = {
    ...denoNetwork,
    cut: false,
    bindDatagram: async (addr) => {
      const s = await denoNetwork.bindDatagram(addr);
      const wrapped: DatagramSocket = {
        get localAddr() {
          return s.localAddr;
        },
        send: (data, to) => net.cut ? Promise.resolve() : s.send(data, to),
        receive: async (): Promise<Datagram> => {
          for (;;) {
            const d = await s.receive();
            if (!net.cut) return d;
          }
        },
        close: () => s.close(),
        [Symbol.asyncDispose]: () => Promise.resolve(s.close()),
      };
      return wrapped;
    },
  };
  return net;
}

/** Waits until `ok()` or `ms` pass; returns `ok()`. */
export async function until(ok: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (!ok() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  return ok();
}
