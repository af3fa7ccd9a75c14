/**
 * What a node believes about its own network and about each peer it has tried to reach: one
 * {@link Beta} per question, updated by value (every function returns a new object and never
 * mutates its input), bounded in size by {@link pruneBeliefs}.
 *
 * @example
 * ```ts
 * import { emptyBeliefs, recordAttempt } from "./beliefs_store.ts";
 * const b = recordAttempt(emptyBeliefs(0), "ab".repeat(32), "direct", true, 1_000);
 * console.assert(Object.keys(b.peers)[0] === "AB".repeat(32));
 * ```
 * @module
 */
import {
  type BeliefOptions,
  type Beta,
  decayed,
  FADED_EVIDENCE,
  fresh,
  HOUR_MS,
  observe,
} from "./beliefs_beta.ts";

/** The ways to reach a peer: a plain UDP punch, a birthday (many-port) punch, a TCP relay. */
export type PathKind = "direct" | "birthday" | "relay";

/** All path kinds, in the order of preference when nothing else is known. */
export const PATH_KINDS: readonly PathKind[] = Object.freeze(["direct", "birthday", "relay"]);

/** Beliefs about reaching one peer, one per {@link PathKind}. */
export interface PeerBeliefs {
  /** A direct UDP hole punch works. */
  direct: Beta;
  /** A birthday-paradox punch (many ports) works. */
  birthday: Beta;
  /** The peer can be reached through a TCP relay. */
  relay: Beta;
}

/** Beliefs about this node's own network. */
export interface NetworkBeliefs {
  /** UDP gets out and back at all. */
  udp: Beta;
  /** The NAT maps endpoint-independently (one public port for all destinations). */
  eim: Beta;
  /** The NAT filters endpoint-independently (any host may send to a mapped port). */
  eif: Beta;
}

/** The questions about the own network. */
export type NetworkQuestion = keyof NetworkBeliefs;

/** Everything believed; `peers` is keyed by the peer's 64-hex id in upper case. */
export interface Beliefs {
  /** Format version. */
  version: 1;
  /** Beliefs about the own network. */
  network: NetworkBeliefs;
  /** Beliefs per peer. */
  peers: Record<string, PeerBeliefs>;
}

/** Peers kept by {@link pruneBeliefs} unless told otherwise. */
export const DEFAULT_MAX_PEERS = 1024;

/**
 * Half-life and prior for each question (see docs/beliefs.md for the reasoning):
 * per-peer punches fade in an hour, since NAT mappings and the networks of roaming peers
 * change that fast; the relay and the own network's properties change only when a machine
 * moves, so they fade in six hours. Priors: uniform for direct, EIM and EIF; birthday leans
 * toward failure (it costs hundreds of packets and often loses the race); relay and UDP lean
 * toward success (most networks pass UDP; relays nearly always forward).
 *
 * @example
 * ```ts
 * import { KIND_OPTIONS } from "./beliefs_store.ts";
 * console.assert(KIND_OPTIONS.relay.prior.a === 2);
 * ```
 */
export const KIND_OPTIONS: Readonly<Record<PathKind | NetworkQuestion, BeliefOptions>> = Object
  .freeze({
    direct: { halfLifeMs: HOUR_MS, prior: { a: 1, b: 1 } },
    birthday: { halfLifeMs: HOUR_MS, prior: { a: 1, b: 2 } },
    relay: { halfLifeMs: 6 * HOUR_MS, prior: { a: 2, b: 1 } },
    udp: { halfLifeMs: 6 * HOUR_MS, prior: { a: 2, b: 1 } },
    eim: { halfLifeMs: 6 * HOUR_MS, prior: { a: 1, b: 1 } },
    eif: { halfLifeMs: 6 * HOUR_MS, prior: { a: 1, b: 1 } },
  });

/**
 * The canonical key of a peer: its 64-hex id in upper case; anything else is a `TypeError`.
 *
 * @example
 * ```ts
 * import { peerKey } from "./beliefs_store.ts";
 * console.assert(peerKey("0f".repeat(32)) === "0F".repeat(32));
 * ```
 */
export function peerKey(peer: string): string {
  if (typeof peer !== "string" || !/^[0-9a-fA-F]{64}$/.test(peer)) {
    throw new TypeError(`peer id must be 64 hex characters, got ${JSON.stringify(peer)}`);
  }
  return peer.toUpperCase();
}

/**
 * Nothing learned yet: every question at its prior, stamped `now`.
 *
 * @example
 * ```ts
 * import { emptyBeliefs } from "./beliefs_store.ts";
 * console.assert(Object.keys(emptyBeliefs(0).peers).length === 0);
 * ```
 */
export function emptyBeliefs(now: number): Beliefs {
  return { version: 1, network: freshNetwork(now), peers: {} };
}

/**
 * The stored beliefs about `peer`, or fresh ones when it was never tried. Values are as
 * stored (decay them with `decayed(x, now, KIND_OPTIONS[kind])` to read them at `now`).
 *
 * @example
 * ```ts
 * import { emptyBeliefs, peerBeliefs } from "./beliefs_store.ts";
 * console.assert(peerBeliefs(emptyBeliefs(0), "00".repeat(32), 5).direct.t === 5);
 * ```
 */
export function peerBeliefs(b: Beliefs, peer: string, now: number): PeerBeliefs {
  const p = b.peers[peerKey(peer)];
  if (p) return { direct: { ...p.direct }, birthday: { ...p.birthday }, relay: { ...p.relay } };
  return {
    direct: fresh(now, KIND_OPTIONS.direct),
    birthday: fresh(now, KIND_OPTIONS.birthday),
    relay: fresh(now, KIND_OPTIONS.relay),
  };
}

/**
 * Records the outcome of one attempt to reach `peer` by `kind`; returns new beliefs.
 *
 * @example
 * ```ts
 * import { emptyBeliefs, recordAttempt } from "./beliefs_store.ts";
 * const id = "3F".repeat(32);
 * const b = recordAttempt(emptyBeliefs(0), id, "relay", true, 10);
 * console.assert(b.peers[id]!.relay.a === 3);
 * ```
 */
export function recordAttempt(
  b: Beliefs,
  peer: string,
  kind: PathKind,
  ok: boolean,
  now: number,
): Beliefs {
  const key = peerKey(peer);
  const p = peerBeliefs(b, key, now);
  const next: PeerBeliefs = { ...p, [kind]: observe(p[kind], ok, now, KIND_OPTIONS[kind]) };
  return { ...b, peers: { ...b.peers, [key]: next } };
}

/**
 * Records one finding about the own network (`udp`, `eim` or `eif`); returns new beliefs.
 *
 * @example
 * ```ts
 * import { emptyBeliefs, recordNetwork } from "./beliefs_store.ts";
 * console.assert(recordNetwork(emptyBeliefs(0), "eim", false, 1).network.eim.b === 2);
 * ```
 */
export function recordNetwork(
  b: Beliefs,
  what: NetworkQuestion,
  ok: boolean,
  now: number,
): Beliefs {
  const x = observe(b.network[what], ok, now, KIND_OPTIONS[what]);
  return { ...b, network: { ...b.network, [what]: x } };
}

/**
 * Forgets what was learned about the own network (call it when the machine's addresses
 * change: a new network may behave in any way); peer beliefs stay.
 *
 * @example
 * ```ts
 * import { emptyBeliefs, forgetNetwork, recordNetwork } from "./beliefs_store.ts";
 * const b = forgetNetwork(recordNetwork(emptyBeliefs(0), "udp", false, 1), 2);
 * console.assert(b.network.udp.b === 1);
 * ```
 */
export function forgetNetwork(b: Beliefs, now: number): Beliefs {
  return { ...b, network: freshNetwork(now) };
}

/**
 * The time of the newest update of any of a peer's beliefs.
 *
 * @example
 * ```ts
 * import { emptyBeliefs, lastUpdate, peerBeliefs } from "./beliefs_store.ts";
 * console.assert(lastUpdate(peerBeliefs(emptyBeliefs(0), "00".repeat(32), 7)) === 7);
 * ```
 */
export function lastUpdate(p: PeerBeliefs): number {
  return Math.max(p.direct.t, p.birthday.t, p.relay.t);
}

/**
 * Bounds the size: drops peers whose every belief has faded to within {@link FADED_EVIDENCE}
 * pseudo-counts of its prior by `now`, then keeps
 * only the `maxPeers` (default 1024) most recently updated (ties broken by id, so the result
 * is deterministic). A `maxPeers` that is not a whole number >= 0 is a `RangeError`.
 *
 * @example
 * ```ts
 * import { emptyBeliefs, pruneBeliefs, recordAttempt } from "./beliefs_store.ts";
 * let b = emptyBeliefs(0);
 * for (let i = 0; i < 5; i++) b = recordAttempt(b, i.toString(16).repeat(64), "direct", true, i);
 * console.assert(Object.keys(pruneBeliefs(b, 10, 2).peers).length === 2);
 * ```
 */
export function pruneBeliefs(b: Beliefs, now: number, maxPeers = DEFAULT_MAX_PEERS): Beliefs {
  if (!Number.isInteger(maxPeers) || maxPeers < 0) {
    throw new RangeError(`pruneBeliefs: maxPeers must be a whole number >= 0, got ${maxPeers}`);
  }
  const live = Object.entries(b.peers).filter(([, p]) => !faded(p, now));
  live.sort(([ka, pa], [kb, pb]) =>
    lastUpdate(pb) - lastUpdate(pa) || (ka < kb ? -1 : ka > kb ? 1 : 0)
  );
  const peers: Record<string, PeerBeliefs> = {};
  for (const [k, p] of live.slice(0, maxPeers)) peers[k] = p;
  return { ...b, peers };
}

function faded(p: PeerBeliefs, now: number): boolean {
  return PATH_KINDS.every((k) => {
    const o = KIND_OPTIONS[k], x = decayed(p[k], now, o);
    return Math.abs(x.a - o.prior.a) + Math.abs(x.b - o.prior.b) < FADED_EVIDENCE;
  });
}

function freshNetwork(now: number): NetworkBeliefs {
  return {
    udp: fresh(now, KIND_OPTIONS.udp),
    eim: fresh(now, KIND_OPTIONS.eim),
    eif: fresh(now, KIND_OPTIONS.eif),
  };
}
