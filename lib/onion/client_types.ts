/**
 * Options, transmits, events and counters of the sans-IO {@link OnionClient}.
 *
 * @example
 * ```ts
 * import type { OnionClientEvent } from "./client_types.ts";
 * const e: OnionClientEvent = { type: "announced", nodes: 1 };
 * console.assert(e.type === "announced");
 * ```
 * @module
 */
import type { KeyPair } from "../crypto/backend.ts";
import type { NodeInfo } from "../dht/packed_node.ts";
import type { Addr } from "../net/addr.ts";
import type { PathNode } from "./client_packets.ts";
import type { RandomBytes, RelayEntry } from "./client_paths.ts";
import type { OnionClientTimings } from "./client_constants.ts";

/** Options of an {@link OnionClient}. */
export interface OnionClientOptions {
  /** The long-term ("real") key pair: what we announce and friends know us by. */
  realKeyPair: KeyPair;
  /** The DHT key pair: keys hop A's layer and goes into our DHT-PK packets. */
  dhtKeyPair: KeyPair;
  /** Known DHT nodes (key and UDP address) to build paths from and announce to. */
  nodes: () => readonly PathNode[];
  /** Confirmed TCP relay links; with `udp: false`, every path starts at one of them. */
  relays?: () => readonly RelayEntry[];
  /** Whether paths may start with a UDP hop (default true; false when UDP is blocked). */
  udp?: boolean;
  /** Nodes to put in our DHT-PK packets: up to 2 TCP relays, then close DHT nodes (default none). */
  dhtPkNodes?: () => readonly NodeInfo[];
  /** Our nospam, checked in friend requests (default: 4 random bytes). */
  nospam?: Uint8Array;
  /** Random bytes for keys, nonces, sendbacks and path choice (default: the crypto backend's). */
  random?: RandomBytes;
  /** Timers and sizes (default {@link TOXCORE_ONION_CLIENT}). */
  timings?: Partial<OnionClientTimings>;
  /** The no_replay of a DHT-PK made at `now` (default: `now` in whole seconds, made strictly increasing). */
  noReplay?: (now: number) => bigint;
}

/** A datagram or relay packet the caller must send. */
export type OnionClientTransmit =
  /** A UDP datagram (0x80) to hop A. */
  | { to: "udp"; addr: Addr; data: Uint8Array }
  /** A whole TCP relay packet `[8][...]` to write on the relay link `relay`. */
  | { to: "relay"; relay: string; data: Uint8Array }
  /** A DHT-routed request for `DhtNode.routeRequest(receiver, requestId, data)`. */
  | { to: "dht"; receiver: Uint8Array; requestId: number; data: Uint8Array };

/** What the client tells its owner. */
export type OnionClientEvent =
  /** We are stored on an announce node for the first time (and again after being offline). */
  | { type: "announced"; nodes: number }
  /** An announce node holds a friend's entry: its current data key. */
  | { type: "peer_found"; publicKey: Uint8Array; dataPublicKey: Uint8Array }
  /** A friend told us its DHT key and nodes (relays first) to reach it by. */
  | {
    type: "dhtpk";
    publicKey: Uint8Array;
    dhtPublicKey: Uint8Array;
    nodes: NodeInfo[];
    via: "onion" | "dht";
  }
  /** A friend request with a good nospam from a sender not seen among the last 32. */
  | { type: "friend_request"; publicKey: Uint8Array; message: Uint8Array }
  /** Other onion data: `[id][data]` split. */
  | { type: "data"; publicKey: Uint8Array; id: number; data: Uint8Array };

/** Counters of an {@link OnionClient}. */
export interface OnionClientStats {
  /** Announce and search requests sent. */
  announcesSent: number;
  /** Announce responses accepted. */
  announceResponses: number;
  /** Data packets sent (0x85). */
  dataSent: number;
  /** Data packets opened (0x86). */
  dataReceived: number;
  /** DHT-PK packets refused as replays. */
  replays: number;
  /** Input dropped: malformed, unknown sendback, bad MAC, unknown sender, bad nospam, repeats. */
  dropped: number;
  /** Paths made (replacements included). */
  pathsCreated: number;
}
