/**
 * The onion beside a command's DHT driver: an {@link OnionDriver} on the same socket, an
 * announcer (so `bootstrap --stay` and `friend listen` can be found by key), and a bounded
 * search for whether a key is announced (what `lookup` and `friend add` use).
 *
 * @example
 * ```ts
 * import { onionSearchSummary } from "./_onion.ts";
 * console.assert(onionSearchSummary({ announced: false, elapsedMs: 5, searchNodes: 0, paths: 0 }).startsWith("onion: not announced"));
 * ```
 * @module
 */
import type { KeyPair } from "../lib/crypto/backend.ts";
import type { DhtDriver } from "../lib/dht/driver.ts";
import type { OnionClientEvent } from "../lib/onion/client_types.ts";
import { OnionDriver } from "../lib/onion/driver.ts";
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
): OnionDriver {
  const d = new OnionDriver({
    dht,
    dhtKeyPair,
    realKeyPair,
    onEvent,
    // As every c-toxcore client: a peer in the DHT is also a hop and announce node.
    serveOnion: true,
    ...(nospam ? { nospam } : {}),
  });
  d.start();
  return d;
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
}

/**
 * Searches the onion for `target` until an announce node reports its entry, `timeoutMs`
 * passes, or `signal` aborts. The client runs under throwaway keys (it only asks).
 *
 * @example
 * ```ts ignore
 * const r = await searchOnion(driver, dhtKeyPair, target, 10_000, io.signal);
 * ```
 */
export async function searchOnion(
  dht: DhtDriver,
  dhtKeyPair: KeyPair,
  target: Uint8Array,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<OnionSearchResult> {
  const { backend } = await import("../lib/crypto/backend.ts");
  const { keyEquals } = await import("../lib/dht/distance.ts");
  const start = dht.now();
  let foundAt: number | undefined;
  let wake = () => {};
  await using onion = startOnion(dht, dhtKeyPair, backend().keyPair(), undefined, (e) => {
    if (e.type === "peer_found" && keyEquals(e.publicKey, target) && foundAt === undefined) {
      foundAt = dht.now();
      wake();
    }
  });
  onion.addFriend(target);
  await new Promise<void>((resolve) => {
    const t = setTimeout(done, timeoutMs);
    function done() {
      clearTimeout(t);
      signal.removeEventListener("abort", done);
      resolve();
    }
    wake = done;
    if (signal.aborted) done();
    else signal.addEventListener("abort", done, { once: true });
  });
  return {
    announced: foundAt !== undefined,
    elapsedMs: Math.round((foundAt ?? dht.now()) - start),
    searchNodes: onion.client.searchNodes(target).length,
    paths: onion.client.livePaths(dht.now()).length,
  };
}

/**
 * One line saying what an onion search found.
 *
 * @example
 * ```ts
 * import { onionSearchSummary } from "./_onion.ts";
 * const s = onionSearchSummary({ announced: true, elapsedMs: 800, searchNodes: 4, paths: 2 });
 * console.assert(s === "onion: announced (online), found in 800 ms");
 * ```
 */
export function onionSearchSummary(r: OnionSearchResult): string {
  return r.announced
    ? `onion: announced (online), found in ${r.elapsedMs} ms`
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
  });
}
