/**
 * The onion beside a command's DHT driver: an {@link OnionDriver} on the same socket, an
 * announcer (so `bootstrap --stay` and `friend listen` can be found by key), and a bounded
 * search for whether a key is announced (what `lookup` and `friend add` use).
 *
 * @example
 * ```ts
 * import { onionSearchSummary } from "./_onion.ts";
 * console.assert(onionSearchSummary({ announced: false, elapsedMs: 5, searchNodes: 0, paths: 0, relayPaths: 0 }).startsWith("onion: not announced"));
 * ```
 * @module
 */
import type { KeyPair } from "../lib/crypto/backend.ts";
import type { DhtDriver } from "../lib/dht/driver.ts";
import type { OnionClientEvent } from "../lib/onion/client_types.ts";
import { OnionDriver } from "../lib/onion/driver.ts";
import type { ListNode } from "../lib/onion/client_list.ts";
import type { PathNode } from "../lib/onion/client_packets.ts";
import type { RelayClient } from "../lib/relay/client_driver.ts";
import type { IdentityChoice } from "./_identity.ts";
import { type GlobalOptions, type Io, resolvePath } from "./_io.ts";

/**
 * Starts the onion client on `dht` under `realKeyPair` (the DHT must run under `dhtKeyPair`).
 *
 * @example
 * ```ts ignore
 * await using onion = startOnion(driver, keyPair, keyPair, nospam, (e) => console.log(e.type));
 * ```
 */
export function startOnion(
  dht: DhtDriver,
  dhtKeyPair: KeyPair,
  realKeyPair: KeyPair,
  nospam: Uint8Array | undefined,
  onEvent: (e: OnionClientEvent) => void,
  extras: OnionExtras = {},
): OnionDriver {
  const d = new OnionDriver({
    dht,
    dhtKeyPair,
    realKeyPair,
    onEvent,
    // As every c-toxcore client: a peer in the DHT is also a hop and announce node.
    serveOnion: true,
    ...(nospam ? { nospam } : {}),
    // --tcp-relay: every path starts at a relay, as c-toxcore's when UDP is blocked.
    ...(extras.relay ? { relay: extras.relay, udp: false } : {}),
    ...(extras.bootstrapNodes ? { bootstrapNodes: extras.bootstrapNodes } : {}),
  });
  d.start();
  return d;
}

/** What a command adds to its onion client beside the DHT. */
export interface OnionExtras {
  /** TCP relay links (`--tcp-relay`): every onion path starts at one of them. */
  relay?: RelayClient;
  /** Path nodes to use while the DHT knows few (the start nodes). */
  bootstrapNodes?: readonly PathNode[];
}

/**
 * How long the onion search may go on once the DHT lookup has found the key, at most. A
 * search round goes every 3 s; a node asked answers with closer nodes, asked at once, and
 * a fresh path that fails is replaced after 4 s, so reaching the nodes closest to the key
 * takes two or three rounds: 10 s covers three. The search ends sooner once it has
 * converged (see {@link searchConverged}).
 */
export const ONION_GRACE_MS = 10_000;

/** How long the search list must be unchanged to count as converged (one search round). */
export const SEARCH_STABLE_MS = 3000;

/**
 * True when an onion search can stop without finding the key: its list of announce nodes
 * is not empty, no node entered it in the last `stableMs`, and every node in it answered
 * after `since` (the moment the DHT found the peer) without holding the key's entry.
 *
 * @example
 * ```ts
 * import { searchConverged } from "./_onion.ts";
 * const n = { added: 0, lastResponse: 5000, isStored: 0 as const };
 * console.assert(searchConverged([n], 4000, 6000, 3000));
 * console.assert(!searchConverged([{ ...n, added: 4000 }], 4000, 6000, 3000));
 * console.assert(!searchConverged([n], 5500, 6000, 3000) && !searchConverged([], 0, 9, 1));
 * ```
 */
export function searchConverged(
  nodes: readonly Pick<ListNode, "added" | "lastResponse" | "isStored">[],
  since: number,
  now: number,
  stableMs: number,
): boolean {
  return nodes.length > 0 &&
    nodes.every((n) => n.added <= now - stableMs && n.lastResponse >= since && n.isStored !== 1);
}

/** What an onion search found. */
export interface OnionSearchResult {
  /** True when an announce node holds the key's entry (it is online). */
  announced: boolean;
  /** Time until found, or searched in all, ms. */
  elapsedMs: number;
  /** Announce nodes of the key's search list at the end. */
  searchNodes: number;
  /** Onion paths that were live at the end. */
  paths: number;
  /** Of those, paths whose first hop is a TCP relay. */
  relayPaths: number;
}

/** Options of {@link searchOnion}. */
export interface OnionSearchOptions extends OnionExtras {
  /** Give up after this long (ms). */
  timeoutMs: number;
  /** Stops the search. */
  signal: AbortSignal;
  /**
   * When the DHT found the key (driver clock), once it has: the search then ends at the
   * latest {@link ONION_GRACE_MS} later, or as soon as it has converged.
   */
  dhtFoundAt?: () => number | undefined;
}

/**
 * Searches the onion for `target` until an announce node reports its entry, the timeout
 * passes, `signal` aborts, or (after a DHT find) the grace ends. The client runs under
 * throwaway keys (it only asks).
 *
 * @example
 * ```ts ignore
 * const r = await searchOnion(driver, dhtKeyPair, target, { timeoutMs: 10_000, signal: io.signal });
 * ```
 */
export async function searchOnion(
  dht: DhtDriver,
  dhtKeyPair: KeyPair,
  target: Uint8Array,
  o: OnionSearchOptions,
): Promise<OnionSearchResult> {
  const { backend } = await import("../lib/crypto/backend.ts");
  const { keyEquals } = await import("../lib/dht/distance.ts");
  const start = dht.now();
  let foundAt: number | undefined;
  let wake = () => {};
  const extras: OnionExtras = {};
  if (o.relay) extras.relay = o.relay;
  if (o.bootstrapNodes) extras.bootstrapNodes = o.bootstrapNodes;
  await using onion = startOnion(dht, dhtKeyPair, backend().keyPair(), undefined, (e) => {
    if (e.type === "peer_found" && keyEquals(e.publicKey, target) && foundAt === undefined) {
      foundAt = dht.now();
      wake();
    }
  }, extras);
  onion.addFriend(target);
  await new Promise<void>((resolve) => {
    const t = setTimeout(done, o.timeoutMs);
    // After a DHT find: stop at the grace's end, or once the search has converged.
    const poll = setInterval(() => {
      const since = o.dhtFoundAt?.();
      if (since === undefined) return;
      const now = dht.now();
      const nodes = onion.client.searchNodes(target);
      if (now - since >= ONION_GRACE_MS || searchConverged(nodes, since, now, SEARCH_STABLE_MS)) {
        done();
      }
    }, 250);
    function done() {
      clearTimeout(t);
      clearInterval(poll);
      o.signal.removeEventListener("abort", done);
      resolve();
    }
    wake = done;
    if (o.signal.aborted) done();
    else o.signal.addEventListener("abort", done, { once: true });
  });
  const live = onion.client.livePaths(dht.now());
  return {
    announced: foundAt !== undefined,
    elapsedMs: Math.round((foundAt ?? dht.now()) - start),
    searchNodes: onion.client.searchNodes(target).length,
    paths: live.length,
    relayPaths: live.filter((p) => p.relay !== undefined).length,
  };
}

/**
 * One line saying what an onion search found.
 *
 * @example
 * ```ts
 * import { onionSearchSummary } from "./_onion.ts";
 * const s = onionSearchSummary({ announced: true, elapsedMs: 800, searchNodes: 4, paths: 2, relayPaths: 0 });
 * console.assert(s === "onion: announced (online), found in 800 ms");
 * ```
 */
export function onionSearchSummary(r: OnionSearchResult): string {
  const via = r.relayPaths > 0 ? ` (${r.relayPaths} of ${r.paths} paths through TCP relays)` : "";
  return r.announced
    ? `onion: announced (online), found in ${r.elapsedMs} ms${via}`
    : `onion: not announced (searched ${r.elapsedMs} ms, ${r.searchNodes} announce nodes answered, ${r.paths} paths)`;
}

/**
 * Announces the identity the DHT runs under on the onion (DHT and real key are then the
 * same), with its persisted nospam, saying on stderr when it is first stored and handing
 * every client event to `onEvent`.
 *
 * @example
 * ```ts ignore
 * await using onion = await startAnnouncer(driver, keyPair, "home", g, io);
 * ```
 */
export async function startAnnouncer(
  dht: DhtDriver,
  keyPair: KeyPair,
  identity: IdentityChoice,
  g: GlobalOptions,
  io: Io,
  onEvent: (e: OnionClientEvent) => void = () => {},
  extras: OnionExtras = {},
): Promise<OnionDriver> {
  const { loadNospam, nospamPath } = await import("./_nospam.ts");
  const nospam = identity === "ephemeral" ? undefined : await loadNospam(
    nospamPath(g.home, identity === "home" ? undefined : resolvePath(io.cwd, identity.file)),
  );
  let said = false;
  return startOnion(dht, keyPair, keyPair, nospam, (e) => {
    if (e.type === "announced" && !said && !g.quiet && !g.json) {
      said = true;
      io.err(`announced on the onion (stored on ${e.nodes} node(s))`);
    }
    onEvent(e);
  }, extras);
}
