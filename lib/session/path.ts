/**
 * A pure path selector for one peer (tox-protocol §6.9 plus the routing draft's rule).
 * The direct UDP path is "up" while a valid packet arrived on it within the last 8 s; then
 * every datagram goes direct and the relay route can be dropped. Otherwise datagrams go by
 * the relay, and handshake-phase packets (cookie request/response, handshake) and packets
 * under 96 bytes (at most every 4 s) are also tried direct, which is how a direct path gets
 * confirmed. The session underneath never knows which path carried a byte.
 *
 * @example
 * ```ts
 * import { PathSelector } from "./path.ts";
 * const p = new PathSelector();
 * console.assert(p.route(new Uint8Array(200), 0).join() === "relay");
 * p.receivedDirect(1000);
 * console.assert(p.route(new Uint8Array(200), 2000).join() === "direct");
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
    this.#lastDirect = Math.max(this.#lastDirect, now);
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

  /** True when the relay route is not needed (the routing draft drops it). */
  relayDroppable(now: number): boolean {
    return this.directUp(now);
  }

  /** The paths for `datagram` sent at `now`, in order; empty when none is available. */
  route(datagram: Uint8Array, now: number): PathKind[] {
    if (this.directUp(now)) return ["direct"];
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
