/**
 * Real peerkit DHT nodes on 127.0.0.1 for the e2e and interop tests: one driver on a fresh
 * port, its `HOST:PORT:PUBKEY` spec, and a bounded wait.
 *
 * @example
 * ```ts ignore
 * import { loopbackNode, nodeSpec } from "./_loopback.ts";
 * await using d = await loopbackNode();
 * console.log(nodeSpec(d));
 * ```
 * @module
 */
import { freePort } from "../_support/toxcore.ts";
import { tweetnaclBackend as nacl } from "../../lib/crypto/backend.ts";
import { denoNetwork } from "../../lib/net/deno.ts";
import { DhtDriver } from "../../lib/dht/driver.ts";
import { toHex } from "../../lib/util/bytes.ts";

/**
 * A started driver with a fresh key on a free 127.0.0.1 port (the caller closes it).
 *
 * @example
 * ```ts ignore
 * await using d = await loopbackNode();
 * ```
 */
export async function loopbackNode(): Promise<DhtDriver> {
  const socket = await denoNetwork.bindDatagram({ hostname: "127.0.0.1", port: freePort() });
  const d = new DhtDriver({ socket, node: { keyPair: nacl.keyPair() } });
  d.start();
  return d;
}

/**
 * The node as a `127.0.0.1:PORT:PUBKEY` spec for `--bootstrap`.
 *
 * @example
 * ```ts ignore
 * await peerkit(["lookup", key, "--bootstrap", nodeSpec(d)]);
 * ```
 */
export function nodeSpec(d: DhtDriver): string {
  return `127.0.0.1:${d.localAddr.port}:${toHex(d.node.publicKey)}`;
}

/**
 * Polls `cond` every 100 ms; throws `timed out waiting for <what>` after `ms`.
 *
 * @example
 * ```ts ignore
 * await waitFor("the daemon to answer", () => answered, 5000);
 * ```
 */
export async function waitFor(what: string, cond: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
