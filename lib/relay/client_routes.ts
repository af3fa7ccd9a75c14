/**
 * The routes one relay link holds to peers, without I/O: asked (a routing request is out),
 * linked (the relay gave a connection id 16..255), online (the peer linked back: data can
 * flow) or refused (the relay answered with connection id 0, as c-toxcore's server does when
 * the client's 240 slots are taken; asked again after a doubling delay, a bounded number of
 * times).
 *
 * @example
 * ```ts
 * import { RouteTable } from "./client_routes.ts";
 * const t = new RouteTable({ retryMs: 1000, retries: 2 });
 * t.ask("aa", 0);
 * console.assert(t.assign("aa", 16, 0) === "linked" && t.get("aa")?.connId === 16);
 * console.assert(t.online(16)?.peer === "aa");
 * ```
 * @module
 */
import { NUM_RESERVED_PORTS } from "./constants.ts";

/** Where a route stands. */
export type RouteState = "asked" | "linked" | "online" | "refused";

/** One route to a peer on one relay. */
export interface Route {
  /** The peer's public key, hex. */
  peer: string;
  /** Where the route stands. */
  state: RouteState;
  /** Connection id given by the relay (0 until then). */
  connId: number;
  /** Routing requests sent for it so far. */
  asks: number;
  /** When to ask again after a refusal (`Infinity`: not any more). */
  retryAt: number;
}

/** Retry policy of a {@link RouteTable}. */
export interface RouteRetry {
  /** Delay before the first new request after a refusal; doubled after each further one. */
  retryMs: number;
  /** Refusals tolerated before giving up on the peer at this relay. */
  retries: number;
}

/**
 * What a routing response did: `linked` to a known route, `refused` (will retry),
 * `gave_up` (refused too often), `stray` (no route asked for that key: the caller should
 * release the connection id), `ignored` (nothing to do).
 */
export type AssignResult = "linked" | "refused" | "gave_up" | "stray" | "ignored";

/**
 * The routes of one relay link.
 *
 * @example
 * ```ts
 * import { RouteTable } from "./client_routes.ts";
 * const t = new RouteTable({ retryMs: 1000, retries: 1 });
 * t.ask("aa", 0);
 * console.assert(t.assign("aa", 0, 0) === "refused" && t.due(999).length === 0);
 * console.assert(t.due(1000)[0] === "aa");
 * ```
 */
export class RouteTable {
  readonly #byPeer = new Map<string, Route>();
  readonly #byConn: (Route | undefined)[] = new Array(256);
  readonly #retry: RouteRetry;
  #refused = 0;

  /** An empty table. @param retry refusal policy */
  constructor(retry: RouteRetry) {
    this.#retry = retry;
  }

  /** The route to `peer`, if any. */
  get(peer: string): Route | undefined {
    return this.#byPeer.get(peer);
  }

  /** The route holding connection id `connId`, if any. */
  byConnId(connId: number): Route | undefined {
    return this.#byConn[connId];
  }

  /** Every route. */
  values(): IterableIterator<Route> {
    return this.#byPeer.values();
  }

  /** Peers whose route is online. */
  get onlineCount(): number {
    let n = 0;
    for (const r of this.#byPeer.values()) if (r.state === "online") n++;
    return n;
  }

  /** Records a routing request for `peer` (a new route, or a retry of a refused one). */
  ask(peer: string, _now: number): void {
    const r = this.#byPeer.get(peer);
    if (r) {
      if (r.state === "refused") this.#refused--;
      r.state = "asked";
      r.asks++;
      r.retryAt = Infinity;
      return;
    }
    this.#byPeer.set(peer, { peer, state: "asked", connId: 0, asks: 1, retryAt: Infinity });
  }

  /** Applies a routing response for `peer` with connection id `connId`. */
  assign(peer: string, connId: number, now: number): AssignResult {
    const r = this.#byPeer.get(peer);
    if (!r) return connId >= NUM_RESERVED_PORTS ? "stray" : "ignored";
    if (connId < NUM_RESERVED_PORTS) {
      if (r.state !== "asked") return "ignored";
      r.state = "refused";
      this.#refused++;
      if (r.asks > this.#retry.retries) {
        r.retryAt = Infinity;
        return "gave_up";
      }
      r.retryAt = now + this.#retry.retryMs * 2 ** (r.asks - 1);
      return "refused";
    }
    const holder = this.#byConn[connId];
    if (holder && holder !== r) return "ignored"; // another route's id: leave it alone
    if (r.connId && r.connId !== connId) this.#byConn[r.connId] = undefined;
    r.connId = connId;
    if (r.state !== "online") r.state = "linked";
    this.#byConn[connId] = r;
    return "linked";
  }

  /** The relay says the peer of `connId` is linked too; returns the route if it changed. */
  online(connId: number): Route | undefined {
    const r = this.#byConn[connId];
    if (!r || r.state === "online") return undefined;
    r.state = "online";
    return r;
  }

  /** The peer of `connId` went away at the relay; returns the route if it was online. */
  offline(connId: number): Route | undefined {
    const r = this.#byConn[connId];
    if (!r || r.state !== "online") return undefined;
    r.state = "linked";
    return r;
  }

  /** Forgets the route to `peer`; returns it. */
  delete(peer: string): Route | undefined {
    const r = this.#byPeer.get(peer);
    if (!r) return undefined;
    this.#byPeer.delete(peer);
    if (r.state === "refused") this.#refused--;
    if (r.connId) this.#byConn[r.connId] = undefined;
    return r;
  }

  /** Forgets every route (the link is gone). */
  clear(): void {
    this.#byPeer.clear();
    this.#byConn.fill(undefined);
    this.#refused = 0;
  }

  /** Peers whose refused route is due to be asked again at `now`. */
  due(now: number): string[] {
    const out: string[] = [];
    if (this.#refused === 0) return out;
    for (const r of this.#byPeer.values()) {
      if (r.state === "refused" && r.retryAt <= now) out.push(r.peer);
    }
    return out;
  }

  /** Earliest retry time, `Infinity` when none is planned. */
  nextRetry(): number {
    let t = Infinity;
    if (this.#refused === 0) return t;
    for (const r of this.#byPeer.values()) if (r.state === "refused") t = Math.min(t, r.retryAt);
    return t;
  }
}
