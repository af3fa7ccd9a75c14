/**
 * The vocabulary of the sans-IO relay client (`RelayClientCore`): its options, the socket actions it asks of a
 * driver, the events it reports, and its counters.
 *
 * @example
 * ```ts
 * import type { RelayCoreEvent } from "./client_types.ts";
 * const e: RelayCoreEvent = { type: "peer", peer: new Uint8Array(32), online: true };
 * console.assert(e.type === "peer");
 * ```
 * @module
 */
import type { CryptoBackend, KeyPair } from "../crypto/mod.ts";
import type { Addr } from "../net/addr.ts";

/** Options of `RelayClientCore`. */
export interface RelayClientCoreOptions {
  /** This client's (DHT) key pair: its identity at the relays. */
  keyPair: KeyPair;
  /** Crypto backend (default: the process backend). */
  crypto?: CryptoBackend;
  /** Random source for keys, nonces and ping ids (default: the backend's). */
  random?: (n: number) => Uint8Array;
  /** First re-dial delay after a relay is lost (default 500 ms). */
  reconnectMs?: number;
  /** Largest re-dial delay (default 30 s). */
  maxReconnectMs?: number;
  /** First delay before asking again for a refused route, doubled each time (default 1 s). */
  routeRetryMs?: number;
  /** Refusals of one route tolerated before a `routeRefused` event (default 4). */
  routeRetries?: number;
  /** Keep-alive ping interval (default 30 s). */
  pingIntervalMs?: number;
  /** Keep-alive pong timeout (default 10 s). */
  pingTimeoutMs?: number;
  /** A dial not connected after this long is given up (default 10 s). */
  dialTimeoutMs?: number;
  /** Send data as out-of-band packets while a peer has no online route (default true). */
  oobFallback?: boolean;
}

/** A socket the driver must open or close. */
export type RelayCoreAction =
  | { type: "dial"; socket: number; addr: Addr }
  | { type: "close"; socket: number };

/** What the core tells its consumers. `relay` is the relay's public key. */
export type RelayCoreEvent =
  | { type: "relay"; relay: Uint8Array; up: boolean; reason?: string }
  | { type: "peer"; peer: Uint8Array; online: boolean }
  | { type: "data"; peer: Uint8Array; data: Uint8Array; relay: Uint8Array; oob: boolean }
  | { type: "oob"; sender: Uint8Array; data: Uint8Array; relay: Uint8Array }
  | { type: "onionResponse"; data: Uint8Array; relay: Uint8Array }
  | { type: "routeRefused"; peer: Uint8Array; relay: Uint8Array };

/** Public view of one relay link. */
export interface RelayLinkInfo {
  /** Relay public key, hex. */
  publicKey: string;
  /** Relay address. */
  addr: Addr;
  /** Link state. */
  state: "connecting" | "ready" | "down";
  /** Peers whose route on this relay is online. */
  onlinePeers: number;
}

/** Counters of a `RelayClientCore`. */
export interface RelayClientStats {
  /** Sockets dialled. */
  dials: number;
  /** Links lost (dial failures included). */
  linksLost: number;
  /** Routing requests sent. */
  routeRequests: number;
  /** Routing responses with connection id 0. */
  routeRefusals: number;
  /** Connection ids given back with a disconnect because no route wanted them any more. */
  strayRoutes: number;
  /** Data packets sent out of band because no route was online. */
  oobFallbacks: number;
  /** Packets from a relay naming a connection id we do not hold (dropped). */
  unknownConnection: number;
}
