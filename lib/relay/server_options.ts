/**
 * Options, counters and close/drop reasons of the relay server core.
 *
 * @example
 * ```ts
 * import { KILL_REASONS, zeroCounts } from "./server_options.ts";
 * console.assert(zeroCounts(KILL_REASONS).misuse === 0);
 * ```
 * @module
 */
import type { CryptoBackend, KeyPair } from "../crypto/mod.ts";
import type { Addr } from "../net/addr.ts";

/** Why the server closed a connection. */
export type KillReason =
  | "bad_handshake"
  | "handshake_timeout"
  | "pending_evicted"
  | "bad_frame"
  | "malformed"
  | "misuse"
  | "ping_timeout"
  | "slow_reader"
  | "replaced"
  | "max_clients"
  | "per_ip_limit"
  | "peer_closed"
  | "shutdown";

/** Why the server dropped a packet without closing anything. */
export type DropReason =
  | "no_route"
  | "not_online"
  | "queue_full"
  | "no_onion"
  | "no_forwarding";

/** Options of {@link RelayServer}. */
export interface RelayServerOptions {
  /** The relay's long-term (DHT) key pair. */
  keyPair: KeyPair;
  /** Most confirmed clients (default 10000). Further confirmations are closed. */
  maxClients?: number;
  /** Most unfinished handshakes; the oldest is closed to make room (default 2048). */
  maxPending?: number;
  /** Most unfinished handshakes from one IP; its oldest is closed to make room (default 256). */
  maxPendingPerIp?: number;
  /** Most confirmed clients from one IP (default 256; 0 = no cap). */
  maxClientsPerIp?: number;
  /** Deadline for the handshake and the first packet, ms (default 10000). */
  handshakeTimeoutMs?: number;
  /**
   * Bytes per second per client of everything it makes the relay send: data and out-of-band
   * payloads, plus every control packet (onion requests, pings, pongs, routing requests,
   * notifications) at its plaintext size; 0 = off (default 1 MiB/s).
   */
  rateBytesPerSecond?: number;
  /** Burst allowance of the rate limit in bytes (default 256 KiB). */
  rateBurstBytes?: number;
  /** Bytes queued for a client beyond which relayed packets are dropped (default 256 KiB). */
  maxQueueBytes?: number;
  /** A client whose queue stays full this long is closed as a slow reader (default 10000). */
  slowReaderTimeoutMs?: number;
  /** Keep-alive interval (default 30000). */
  pingIntervalMs?: number;
  /** Keep-alive timeout (default 10000). */
  pingTimeoutMs?: number;
  /** Crypto backend for handshakes and frames (default: the process backend at construction). */
  crypto?: CryptoBackend;
  /** Random bytes for handshakes and ping ids (default: the crypto backend's). */
  random?: (n: number) => Uint8Array;
  /** Receives onion requests (payload after id 8); without it they are ignored. */
  onOnionRequest?: (payload: Uint8Array, conn: number, now: number) => void;
  /** Receives forward requests (id 10); without it they are dropped (see docs/relay.md). */
  onForwardRequest?: (addr: Addr, data: Uint8Array, conn: number, now: number) => void;
  /**
   * Receives out-of-band packets addressed to the relay's own key (peerkit's punch
   * coordination, `lib/punch/rendezvous.ts`); without it they are dropped as c-toxcore does.
   */
  onOobToSelf?: (sender: Uint8Array, data: Uint8Array, now: number) => void;
}

/** Counters for metrics. */
export interface RelayServerStats {
  /** Confirmed clients now. */
  clients: number;
  /** Connections still in their handshake. */
  pending: number;
  /** Routes in use (both states), summed over clients. */
  routes: number;
  /** Routes whose both ends are online. */
  onlineRoutes: number;
  /** Payload bytes relayed between clients (data and out-of-band). */
  bytesRelayed: number;
  /** Packets relayed between clients. */
  packetsRelayed: number;
  /** Drops by reason. */
  drops: Record<DropReason, number>;
  /** Closed connections by reason. */
  kills: Record<KillReason, number>;
  /** Connections accepted since start. */
  accepted: number;
}

/** Every {@link DropReason}. */
export const DROP_REASONS: DropReason[] = [
  "no_route",
  "not_online",
  "queue_full",
  "no_onion",
  "no_forwarding",
];
/** Every {@link KillReason}. */
export const KILL_REASONS: KillReason[] = [
  "bad_handshake",
  "handshake_timeout",
  "pending_evicted",
  "bad_frame",
  "malformed",
  "misuse",
  "ping_timeout",
  "slow_reader",
  "replaced",
  "max_clients",
  "per_ip_limit",
  "peer_closed",
  "shutdown",
];

/**
 * A record with a zero for every key.
 *
 * @example
 * ```ts
 * import { zeroCounts } from "./server_options.ts";
 * console.assert(zeroCounts(["a"]).a === 0);
 * ```
 */
export function zeroCounts<K extends string>(keys: K[]): Record<K, number> {
  return Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;
}
