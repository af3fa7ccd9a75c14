/**
 * The packet-kind table of one UDP socket: several layers (DHT, onion, later STUN,
 * net_crypto and punch probes) register the kinds they handle, by first byte, and every
 * datagram goes to the one handler of its kind. Pure: no socket and no clock; a driver
 * ({@link UdpHost}) feeds it.
 *
 * Every handler is guarded: one that throws is counted for its kind and the datagram is
 * dropped; the table never throws. Kinds nobody registered are counted and dropped, as
 * c-toxcore drops unknown kinds.
 *
 * Some protocols cannot be told apart by their first byte (a STUN Binding request begins
 * 0x00/0x01, like a Tox ping): a layer claims those with a predicate through
 * {@link PacketTable.registerMatcher}. Matchers are tried in registration order before the
 * kind table, and their handlers are guarded and counted like every other.
 *
 * @example
 * ```ts
 * import { PacketTable } from "./table.ts";
 * const t = new PacketTable();
 * let pings = 0;
 * t.register("dht", [0x00], () => pings++);
 * t.dispatch(new Uint8Array([0x00, 1]), { hostname: "127.0.0.1", port: 1 }, 0);
 * t.dispatch(new Uint8Array([0x77]), { hostname: "127.0.0.1", port: 1 }, 0);
 * console.assert(pings === 1 && t.stats.unknown === 1);
 * ```
 * @module
 */
import type { Addr } from "../net/addr.ts";

/** Handles one datagram of a registered kind. */
export type PacketHandler = (data: Uint8Array, from: Addr, now: number) => void;

/** One registration: which layer, and its handler. */
export interface TableEntry {
  /** Name of the layer that registered ("dht", "onion"...). */
  layer: string;
  /** The handler. */
  handler: PacketHandler;
}

/** Claims a datagram for a matcher's layer; must be cheap and must not throw. */
export type PacketPredicate = (data: Uint8Array) => boolean;

/** One matcher: a layer, its predicate and its handler. */
export interface MatcherEntry extends TableEntry {
  /** True for the datagrams this layer takes. */
  matches: PacketPredicate;
}

/** Counters of a {@link PacketTable}. */
export interface TableStats {
  /** Datagrams handed to a handler. */
  dispatched: number;
  /** Empty datagrams or kinds nobody registered (dropped). */
  unknown: number;
  /** Handler failures per kind (the datagram was dropped). */
  errors: Map<number, number>;
  /** Datagrams each matcher claimed, by layer (handled or failed). */
  matched: Map<string, number>;
  /** Matcher predicates that threw (the datagram then went on to the kind table). */
  matcherErrors: number;
}

/**
 * Datagram kind to guarded handler.
 *
 * @example
 * ```ts
 * import { PacketTable } from "./table.ts";
 * const t = new PacketTable();
 * t.register("onion", [0x80, 0x81], () => {});
 * console.assert(t.route(new Uint8Array([0x81]))?.layer === "onion");
 * ```
 */
export class PacketTable {
  /** Counters. */
  readonly stats: TableStats = {
    dispatched: 0,
    unknown: 0,
    errors: new Map(),
    matched: new Map(),
    matcherErrors: 0,
  };
  #matchers: MatcherEntry[] = [];
  readonly #entries: (TableEntry | undefined)[] = new Array(256).fill(undefined);
  #fallback: TableEntry | undefined;
  readonly #onError: ((kind: number, layer: string, error: unknown) => void) | undefined;

  /** An empty table; `onError` hears about every handler that threw (it must not throw). */
  constructor(opts: { onError?: (kind: number, layer: string, error: unknown) => void } = {}) {
    this.#onError = opts.onError;
  }

  /**
   * Registers `handler` for each of `kinds` (0-255). A kind has one handler: registering a
   * kind already taken by another layer throws a `RangeError`.
   */
  register(layer: string, kinds: Iterable<number>, handler: PacketHandler): void {
    const list = [...kinds];
    for (const k of list) {
      if (!Number.isInteger(k) || k < 0 || k > 255) throw new RangeError(`bad packet kind ${k}`);
      const had = this.#entries[k];
      if (had && had.layer !== layer) {
        throw new RangeError(`packet kind ${k} is already handled by ${had.layer}`);
      }
    }
    for (const k of list) this.#entries[k] = { layer, handler };
  }

  /**
   * Registers a predicate tried before the kind table: a datagram it passes goes to
   * `handler` whatever its first byte. One matcher per layer (a second replaces the first).
   *
   * @example
   * ```ts
   * import { PacketTable } from "./table.ts";
   * const t = new PacketTable();
   * const got: string[] = [];
   * t.register("dht", [0x00], () => got.push("dht"));
   * t.registerMatcher("stun", (d) => d.length === 20, () => got.push("stun"));
   * const from = { hostname: "127.0.0.1", port: 1 };
   * t.dispatch(new Uint8Array(20), from, 0);
   * t.dispatch(new Uint8Array(82), from, 0);
   * console.assert(got.join() === "stun,dht" && t.stats.matched.get("stun") === 1);
   * ```
   */
  registerMatcher(layer: string, matches: PacketPredicate, handler: PacketHandler): void {
    this.#matchers = [...this.#matchers.filter((m) => m.layer !== layer), {
      layer,
      matches,
      handler,
    }];
  }

  /** Removes every kind `layer` registered (and its fallback and matcher). */
  unregister(layer: string): void {
    this.#matchers = this.#matchers.filter((m) => m.layer !== layer);
    for (let k = 0; k < 256; k++) {
      if (this.#entries[k]?.layer === layer) this.#entries[k] = undefined;
    }
    if (this.#fallback?.layer === layer) this.#fallback = undefined;
  }

  /** Handles every kind nobody registered (at most one fallback; a later one replaces it). */
  setFallback(layer: string, handler: PacketHandler): void {
    this.#fallback = { layer, handler };
  }

  /** The entry that would handle `data`, or `undefined` (pure lookup, no counting). */
  route(data: Uint8Array): TableEntry | undefined {
    const kind = data[0];
    if (kind === undefined) return undefined;
    return this.#match(data) ?? this.#entries[kind] ?? this.#fallback;
  }

  #match(data: Uint8Array): MatcherEntry | undefined {
    for (const m of this.#matchers) {
      try {
        if (m.matches(data)) return m;
      } catch {
        this.stats.matcherErrors++;
      }
    }
    return undefined;
  }

  /** Hands `data` to its handler, guarded; returns false when it was dropped. Never throws. */
  dispatch(data: Uint8Array, from: Addr, now: number): boolean {
    const e = this.route(data);
    if (!e) {
      this.stats.unknown++;
      return false;
    }
    if ("matches" in e) this.stats.matched.set(e.layer, (this.stats.matched.get(e.layer) ?? 0) + 1);
    try {
      e.handler(data, from, now);
      this.stats.dispatched++;
      return true;
    } catch (err) {
      const kind = data[0]!;
      this.stats.errors.set(kind, (this.stats.errors.get(kind) ?? 0) + 1);
      try {
        this.#onError?.(kind, e.layer, err);
      } catch { /* a failing error hook changes nothing */ }
      return false;
    }
  }

  /** Total handler failures over all kinds. */
  errorCount(): number {
    let n = 0;
    for (const v of this.stats.errors.values()) n += v;
    return n;
  }
}
