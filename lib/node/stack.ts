/**
 * The one place where the UDP side of a node is put together: one socket (batched on Linux,
 * see {@link denoBatchNetwork}), one {@link UdpHost} with its packet table, and the DHT
 * registered in it. Other layers (onion, later STUN, net_crypto, punch probes) register
 * their kinds in `stack.host.table` and send with `stack.host.send`.
 *
 * @example
 * ```ts
 * import { openUdpStack } from "./stack.ts";
 * import { backend } from "../crypto/mod.ts";
 * await using s = await openUdpStack({ keyPair: backend().keyPair() });
 * s.host.table.register("echo", [0x42], (data, from) => s.host.send(data, from));
 * console.assert(s.host.localAddr.port > 0);
 * ```
 * @module
 */
import { DhtDriver } from "../dht/driver.ts";
import type { DhtNodeOptions } from "../dht/node_types.ts";
import type { Clock } from "../net/clock.ts";
import { denoBatchNetwork } from "../net/deno.ts";
import type { Network } from "../net/types.ts";
import { UdpHost } from "./host.ts";

/** Options of {@link openUdpStack}: the DHT node's, plus where to bind. */
export interface UdpStackOptions extends DhtNodeOptions {
  /** Address to bind (default 127.0.0.1). */
  hostname?: string;
  /** UDP port (default 0: a free one). */
  port?: number;
  /** Network (default {@link denoBatchNetwork}). */
  network?: Network;
  /** Clock (default real time). */
  clock?: Clock;
}

/** A started host with the DHT registered in it. */
export interface UdpStack extends AsyncDisposable {
  /** Socket, receive loop and packet table. */
  host: UdpHost;
  /** The DHT on that host. */
  dht: DhtDriver;
  /** Stops the DHT, then the host. Idempotent. */
  close(): Promise<void>;
}

/**
 * Binds the socket, makes the host and the DHT driver, starts both.
 *
 * @example
 * ```ts
 * import { openUdpStack } from "./stack.ts";
 * import { backend } from "../crypto/mod.ts";
 * const s = await openUdpStack({ keyPair: backend().keyPair(), lanDiscovery: false });
 * await s.close();
 * ```
 */
export async function openUdpStack(opts: UdpStackOptions): Promise<UdpStack> {
  const { hostname, port, network, clock, ...node } = opts;
  const socket = await (network ?? denoBatchNetwork).bindDatagram({
    hostname: hostname ?? "127.0.0.1",
    port: port ?? 0,
  });
  const host = new UdpHost(clock ? { socket, clock } : { socket });
  const dht = new DhtDriver(clock ? { host, node, clock } : { host, node });
  host.start();
  dht.start();
  let closing: Promise<void> | undefined;
  const close = () =>
    closing ??= (async () => {
      await dht.close();
      await host.close();
    })();
  return { host, dht, close, [Symbol.asyncDispose]: close };
}
