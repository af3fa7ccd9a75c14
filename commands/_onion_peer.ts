/**
 * `connect --onion` (with `--bootstrap`): the peers find each other by key through the Tox
 * onion. Both run the DHT and the onion client on the link's own UDP socket under their
 * identity (the DHT key is the identity, peerkit's convention) and announce themselves; the
 * listener adds the key it allows as a friend, so its onion sends that peer its DHT-PK; the
 * dialler waits for that DHT-PK (`resolvePeer`: DHT key, relays, then the address from the
 * DHT) and dials it, through the TCP relays the DHT-PK lists when there are some. A
 * listener that gets an allowed friend's DHT-PK listing relays connects to them and sends
 * a cookie request there (a TCP-only peer reaches us only so). The dialler's `<id>` may be
 * a 76-hex Tox ID.
 *
 * @example
 * ```ts
 * import { peerIdText } from "./_onion_peer.ts";
 * console.assert(peerIdText("connect", "AB".repeat(32)) === "AB".repeat(32));
 * ```
 * @module
 */
import type { KeyPair } from "../lib/crypto/backend.ts";
import { DhtDriver } from "../lib/dht/driver.ts";
import { formatPublicKey } from "../lib/identity/pubkey.ts";
import { parseToxId, TOX_ID_HEX_LENGTH } from "../lib/identity/tox_id.ts";
import type { Link } from "../lib/link/link.ts";
import type { Addr } from "../lib/net/addr.ts";
import type { RelaySpec } from "../lib/punch/session.ts";
import type { OnionDriver } from "../lib/onion/driver.ts";
import { resolvePeer } from "../lib/onion/reach.ts";
import { toHex } from "../lib/util/bytes.ts";
import { usageError } from "../lib/util/errors.ts";

/** How long a listener waits for a relay a friend's DHT-PK listed. */
const RELAY_WAIT_MS = 10_000;
import type { IdentityChoice } from "./_identity.ts";
import type { GlobalOptions, Io } from "./_io.ts";
import type { NodeSpec } from "./_peer_options.ts";

/**
 * The 64-hex key of a peer id given as a key or as a 76-hex Tox ID (a bad checksum is a
 * usage error); anything else is returned as is, for the key parser to refuse.
 *
 * @example
 * ```ts
 * import { peerIdText } from "./_onion_peer.ts";
 * import { formatToxId } from "../lib/identity/tox_id.ts";
 * const id = formatToxId({ publicKey: new Uint8Array(32).fill(1), nospam: new Uint8Array(4) });
 * console.assert(peerIdText("connect", id) === "01".repeat(32).toUpperCase());
 * ```
 */
export function peerIdText(cmd: string, id: string): string {
  if (id.trim().length !== TOX_ID_HEX_LENGTH) return id;
  try {
    return formatPublicKey(parseToxId(id).publicKey);
  } catch (e) {
    throw usageError(`${cmd}: id: ${e instanceof Error ? e.message : String(e)}`, "BAD_TOX_ID");
  }
}

/**
 * True when `id` is a Tox ID and the peer is to be met with `--bootstrap` and no `--relay`:
 * a Tox ID names a peer found the Tox way (a Tox client is never on the DHT under its
 * identity), so `--onion` is implied.
 *
 * @example
 * ```ts
 * import { onionImplied } from "./_onion_peer.ts";
 * const boot = { bootstrap: [{}], relays: [] };
 * console.assert(onionImplied("AB".repeat(38), boot) && !onionImplied("AB".repeat(32), boot));
 * ```
 */
export function onionImplied(
  id: string | undefined,
  o: { bootstrap: readonly unknown[]; relays: readonly unknown[] },
): boolean {
  return id?.trim().length === TOX_ID_HEX_LENGTH && o.bootstrap.length > 0 &&
    o.relays.length === 0;
}

/** The DHT and the onion on a link's socket. */
export interface LinkOnion extends AsyncDisposable {
  /** The DHT under the identity. */
  dht: DhtDriver;
  /** The onion client (announcing the identity) and node. */
  onion: OnionDriver;
}

/**
 * Starts the DHT (bootstrapped from `bootstrap`) and the announcing onion client on the
 * link's UDP host, with `friends` added (the onion sends them our DHT-PK).
 *
 * @example
 * ```ts ignore
 * await using lo = await startLinkOnion(link, keyPair, o.bootstrap, [peer], o.identity, g, io);
 * ```
 */
export async function startLinkOnion(
  link: Link,
  keyPair: KeyPair,
  bootstrap: readonly NodeSpec[],
  friends: readonly Uint8Array[],
  identity: IdentityChoice,
  g: GlobalOptions,
  io: Io,
): Promise<LinkOnion> {
  const { startAnnouncer } = await import("./_onion.ts");
  const ref: { onion?: OnionDriver } = {};
  const dht = new DhtDriver({
    host: link.udp,
    node: {
      keyPair,
      lanDiscovery: false,
      onRoutedRequest: (r, now) => ref.onion?.handleRoutedRequest(r, now),
    },
  });
  dht.start();
  for (const n of bootstrap) dht.bootstrap(n.addr, n.publicKey);
  const quiet = { ...g, quiet: true };
  const onion = ref.onion = await startAnnouncer(dht, keyPair, identity, quiet, io);
  for (const f of friends) onion.addFriend(f);
  const close = async () => {
    await onion.close();
    await dht.close();
  };
  return { dht, onion, [Symbol.asyncDispose]: close };
}

/** Where to dial a peer found through the onion. */
export interface OnionDialTarget {
  /** The DHT key its DHT-PK named. */
  peerDht: Uint8Array;
  /** Its UDP addresses from the DHT. */
  addrs: Addr[];
  /** The TCP relays its DHT-PK listed (a TCP-only peer is reached only there). */
  relays: RelaySpec[];
}

/**
 * Waits for the peer's DHT-PK and its address (at most `timeoutMs`); a string says why not.
 *
 * @example
 * ```ts ignore
 * const t = await findOverOnion(lo, peer, 20_000, io.signal);
 * ```
 */
export async function findOverOnion(
  lo: LinkOnion,
  peer: Uint8Array,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<OnionDialTarget | string> {
  const r = await resolvePeer({ onion: lo.onion, dht: lo.dht, realKey: peer, timeoutMs, signal });
  if (!r) {
    return `no DHT-PK from ${formatPublicKey(peer).slice(0, 8)}… through the onion within ${
      timeoutMs / 1000
    } s (is it listening with --onion and allowing us?)`;
  }
  const relays = r.relays.map((n) => ({ addr: n.addr, publicKey: n.publicKey }));
  if (r.addrs.length === 0 && relays.length === 0) {
    return "its DHT-PK came, but the DHT did not find its address and it lists no TCP relay";
  }
  return { peerDht: r.dhtKey, addrs: r.addrs, relays };
}

/**
 * `connect --onion`'s link: bound (default 0.0.0.0:0), the DHT and onion on its socket; the
 * dialler waits until the peer is found, the listener adds the allowed key as a friend. A
 * string says why it could not be done.
 *
 * @example
 * ```ts ignore
 * const opened = await openOnionLink(o, keyPair, g, io, report);
 * ```
 */
export async function openOnionLink(
  o: import("./connect.ts").ConnectCommandOptions,
  keyPair: KeyPair,
  g: GlobalOptions,
  io: Io,
  report: import("./_connect_report.ts").ConnectReport,
): Promise<import("./_connect_link.ts").ConnectLink | string> {
  const { Link } = await import("../lib/link/link.ts");
  // A relay route from the start: a peer's DHT-PK may list the TCP relays that reach it.
  const link = await Link.open({
    keyPair,
    relayRoute: true,
    punch: false,
    ...(o.bind ? { bind: o.bind } : {}),
  });
  link.onPath((e) => report.path(e));
  const friends = o.peer ? [o.peer] : o.allow === "any" ? [] : o.allow;
  const lo = await startLinkOnion(link, keyPair, o.bootstrap, friends, o.identity, g, io);
  if (!o.peer) {
    // A friend's DHT-PK that lists TCP relays: be there and say hello (a cookie request),
    // since a TCP-only peer learns that we are on its relay only from what we send there.
    lo.onion.on((e) => {
      if (e.type !== "dhtpk" || !e.nodes.some((n) => n.tcp)) return;
      for (const n of e.nodes) if (n.tcp) link.addRelay({ addr: n.addr, publicKey: n.publicKey });
      const hex = toHex(e.publicKey);
      if (link.driver.host.session(hex) !== undefined) return;
      link.relay.waitForRelays(1, RELAY_WAIT_MS).then(
        () => link.driver.host.session(hex) ?? link.driver.connect(e.publicKey, e.dhtPublicKey, {}),
        () => {},
      );
    });
    return { link, onion: lo };
  }
  report.line("finding the peer through the onion");
  const t = await findOverOnion(lo, o.peer, o.timeoutMs, io.signal);
  if (typeof t === "string") {
    await lo[Symbol.asyncDispose]();
    await link.close();
    return t;
  }
  for (const r of t.relays) link.addRelay(r);
  const where = [...t.addrs, ...t.relays.map((r) => r.addr)].map((a) => `${a.hostname}:${a.port}`);
  report.line(`onion: its DHT-PK came; dialling ${where.join(", ")}`);
  return {
    link,
    onion: lo,
    peerDht: t.peerDht,
    ...(t.addrs.length > 0 ? { addrs: t.addrs } : {}),
  };
}
