/**
 * Consumers of one set of relay links: any number of listeners per event kind, plus data
 * listeners for one peer, so punch coordination, net_crypto and the onion can share the
 * links. Each subscription returns its unsubscribe function. A listener that throws is
 * counted in {@link RelayClientEvents.listenerErrors} and the others still run.
 *
 * @example
 * ```ts
 * import { RelayClientEvents } from "./client_events.ts";
 * const ev = new RelayClientEvents();
 * let n = 0;
 * const off = ev.on("oob", () => n++);
 * ev.on("oob", () => { throw new Error("a broken consumer"); });
 * const k = new Uint8Array(32);
 * ev.deliver({ type: "oob", sender: k, data: new Uint8Array(1), relay: k });
 * off();
 * ev.deliver({ type: "oob", sender: k, data: new Uint8Array(1), relay: k });
 * console.assert(n === 1 && ev.listenerErrors === 2);
 * ```
 * @module
 */
import { toHex } from "../util/bytes.ts";
import type { RelayCoreEvent } from "./client_types.ts";

/** The listener signature of each event kind. `relay` is the relay's public key. */
export interface RelayClientListeners {
  /** Data from a peer (sent on a route, or out of band by a peer we route to). */
  data: (peer: Uint8Array, data: Uint8Array, relay: Uint8Array) => void;
  /** Out-of-band packet from `sender`, a client of that relay we hold no route to. */
  oob: (sender: Uint8Array, data: Uint8Array, relay: Uint8Array) => void;
  /** A peer became reachable (first online route) or unreachable (none left). */
  peer: (peer: Uint8Array, online: boolean) => void;
  /** A relay link came up or went down. */
  relay: (relay: Uint8Array, up: boolean, reason?: string) => void;
  /** An onion response (TCP id 9) from a relay. */
  onionResponse: (data: Uint8Array, relay: Uint8Array) => void;
  /** A relay refused a route to `peer` too often; it is asked again after a relink. */
  routeRefused: (peer: Uint8Array, relay: Uint8Array) => void;
}

/** Data listener of one peer. */
export type PeerDataListener = (data: Uint8Array, relay: Uint8Array) => void;

/**
 * Listener sets and their isolated delivery.
 *
 * @example
 * ```ts
 * import { RelayClientEvents } from "./client_events.ts";
 * const ev = new RelayClientEvents();
 * const peer = new Uint8Array(32).fill(1), relay = new Uint8Array(32);
 * const got: number[] = [];
 * ev.onPeerData(peer, (d) => got.push(d[0]!));
 * ev.deliver({ type: "data", peer, data: new Uint8Array([7]), relay, oob: false });
 * ev.deliver({ type: "data", peer: relay, data: new Uint8Array([8]), relay, oob: false });
 * console.assert(got.length === 1 && got[0] === 7);
 * ```
 */
export class RelayClientEvents {
  readonly #sets: { [K in keyof RelayClientListeners]: Set<RelayClientListeners[K]> } = {
    data: new Set(),
    oob: new Set(),
    peer: new Set(),
    relay: new Set(),
    onionResponse: new Set(),
    routeRefused: new Set(),
  };
  readonly #byPeer = new Map<string, Set<PeerDataListener>>();
  #errors = 0;

  /** Listener calls that threw (each one isolated from the rest). */
  get listenerErrors(): number {
    return this.#errors;
  }

  /** Adds a listener of every event of `type`; returns its unsubscribe function. */
  on<K extends keyof RelayClientListeners>(type: K, fn: RelayClientListeners[K]): () => void {
    const set = this.#sets[type] as Set<RelayClientListeners[K]>;
    // A wrapper, so one function subscribed twice is two subscriptions.
    const entry = ((...a: unknown[]) => (fn as (...a: unknown[]) => void)(...a)) as never;
    set.add(entry);
    return () => void set.delete(entry);
  }

  /** Adds a listener of data from `peer` only; returns its unsubscribe function. */
  onPeerData(peer: Uint8Array, fn: PeerDataListener): () => void {
    const hex = toHex(peer);
    let set = this.#byPeer.get(hex);
    if (!set) this.#byPeer.set(hex, set = new Set());
    const entry: PeerDataListener = (d, r) => fn(d, r);
    set.add(entry);
    return () => {
      set.delete(entry);
      if (set.size === 0 && this.#byPeer.get(hex) === set) this.#byPeer.delete(hex);
    };
  }

  /** Hands one core event to its listeners. */
  deliver(e: RelayCoreEvent): void {
    switch (e.type) {
      case "data":
        this.#call(this.#byPeer.get(toHex(e.peer)), e.data, e.relay);
        return this.#call(this.#sets.data, e.peer, e.data, e.relay);
      case "oob":
        return this.#call(this.#sets.oob, e.sender, e.data, e.relay);
      case "peer":
        return this.#call(this.#sets.peer, e.peer, e.online);
      case "relay":
        return this.#call(this.#sets.relay, e.relay, e.up, e.reason);
      case "onionResponse":
        return this.#call(this.#sets.onionResponse, e.data, e.relay);
      case "routeRefused":
        return this.#call(this.#sets.routeRefused, e.peer, e.relay);
    }
  }

  // deno-lint-ignore no-explicit-any
  #call(set: Set<(...a: any[]) => void> | undefined, ...args: unknown[]): void {
    if (!set) return;
    for (const fn of [...set]) {
      try {
        fn(...args);
      } catch {
        this.#errors++;
      }
    }
  }
}
