/**
 * `--tcp-relay HOST:PORT:PUBKEY` (repeatable) of `lookup` and `friend`: TCP relay links
 * under the command's DHT key pair, where every onion path then starts (relay packets 8 and
 * 9), as c-toxcore builds its paths when UDP is blocked. The start nodes stay the paths'
 * other hops while the DHT knows few nodes.
 *
 * @example
 * ```ts
 * import { TCP_RELAY_HELP } from "./_onion_relay.ts";
 * console.assert(TCP_RELAY_HELP.includes("HOST:PORT:PUBKEY"));
 * ```
 * @module
 */
import type { KeyPair } from "../lib/crypto/backend.ts";
import type { NodeInfo } from "../lib/dht/packed_node.ts";
import { formatAddr } from "../lib/net/addr.ts";
import { usageError } from "../lib/util/errors.ts";
import type { OnionExtras } from "./_onion.ts";

/** The option's help line. */
export const TCP_RELAY_HELP =
  "start every onion path at this TCP relay, HOST:PORT:PUBKEY (repeatable), as when UDP is blocked";

/** How long to wait for the first relay link to come up (ms). */
export const TCP_RELAY_CONNECT_MS = 5000;

/**
 * Validates `--tcp-relay` specs (usage errors exit 2); returns them unchanged.
 *
 * @example
 * ```ts
 * import { checkTcpRelaySpecs } from "./_onion_relay.ts";
 * const k = "AB".repeat(32);
 * console.assert((await checkTcpRelaySpecs("lookup", [`127.0.0.1:33445:${k}`])).length === 1);
 * await checkTcpRelaySpecs("lookup", ["nope"]).catch((e) => console.assert(e.usage));
 * ```
 */
export async function checkTcpRelaySpecs(cmd: string, specs: readonly string[]): Promise<string[]> {
  const { parseNodeSpec } = await import("./_nodes.ts");
  for (const s of specs) {
    try {
      parseNodeSpec(s);
    } catch (e) {
      throw usageError(`${cmd}: --tcp-relay: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return [...specs];
}

/**
 * Connects to the `--tcp-relay` relays under `keyPair` and waits for one to be ready.
 * Returns the extras to give the onion, the link to close, and `error` (a one-line reason)
 * when no relay came up.
 *
 * @example
 * ```ts ignore
 * const r = await openOnionRelays(specs, keyPair, g.home, start.nodes);
 * if (r.error) { io.err(`peerkit: ${r.error}`); return EXIT.FAILED; }
 * ```
 */
export async function openOnionRelays(
  specs: readonly string[],
  keyPair: KeyPair,
  home: string,
  startNodes: readonly NodeInfo[],
): Promise<{ extras: OnionExtras; close: () => Promise<void>; error?: string }> {
  if (specs.length === 0) return { extras: {}, close: () => Promise.resolve() };
  const { resolveStartNodes } = await import("./_nodes.ts");
  const r = await resolveStartNodes({ specs: [...specs], home, builtin: false });
  const { RelayClient } = await import("../lib/relay/client_driver.ts");
  const link = new RelayClient({ keyPair });
  for (const n of r.nodes) link.addRelay(n.addr, n.publicKey);
  const close = () => link.close();
  if (r.nodes.length === 0) {
    return { extras: {}, close, error: `--tcp-relay: cannot resolve ${specs.join(", ")}` };
  }
  // Ready, or every link down (refused, reset) after its first try, or 5 s.
  const deadline = Date.now() + TCP_RELAY_CONNECT_MS;
  for (;;) {
    const links = link.relays();
    if (links.some((l) => l.state === "ready")) {
      return { extras: { relay: link, bootstrapNodes: startNodes }, close };
    }
    const allDown = links.every((l) => l.state === "down");
    if (
      Date.now() >= deadline || (allDown && Date.now() >= deadline - TCP_RELAY_CONNECT_MS + 200)
    ) {
      const where = r.nodes.map((n) => formatAddr(n.addr)).join(", ");
      const why = allDown ? "refused or closed" : "no answer within 5 s";
      return { extras: {}, close, error: `--tcp-relay: no relay reachable (${why}: ${where})` };
    }
    await new Promise((ok) => setTimeout(ok, 50));
  }
}
