/**
 * The relay route of the session layer: net_crypto datagrams carried through a
 * {@link RelayClient}, as c-toxcore carries them over TCP relays. A TCP data packet holds
 * the net_crypto datagram as is; while no route to the peer is online, the cookie
 * request/response and the handshake go as out-of-band packets to the peer's DHT key
 * (what c-toxcore does for a peer it has no routed connection to). Relay routes are keyed
 * by DHT keys, so the relay client's identity is our DHT key pair.
 *
 * Only session kinds (0x18-0x1b) are taken from the relay; anything else is counted in
 * `stats.ignored` and left to the other consumers of the client.
 *
 * @example
 * ```ts
 * import { backend } from "../crypto/mod.ts";
 * import { RelayClient } from "../relay/client_driver.ts";
 * import { RelayPath } from "./relay_path.ts";
 * await using client = new RelayClient({ keyPair: backend().keyPair() });
 * const path = new RelayPath(client);
 * const stop = path.listen(() => {});
 * console.assert(!path.send(new Uint8Array(32), new Uint8Array([0x18, 1])));
 * console.assert(path.stats.unsent === 1);
 * stop();
 * ```
 * @module
 */
import type { RelayClient } from "../relay/client_driver.ts";
import {
  KIND_COOKIE_REQUEST,
  KIND_COOKIE_RESPONSE,
  KIND_DATA,
  KIND_HANDSHAKE,
} from "./constants.ts";

/** Largest out-of-band payload a relay forwards (tox-protocol §5). */
const MAX_OOB = 1024;

/** Receives one session datagram from the relay: its bytes and the sender's DHT key. */
export type RelayDatagramHandler = (bytes: Uint8Array, senderDht: Uint8Array) => void;

/** Counters of a {@link RelayPath}. */
export interface RelayPathStats {
  /** Datagrams sent on an online route. */
  routed: number;
  /** Datagrams sent out of band (no online route). */
  oob: number;
  /** Datagrams no relay took (the session resends what matters). */
  unsent: number;
  /** Datagrams received (routed or out of band). */
  received: number;
  /** Packets from the relay that were not session kinds. */
  ignored: number;
}

/**
 * True for the first byte of a net_crypto datagram.
 *
 * @example
 * ```ts
 * import { isSessionKind } from "./relay_path.ts";
 * console.assert(isSessionKind(0x1b) && !isSessionKind(0x10));
 * ```
 */
export function isSessionKind(k: number | undefined): boolean {
  return k !== undefined && k >= KIND_COOKIE_REQUEST && k <= KIND_DATA;
}

/**
 * Session datagrams over a relay client.
 *
 * @example
 * ```ts
 * import { backend } from "../crypto/mod.ts";
 * import { RelayClient } from "../relay/client_driver.ts";
 * import { RelayPath } from "./relay_path.ts";
 * await using client = new RelayClient({ keyPair: backend().keyPair() });
 * const path = new RelayPath(client);
 * console.assert(!path.online(new Uint8Array(32)) && !path.ready());
 * ```
 */
export class RelayPath {
  /** Counters. */
  readonly stats: RelayPathStats = { routed: 0, oob: 0, unsent: 0, received: 0, ignored: 0 };
  /** The relay client underneath. */
  readonly client: RelayClient;

  /** A route over `client` (whose key pair must be our DHT key pair). */
  constructor(client: RelayClient) {
    this.client = client;
  }

  /** Subscribes `fn` to session datagrams from the relay; returns the unsubscribe function. */
  listen(fn: RelayDatagramHandler): () => void {
    const take = (peer: Uint8Array, data: Uint8Array) => {
      if (!isSessionKind(data[0])) {
        this.stats.ignored++;
        return;
      }
      this.stats.received++;
      fn(data, peer);
    };
    const offData = this.client.on("data", (peer, data) => take(peer, data));
    const offOob = this.client.on("oob", (sender, data) => take(sender, data));
    return () => {
      offData();
      offOob();
    };
  }

  /**
   * Calls `fn` whenever a refused {@link RelayPath.send} may go again (a relay link's
   * queue was handed to its socket); returns the unsubscribe function.
   */
  onWritable(fn: () => void): () => void {
    return this.client.onWritable(fn);
  }

  /** Calls `fn` with a peer's DHT key when a route to it comes online; returns the unsubscribe. */
  onOnline(fn: (dht: Uint8Array) => void): () => void {
    return this.client.on("peer", (peer, online) => {
      if (online) fn(peer);
    });
  }

  /** Asks the relays for a route to a peer (its DHT key). */
  addPeer(dht: Uint8Array): void {
    this.client.addPeer(dht);
  }

  /** Stops asking for a route to a peer (its DHT key). */
  removePeer(dht: Uint8Array): void {
    this.client.removePeer(dht);
  }

  /** True when a relay holds an online route to the peer. */
  online(dht: Uint8Array): boolean {
    return this.client.isOnline(dht);
  }

  /** True when at least one relay link is ready (out-of-band sends are possible). */
  ready(): boolean {
    return this.client.relays().some((l) => l.state === "ready");
  }

  /**
   * Sends one datagram to the peer whose DHT key is `dht`: on an online route, else out
   * of band when it is a handshake-phase packet (or a small data packet). False when no
   * relay took it.
   */
  send(dht: Uint8Array, bytes: Uint8Array): boolean {
    if (this.client.isOnline(dht) && this.client.send(dht, bytes)) {
      this.stats.routed++;
      return true;
    }
    const k = bytes[0];
    const handshake = k === KIND_COOKIE_REQUEST || k === KIND_COOKIE_RESPONSE ||
      k === KIND_HANDSHAKE;
    if ((handshake || bytes.length <= MAX_OOB) && this.client.sendOob(dht, bytes) > 0) {
      this.stats.oob++;
      return true;
    }
    this.stats.unsent++;
    return false;
  }
}
