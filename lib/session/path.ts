/**
 * A pure path selector for one peer (tox-protocol §6.9 plus the routing draft's rule).
 * The direct UDP path is "up" while a valid packet arrived on it within the last 8 s; then
 * every datagram goes direct and the relay route can be dropped. Otherwise datagrams go by
 * the relay, and handshake-phase packets (cookie request/response, handshake) and packets
 * under 96 bytes (at most every 4 s) are also tried direct, which is how a direct path gets
 * confirmed. The session underneath never knows which path carried a byte.
 *
 * An addition for fast failover: while the direct path is up but has been silent for
 * longer than usual ({@link STALE_FACTOR} times the smoothed gap between its packets, at
 * least {@link STALE_MIN_MS}), it is *stale*: datagrams go both ways (direct and relay),
 * so a dead direct path costs a fraction of a second instead of 8 s; the receiver's
 * anti-replay window drops whichever copy comes second. The relay route is wanted
 * ({@link PathSelector.relayWanted}) unless the direct path has been up and fresh for
 * {@link RELAY_SLEEP_AFTER_MS}; that is when the driver drops it (the routing draft's rule;
 * c-toxcore puts its TCP connection to sleep while the peer is directly connected).
 *
 * @example
 * ```ts
 * import { PathSelector } from "./path.ts";
 * const p = new PathSelector();
 * console.assert(p.route(new Uint8Array(200), 0).join() === "relay");
 * p.receivedDirect(1000);
 * console.assert(p.route(new Uint8Array(200), 1100).join() === "direct");
 * console.assert(p.route(new Uint8Array(200), 6000).join() === "direct,relay"); // stale
 * console.assert(p.route(new Uint8Array(200), 9001).join() === "relay"); // quiet for 8 s
 * ```
 * @module
 */
import {
  KIND_COOKIE_REQUEST,
  KIND_COOKIE_RESPONSE,
  KIND_HANDSHAKE,
  UDP_DIRECT_TIMEOUT_MS,
  UDP_PROBE_INTERVAL_MS,
  UDP_PROBE_MAX_SIZE,
} from "./constants.ts";

/** A direct path is stale after this many smoothed packet gaps of silence. */
export const STALE_FACTOR = 4;
/** The shortest silence that makes a direct path stale, ms. */
export const STALE_MIN_MS = 300;
/** The gap assumed before the direct path has carried two packets, ms. */
const INITIAL_GAP_MS = 1000;
/** How long the direct path must stay up and fresh before the relay route is dropped, ms. */
export const RELAY_SLEEP_AFTER_MS = 2000;

/** Where one datagram goes. */
export type PathKind = "direct" | "relay";

/**
 * Chooses the path(s) of each outgoing datagram.
 *
 * @example
 * ```ts
 * import { PathSelector } from "./path.ts";
 * const p = new PathSelector();
 * console.assert(p.route(new Uint8Array([0x1a, ...new Uint8Array(384)]), 0).join() === "relay,direct");
 * ```
 */
export class PathSelector {
  #lastDirect = -Infinity;
  #gap = INITIAL_GAP_MS;
  #freshSince = Infinity;
  #lastProbe = -Infinity;
  #hasDirect: boolean;
  #hasRelay: boolean;

  /** A selector; say which paths exist (both by default). */
  constructor(o: { direct?: boolean; relay?: boolean } = {}) {
    this.#hasDirect = o.direct ?? true;
    this.#hasRelay = o.relay ?? true;
  }

  /** A valid session packet arrived over the direct path at `now`. */
  receivedDirect(now: number): void {
    if (now <= this.#lastDirect) return;
    if (this.#lastDirect !== -Infinity) {
      const gap = Math.min(now - this.#lastDirect, UDP_DIRECT_TIMEOUT_MS);
      this.#gap += (gap - this.#gap) / 8;
    }
    if (!this.directUp(now) || this.stale(now)) this.#freshSince = now;
    this.#lastDirect = now;
  }

  /** Whether a direct address is known, and whether a relay route is online. */
  setAvailable(direct: boolean, relay: boolean): void {
    this.#hasDirect = direct;
    this.#hasRelay = relay;
  }

  /** True while the direct path is confirmed (a packet within the last 8 s). */
  directUp(now: number): boolean {
    return this.#hasDirect && now - this.#lastDirect < UDP_DIRECT_TIMEOUT_MS;
  }

  /**
   * True while the direct path is up but silent for longer than usual (it may have died):
   * datagrams then go both ways.
   */
  stale(now: number): boolean {
    return this.directUp(now) && now - this.#lastDirect > this.staleAfter();
  }

  /** The silence (ms) after which the direct path counts as stale. */
  staleAfter(): number {
    return Math.min(UDP_DIRECT_TIMEOUT_MS, Math.max(STALE_MIN_MS, STALE_FACTOR * this.#gap));
  }

  /** True when the relay route is not needed (the routing draft drops it). */
  relayDroppable(now: number): boolean {
    return this.directUp(now) && !this.stale(now);
  }

  /**
   * True unless the direct path has been up and fresh for {@link RELAY_SLEEP_AFTER_MS}: the
   * driver keeps (or asks again for) the relay route while this holds.
   */
  relayWanted(now: number): boolean {
    return !this.relayDroppable(now) || now - this.#freshSince < RELAY_SLEEP_AFTER_MS;
  }

  /** The next time (ms) at which {@link route} or {@link relayWanted} may change by itself. */
  nextChange(now: number): number {
    if (!this.directUp(now)) return Infinity;
    if (this.stale(now)) return this.#lastDirect + UDP_DIRECT_TIMEOUT_MS;
    const staleAt = this.#lastDirect + this.staleAfter() + 1;
    const sleepAt = this.#freshSince + RELAY_SLEEP_AFTER_MS;
    return sleepAt > now ? Math.min(staleAt, sleepAt) : staleAt;
  }

  /** The paths for `datagram` sent at `now`, in order; empty when none is available. */
  route(datagram: Uint8Array, now: number): PathKind[] {
    if (this.directUp(now)) {
      return this.#hasRelay && this.stale(now) ? ["direct", "relay"] : ["direct"];
    }
    if (!this.#hasRelay) return this.#hasDirect ? ["direct"] : [];
    const k = datagram[0];
    const handshake = k === KIND_COOKIE_REQUEST || k === KIND_COOKIE_RESPONSE ||
      k === KIND_HANDSHAKE;
    let probe = false;
    if (this.#hasDirect && !handshake && datagram.length < UDP_PROBE_MAX_SIZE) {
      if (now - this.#lastProbe >= UDP_PROBE_INTERVAL_MS) {
        probe = true;
        this.#lastProbe = now;
      }
    }
    return this.#hasDirect && (handshake || probe) ? ["relay", "direct"] : ["relay"];
  }
}
