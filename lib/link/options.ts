/**
 * Options of a `Link`: how it is opened, how a peer is dialled, and whom a listener
 * accepts.
 *
 * @example
 * ```ts
 * import type { DialOptions } from "./options.ts";
 * const o: DialOptions = { peer: new Uint8Array(32), timeoutMs: 5000 };
 * console.assert(o.timeoutMs === 5000);
 * ```
 * @module
 */
import type { KeyPair } from "../crypto/backend.ts";
import type { Addr } from "../net/addr.ts";
import type { Clock } from "../net/clock.ts";
import type { Network } from "../net/types.ts";
import type { RelaySpec } from "../punch/session.ts";
import type { Pacer } from "../session/session.ts";
import type { PeerChannel } from "./channel.ts";

/** Options of `Link.open`. */
export interface LinkOptions {
  /** Our identity (also our DHT key). */
  keyPair: KeyPair;
  /** Relays to connect to (the relay path and the punch meeting). */
  relays?: RelaySpec[];
  /** STUN servers for our public endpoint and NAT verdict, asked once at open. */
  stun?: Addr[];
  /** Where to bind the UDP socket (default 0.0.0.0:0). */
  bind?: Addr;
  /** Punch in the background for a direct path (default true when there are relays). */
  punch?: boolean;
  /** Keep a relay route even with no relay at open (relays added later, `addRelay`). */
  relayRoute?: boolean;
  /** Rate control of the sessions (default `"deliveryRate"`: paced from the measured delivery rate, random loss does not collapse it). */
  pacer?: Pacer;
  /** Messages a session queues before `send` waits (default the session's, 8192). */
  outboxLimit?: number;
  /** Network (default the batched real one). */
  network?: Network;
  /** Clock (default real time). */
  clock?: Clock;
  /** Progress lines (what the punch does). */
  log?: (line: string) => void;
}

/** Options of `Link.dial`. */
export interface DialOptions {
  /** The peer's real public key. */
  peer: Uint8Array;
  /** The peer's DHT key (default: its real key, peerkit's convention). */
  peerDht?: Uint8Array;
  /** More relays to reach this peer through (added to the link's). */
  relays?: RelaySpec[];
  /** UDP addresses of the peer to try directly. */
  addrs?: Addr[];
  /** Give up after this long (ms). */
  timeoutMs: number;
  /** Ends the wait early. */
  signal?: AbortSignal;
}

/** Options of `Link.listen`. */
export interface ListenOptions {
  /** Peers whose sessions are accepted (`"any"`: everyone). */
  allow: Uint8Array[] | "any";
  /** Called for an allowed peer: a reason refuses it (e.g. `"busy"`), `undefined` accepts. */
  accept?: (peer: string) => string | undefined;
  /** Each accepted channel. */
  onChannel: (ch: PeerChannel) => void;
}
