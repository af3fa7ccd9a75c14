/**
 * The state an {@link OnionClient} keeps, shared by its role files (announce, exchange),
 * and the step every request takes: wrapping it in a path and queueing the datagram.
 *
 * @example
 * ```ts
 * import { ZERO_PING } from "./client_state.ts";
 * console.assert(ZERO_PING.length === 32 && ZERO_PING.every((b) => b === 0));
 * ```
 * @module
 */
import type { KeyPair } from "../crypto/backend.ts";
import { backend } from "../crypto/backend.ts";
import { keyEquals } from "../dht/distance.ts";
import type { Addr } from "../net/addr.ts";
import { concat } from "../util/bytes.ts";
import { IS_STORED } from "./announce_wire.ts";
import { buildOnionPacket, buildOnionPacketTcp, type PathNode } from "./client_packets.ts";
import type { OnionClientTimings } from "./client_constants.ts";
import type { FriendRequestFilter } from "./client_friend_request.ts";
import type { AnnounceList } from "./client_list.ts";
import type { PathEntry, PathSet, RandomBytes, RelayEntry } from "./client_paths.ts";
import type {
  OnionClientEvent,
  OnionClientOptions,
  OnionClientStats,
  OnionClientTransmit,
} from "./client_types.ts";
import { NONCE_SIZE, TCP_ONION_REQUEST_ID } from "./constants.ts";
import type { DhtPkReplayGuard } from "./dhtpk.ts";

/** A searched friend. */
export interface Friend {
  /** Its real public key. */
  publicKey: Uint8Array;
  /** The temporary key our searches for it are sent with. */
  temp: KeyPair;
  /** Announce nodes near its key. */
  list: AnnounceList;
  /** Its data key, once found. */
  dataPublicKey: Uint8Array | undefined;
  /** Its DHT key, once it sent a DHT-PK packet. */
  dhtPublicKey: Uint8Array | undefined;
  /** Directly connected (no DHT-PK sends). */
  connected: boolean;
  /** Last DHT-PK through the onion. */
  lastDhtPkOnion: number | undefined;
  /** Last DHT-PK through DHT routing. */
  lastDhtPkDht: number | undefined;
  /** Last refill of its list from fresh nodes. */
  lastRefill: number | undefined;
  /** Nodes asked recently (hex key to time), not asked again within the request timeout. */
  recent: Map<string, number>;
  /** Payloads waiting until it is found (friend requests). */
  queued: Uint8Array[];
  /** Search rounds run (c-toxcore `run_count`; reset when the friend goes offline). */
  runCount: number;
  /** When it was last connected (start of the search backoff). */
  lastSeen: number | undefined;
}

/** An announce or search request waiting for its answer, by sendback. */
export interface Pending {
  /** The friend searched, or `undefined` for our own announce. */
  friend: Friend | undefined;
  /** The announce node asked. */
  nodePublicKey: Uint8Array;
  /** Its address. */
  addr: Addr;
  /** The path used. */
  pathId: number;
  /** When. */
  sentAt: number;
}

/** Everything the client knows. */
export interface ClientState {
  opts: OnionClientOptions;
  random: RandomBytes;
  timings: Readonly<OnionClientTimings>;
  dataKeyPair: KeyPair;
  stats: OnionClientStats;
  self: AnnounceList;
  selfRecent: Map<string, number>;
  selfPaths: PathSet;
  friendPaths: PathSet;
  friends: Map<string, Friend>;
  pending: Map<string, Pending>;
  learned: PathNode[];
  out: OnionClientTransmit[];
  events: OnionClientEvent[];
  replay: DhtPkReplayGuard;
  requests: FriendRequestFilter;
  selfRefill: number | undefined;
  lastAnnounce: number | undefined;
  lastResponse: number | undefined;
  announced: boolean;
  lastNoReplay: bigint;
}

/** A zero ping id: the first announce to a node, and every search. */
export const ZERO_PING: Uint8Array = new Uint8Array(32);
/** The data key field of a search. */
export const ZERO_KEY: Uint8Array = new Uint8Array(32);

/** How many announce nodes currently store us. */
export function storedOn(s: ClientState): number {
  return s.self.entries.filter((e) => e.isStored === IS_STORED.YOU).length;
}

/** A key pair from the client's random source. */
export function newKeyPair(s: ClientState): KeyPair {
  return backend().keyPairFromSecretKey(s.random(32));
}

/** Nodes to build paths from and ask: the DHT's, then those learned from answers. */
export function nodePool(s: ClientState): PathNode[] {
  const fromDht = s.opts.nodes();
  const out = [...fromDht];
  for (const n of s.learned) {
    if (!out.some((o) => keyEquals(o.publicKey, n.publicKey))) out.push(n);
  }
  return out;
}

/** Relays usable as hop A (only when UDP is off). */
export function relays(s: ClientState): readonly RelayEntry[] {
  return s.opts.udp === false ? (s.opts.relays?.() ?? []) : [];
}

/** Wraps `req` for `dest` through a path of `set` (in the preferred path's slot, if given). */
export function sendThroughPath(
  s: ClientState,
  set: PathSet,
  preferred: number | undefined,
  dest: Addr,
  req: Uint8Array,
  now: number,
): PathEntry | null {
  if (s.opts.udp === false && relays(s).length === 0) return null;
  const path = set.pick(now, nodePool(s), relays(s), preferred);
  if (!path) return null;
  const nonce = s.random(NONCE_SIZE);
  if (path.relay !== undefined) {
    const payload = buildOnionPacketTcp(path.path, dest, req, nonce);
    s.out.push({
      to: "relay",
      relay: path.relay,
      data: concat(new Uint8Array([TCP_ONION_REQUEST_ID]), payload),
    });
  } else {
    const data = buildOnionPacket(path.path, dest, req, nonce);
    s.out.push({ to: "udp", addr: path.path.nodes[0].addr, data });
  }
  set.used(path, now);
  return path;
}

/** Remembers a node from an answer as a path node (at most 32, oldest dropped). */
export function learnNode(s: ClientState, n: PathNode): void {
  if (s.learned.some((l) => keyEquals(l.publicKey, n.publicKey))) return;
  s.learned.push({ publicKey: n.publicKey, addr: n.addr });
  if (s.learned.length > s.timings.maxPathNodes) s.learned.shift();
}
