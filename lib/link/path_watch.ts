/**
 * Which path carries a peer's session, sans-IO: fed what the session driver and the relay
 * client say at `now`, it reports each change as a {@link PathEvent} and tells its owner
 * when to drop the relay route (the direct path is confirmed: the routing draft's rule) and
 * when to ask for it again (the direct path went quiet for 8 s, so traffic is back on the
 * relay).
 *
 * @example
 * ```ts
 * import { PathWatch } from "./path_watch.ts";
 * const w = new PathWatch("AB", 0);
 * const relay = { directUp: false, relayReady: true, relay: "127.0.0.1:33445" };
 * console.assert(w.update(10, relay).event?.path === "relay");
 * const d = w.update(20, { ...relay, directUp: true, remote: "127.0.0.1:5000" });
 * console.assert(d.event?.path === "direct" && d.dropRoute);
 * const back = w.update(9000, relay);
 * console.assert(back.event?.path === "relay" && back.addRoute);
 * ```
 * @module
 */
import type { PathEvent, PathKind } from "./channel.ts";

/** What the owner knows about the paths at one moment. */
export interface PathFacts {
  /** The session driver's direct path is confirmed (a valid packet within 8 s). */
  directUp: boolean;
  /** The peer's UDP address, when known (`IP:PORT`). */
  remote?: string;
  /** At least one relay link is ready (the relay path can carry the session). */
  relayReady: boolean;
  /** The relay carrying the route (`IP:PORT`). */
  relay?: string;
}

/** What to do after an update. */
export interface PathUpdate {
  /** The change to report, if the path changed. */
  event?: PathEvent;
  /** Drop the relay route to the peer (the direct path carries everything now). */
  dropRoute: boolean;
  /** Ask the relays for the route again (traffic went back to the relay). */
  addRoute: boolean;
}

/**
 * The path state of one peer.
 *
 * @example
 * ```ts
 * import { PathWatch } from "./path_watch.ts";
 * const w = new PathWatch("AB", 0);
 * console.assert(w.update(5, { directUp: false, relayReady: false }).event === undefined);
 * console.assert(w.update(9, { directUp: false, relayReady: true }).event?.path === "relay");
 * console.assert(w.update(20, { directUp: false, relayReady: false }).event?.why === "every path lost");
 * ```
 */
export class PathWatch {
  /** The peer's key, upper-case hex. */
  readonly peer: string;
  /** The path now reported, `undefined` before the first update. */
  current: PathKind | "none" | undefined;
  /** Paths used so far, in order of first use, each once in a row. */
  readonly used: PathKind[] = [];
  readonly #t0: number;
  #routeDropped = false;

  /** A watch for `peer` on a link that started at `t0` (ms). */
  constructor(peer: string, t0: number) {
    this.peer = peer.toUpperCase();
    this.#t0 = t0;
  }

  /** True while the relay route is dropped in favour of the direct path. */
  get routeDropped(): boolean {
    return this.#routeDropped;
  }

  /** Takes the facts at `now`; returns the change to report and what to do. */
  update(now: number, f: PathFacts): PathUpdate {
    const next: PathKind | "none" = f.directUp ? "direct" : f.relayReady ? "relay" : "none";
    const out: PathUpdate = { dropRoute: false, addRoute: false };
    if (next === "direct" && !this.#routeDropped) {
      this.#routeDropped = true;
      out.dropRoute = true;
    } else if (next !== "direct" && this.#routeDropped) {
      this.#routeDropped = false;
      out.addRoute = true;
    }
    if (next === this.current) return out;
    const before = this.current;
    this.current = next;
    if (before === undefined && next === "none") return out; // nothing to report yet
    if (next !== "none" && this.used[this.used.length - 1] !== next) this.used.push(next);
    out.event = {
      event: "path",
      peer: this.peer,
      path: next,
      ...(next === "direct" && f.remote ? { remote: f.remote } : {}),
      ...(next === "relay" && f.relay ? { relay: f.relay } : {}),
      why: why(before, next),
      atMs: Math.round(now - this.#t0),
    };
    return out;
  }
}

function why(before: PathKind | "none" | undefined, next: PathKind | "none"): string {
  if (next === "direct") return "direct path confirmed; relay route dropped";
  if (next === "relay") {
    return before === "direct"
      ? "direct path quiet for 8 s; back on the relay"
      : "session carried by the relay";
  }
  return "every path lost";
}
