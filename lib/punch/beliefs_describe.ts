/**
 * Beliefs as lines for people: `direct to 3F1C…: 0.82 (9 tries, last 4 min ago)`. The
 * chance shown is the belief decayed to `now`; "tries" are effective (faded) tries, so ten
 * failures two hours ago read as about two or three.
 *
 * @example
 * ```ts
 * import { emptyBeliefs } from "./beliefs_store.ts";
 * import { describeBeliefs } from "./beliefs_describe.ts";
 * console.assert(describeBeliefs(emptyBeliefs(0), undefined, 0).length === 3);
 * ```
 * @module
 */
import { type Beta, decayed, evidence, FADED_EVIDENCE, mean } from "./beliefs_beta.ts";
import {
  type Beliefs,
  KIND_OPTIONS,
  lastUpdate,
  type NetworkQuestion,
  PATH_KINDS,
  type PeerBeliefs,
  peerBeliefs,
  peerKey,
} from "./beliefs_store.ts";

/** At most this many peers are listed when no peer is asked for. */
export const DESCRIBE_MAX_PEERS = 20;

const NETWORK_LABEL: Record<NetworkQuestion, string> = {
  udp: "UDP works here",
  eim: "NAT mapping endpoint-independent",
  eif: "NAT filtering endpoint-independent",
};

/**
 * Readable lines: the three own-network beliefs, then the three path beliefs of `peer`, or,
 * without a peer, those of the {@link DESCRIBE_MAX_PEERS} most recently updated peers.
 *
 * @example
 * ```ts
 * import { emptyBeliefs, recordAttempt } from "./beliefs_store.ts";
 * import { describeBeliefs } from "./beliefs_describe.ts";
 * const id = "3F1C".repeat(16);
 * const b = recordAttempt(emptyBeliefs(0), id, "direct", true, 0);
 * const lines = describeBeliefs(b, id, 240_000);
 * console.assert(lines.includes("direct to 3F1C…: 0.66 (1 try, last 4 min ago)"));
 * ```
 */
export function describeBeliefs(b: Beliefs, peer: string | undefined, now: number): string[] {
  const lines: string[] = [];
  for (const q of ["udp", "eim", "eif"] as const) {
    lines.push(`${NETWORK_LABEL[q]}: ${describeOne(b.network[q], q, now)}`);
  }
  if (peer !== undefined) {
    lines.push(...peerLines(peerKey(peer), peerBeliefs(b, peer, now), now));
    return lines;
  }
  const peers = Object.entries(b.peers).sort(([ka, pa], [kb, pb]) =>
    lastUpdate(pb) - lastUpdate(pa) || (ka < kb ? -1 : ka > kb ? 1 : 0)
  );
  for (const [k, p] of peers.slice(0, DESCRIBE_MAX_PEERS)) lines.push(...peerLines(k, p, now));
  const more = peers.length - DESCRIBE_MAX_PEERS;
  if (more > 0) lines.push(`… and ${more} more ${more === 1 ? "peer" : "peers"}`);
  return lines;
}

function peerLines(key: string, p: PeerBeliefs, now: number): string[] {
  return PATH_KINDS.map((k) => `${k} to ${key.slice(0, 4)}…: ${describeOne(p[k], k, now)}`);
}

function describeOne(x: Beta, k: keyof typeof KIND_OPTIONS, now: number): string {
  const o = KIND_OPTIONS[k];
  const d = decayed(x, now, o);
  const n = evidence(d, o);
  const m = mean(d).toFixed(2);
  if (evidence(x, o) < FADED_EVIDENCE) return `${m} (untried)`;
  if (n < FADED_EVIDENCE) return `${m} (faded, last ${formatDuration(now - x.t)} ago)`;
  return `${m} (${formatTries(n)}, last ${formatDuration(now - x.t)} ago)`;
}

/**
 * A count of effective tries for people: `untried`, `<1 try`, `1 try`, `9 tries`.
 *
 * @example
 * ```ts
 * import { formatTries } from "./beliefs_describe.ts";
 * console.assert(formatTries(8.6) === "9 tries" && formatTries(0) === "untried");
 * ```
 */
export function formatTries(n: number): string {
  if (!(n >= FADED_EVIDENCE)) return "untried";
  const r = Math.round(n);
  return r < 1 ? "<1 try" : `${r} ${r === 1 ? "try" : "tries"}`;
}

/**
 * A duration for people: `45 s`, `12 min`, `3 h 5 min`, `2 d`; `never` for `Infinity`.
 *
 * @example
 * ```ts
 * import { formatDuration } from "./beliefs_describe.ts";
 * console.assert(formatDuration(90 * 60_000) === "1 h 30 min");
 * ```
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return "never";
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const min = Math.round(s / 60);
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60), rest = min % 60;
  if (h < 48) return rest ? `${h} h ${rest} min` : `${h} h`;
  return `${Math.round(h / 24)} d`;
}
