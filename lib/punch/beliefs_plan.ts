/**
 * Turns beliefs into a plan: which paths to try to a peer, in which order, when each starts
 * and how long it may take. Structure decides what is possible (two hard NATs cannot punch;
 * one hard NAT needs the birthday punch); beliefs decide what is worth trying first (a direct
 * punch that failed ten times this hour is skipped while a relay is at hand) and how much
 * head start UDP gets over the relay. Pure and deterministic: same input, same plan.
 *
 * @example
 * ```ts
 * import { emptyBeliefs } from "./beliefs_store.ts";
 * import { planAttempts } from "./beliefs_plan.ts";
 * const plan = planAttempts(emptyBeliefs(0), "00".repeat(32), 0, {
 *   selfHard: false, peerHard: false, haveRelay: true,
 * });
 * console.assert(plan.map((p) => p.kind).join() === "direct,relay");
 * ```
 * @module
 */
import { type BeliefOptions, type Beta, decayed, evidence, mean } from "./beliefs_beta.ts";
import {
  type Beliefs,
  KIND_OPTIONS,
  type PathKind,
  peerBeliefs,
  peerKey,
} from "./beliefs_store.ts";
import { formatDuration, formatTries } from "./beliefs_describe.ts";

/** One step of a plan. */
export interface PlannedAttempt {
  /** The path to try. */
  kind: PathKind;
  /** When to start it, ms after the plan starts. */
  startAfterMs: number;
  /** How long it may run before it counts as failed, ms. */
  budgetMs: number;
  /** Why it is here, for logs and `--verbose`. */
  why: string;
}

/** What the planner knows besides the beliefs. */
export interface PlanContext {
  /** This side's NAT maps per destination (symmetric); `undefined` = not measured. */
  selfHard: boolean | undefined;
  /** The peer's NAT maps per destination; `undefined` = not known. */
  peerHard: boolean | undefined;
  /** A TCP relay shared with the peer is available. */
  haveRelay: boolean;
}

/** Budget of a direct punch: two rounds at Tox's 3 s punch interval. */
export const DIRECT_BUDGET_MS = 6_000;
/** Budget of a birthday punch: six rounds of 48 ports at 3 s, the sixth adding the low-port sweep. */
export const BIRTHDAY_BUDGET_MS = 18_000;
/** Budget of a relay attempt: TCP connect, handshake, routing request, peer online. */
export const RELAY_BUDGET_MS = 10_000;
/** The longest head start UDP gets over the relay (when UDP is believed certain). */
export const RELAY_HEADSTART_MAX_MS = 2_000;
/** A belief with a mean below this... */
export const DOUBT_MEAN = 0.2;
/** ...resting on at least this much evidence (effective tries) is doubtful: skipped. */
export const DOUBT_MIN_EVIDENCE = 4;
/** Own-network EIM/EIF beliefs are trusted once this much evidence backs them. */
export const NETWORK_MIN_EVIDENCE = 2;
/** Own-network EIM/EIF belief means at or beyond these bounds count as known. */
export const NETWORK_FALSE_BELOW = 0.2;
/** See {@link NETWORK_FALSE_BELOW}. */
export const NETWORK_TRUE_ABOVE = 0.8;

const BUDGET: Record<PathKind, number> = {
  direct: DIRECT_BUDGET_MS,
  birthday: BIRTHDAY_BUDGET_MS,
  relay: RELAY_BUDGET_MS,
};

/**
 * True when a belief (already decayed to now) says "this keeps failing": mean below
 * {@link DOUBT_MEAN} with at least {@link DOUBT_MIN_EVIDENCE} effective tries.
 *
 * @example
 * ```ts
 * import { isDoubtful } from "./beliefs_plan.ts";
 * console.assert(isDoubtful({ a: 1, b: 11, t: 0 }) && !isDoubtful({ a: 1, b: 2, t: 0 }));
 * ```
 */
export function isDoubtful(x: Beta, o: BeliefOptions = KIND_OPTIONS.direct): boolean {
  return mean(x) < DOUBT_MEAN && evidence(x, o) >= DOUBT_MIN_EVIDENCE;
}

/**
 * How long until a doubtful belief has faded enough to be tried again (0 if it is not
 * doubtful at `now`; `Infinity` if it never will be, which only a prior below
 * {@link DOUBT_MEAN} could cause). A bounded bisection over 64 half-lives.
 *
 * @example
 * ```ts
 * import { doubtfulForMs } from "./beliefs_plan.ts";
 * const ms = doubtfulForMs({ a: 1, b: 11, t: 0 }, 0);
 * console.assert(ms > 3_600_000 && ms < 3 * 3_600_000);
 * ```
 */
export function doubtfulForMs(
  x: Beta,
  now: number,
  o: BeliefOptions = KIND_OPTIONS.direct,
): number {
  const at = (dt: number) => isDoubtful(decayed(x, Math.max(now, x.t) + dt, o), o);
  if (!at(0)) return 0;
  let lo = 0, hi = 64 * o.halfLifeMs;
  if (at(hi)) return Infinity;
  for (let i = 0; i < 64 && hi - lo > 1; i++) {
    const mid = (lo + hi) / 2;
    if (at(mid)) lo = mid;
    else hi = mid;
  }
  return Math.ceil(hi + Math.max(0, x.t - now));
}

/**
 * How long until `kind` to `peer` is worth trying first again (see {@link doubtfulForMs});
 * a driver uses it to schedule the background retry of a skipped punch.
 *
 * @example
 * ```ts
 * import { emptyBeliefs } from "./beliefs_store.ts";
 * import { reconsiderAfterMs } from "./beliefs_plan.ts";
 * console.assert(reconsiderAfterMs(emptyBeliefs(0), "00".repeat(32), "direct", 0) === 0);
 * ```
 */
export function reconsiderAfterMs(b: Beliefs, peer: string, kind: PathKind, now: number): number {
  return doubtfulForMs(peerBeliefs(b, peer, now)[kind], now, KIND_OPTIONS[kind]);
}

/**
 * What the own network's beliefs say about a yes/no property: `true`/`false` once
 * {@link NETWORK_MIN_EVIDENCE} backs a clear mean, else `undefined`.
 *
 * @example
 * ```ts
 * import { networkVerdict } from "./beliefs_plan.ts";
 * console.assert(networkVerdict({ a: 1, b: 5, t: 0 }) === false);
 * ```
 */
export function networkVerdict(x: Beta, o: BeliefOptions = KIND_OPTIONS.eim): boolean | undefined {
  if (evidence(x, o) < NETWORK_MIN_EVIDENCE) return undefined;
  const m = mean(x);
  return m >= NETWORK_TRUE_ABOVE ? true : m <= NETWORK_FALSE_BELOW ? false : undefined;
}

/**
 * Orders and times the attempts to reach `peer`. The list is in order of preference (the
 * relay, when there is one, always comes last); attempts overlap once started, so a later
 * entry may start before an earlier one ends.
 *
 * - Both sides hard: no punch can work, so the relay only (or nothing without a relay).
 * - One side hard: the birthday punch; a direct punch first as well when the peer is the
 *   hard one and our own filtering is believed endpoint-independent (its packets get in).
 * - Neither known hard: a direct punch, then a birthday punch if either side is unknown.
 *   `selfHard: undefined` falls back to the own network's EIM belief.
 * - A doubtful punch ({@link isDoubtful}) or a UDP belief that says "blocked here" is left
 *   out while a relay is at hand (tried again once it fades: {@link reconsiderAfterMs});
 *   without a relay it is kept, after the others.
 * - UDP runs sequentially from 0; the relay starts after a head start of
 *   {@link RELAY_HEADSTART_MAX_MS} times the first punch's mean, at once when none is planned.
 *
 * @example
 * ```ts
 * import { emptyBeliefs, recordAttempt } from "./beliefs_store.ts";
 * import { planAttempts } from "./beliefs_plan.ts";
 * const id = "3F".repeat(32);
 * let b = emptyBeliefs(0);
 * for (let i = 0; i < 10; i++) b = recordAttempt(b, id, "direct", false, i * 60_000);
 * const plan = planAttempts(b, id, 600_000, { selfHard: false, peerHard: false, haveRelay: true });
 * console.assert(plan.length === 1 && plan[0]!.kind === "relay" && plan[0]!.startAfterMs === 0);
 * ```
 */
export function planAttempts(
  b: Beliefs,
  peer: string,
  now: number,
  ctx: PlanContext,
): PlannedAttempt[] {
  const key = peerKey(peer);
  const stored = peerBeliefs(b, key, now);
  const bel = (k: PathKind) => decayed(stored[k], now, KIND_OPTIONS[k]);
  const eim = networkVerdict(decayed(b.network.eim, now, KIND_OPTIONS.eim), KIND_OPTIONS.eim);
  const eif = networkVerdict(decayed(b.network.eif, now, KIND_OPTIONS.eif), KIND_OPTIONS.eif);
  const udp = decayed(b.network.udp, now, KIND_OPTIONS.udp);
  const selfHard = ctx.selfHard ?? (eim === undefined ? undefined : !eim);
  const peerHard = ctx.peerHard;
  const selfWhy = ctx.selfHard === undefined && selfHard !== undefined
    ? `own NAT believed ${selfHard ? "hard" : "easy"} (EIM belief)`
    : `own NAT ${selfHard === undefined ? "unknown" : selfHard ? "hard" : "easy"}`;
  const hardWhy = `${selfWhy}, peer NAT ${
    peerHard === undefined ? "unknown" : peerHard ? "hard" : "easy"
  }`;

  let kinds: PathKind[];
  if (selfHard === true && peerHard === true) kinds = [];
  else if (selfHard === true) kinds = ["birthday"];
  else if (peerHard === true) kinds = eif === true ? ["direct", "birthday"] : ["birthday"];
  else if (selfHard === false && peerHard === false) kinds = ["direct"];
  else kinds = ["direct", "birthday"];

  const notes: string[] = [];
  const udpBlocked = isDoubtful(udp, KIND_OPTIONS.udp);
  const doubtful = (k: PathKind) => udpBlocked || isDoubtful(bel(k), KIND_OPTIONS[k]);
  for (const k of kinds) {
    if (!doubtful(k)) continue;
    const x = bel(k);
    notes.push(
      udpBlocked
        ? `UDP looks blocked here (${fmt(mean(udp))} after ${tries(udp, "udp")})`
        : `${k} keeps failing (${fmt(mean(x))} after ${tries(x, k)}; retried in ${
          formatDuration(doubtfulForMs(stored[k], now, KIND_OPTIONS[k]))
        })`,
    );
  }
  const good = kinds.filter((k) => !doubtful(k));
  const udpKinds = ctx.haveRelay ? good : [...good, ...kinds.filter(doubtful)];

  const plan: PlannedAttempt[] = [];
  let t = 0;
  for (const k of udpKinds) {
    const x = bel(k);
    const kept = doubtful(k) ? "; kept despite doubt: no relay" : "";
    plan.push({
      kind: k,
      startAfterMs: t,
      budgetMs: BUDGET[k],
      why: `${k}: ${hardWhy}; belief ${fmt(mean(x))} (${tries(x, k)})${kept}`,
    });
    t += BUDGET[k];
  }
  if (ctx.haveRelay) {
    const first = plan[0];
    const start = first ? Math.round(RELAY_HEADSTART_MAX_MS * mean(bel(first.kind))) : 0;
    const reason = kinds.length === 0
      ? `no punch can work (${hardWhy})`
      : first
      ? `fallback after a ${start} ms head start for ${first.kind}`
      : "at once";
    const x = bel("relay");
    plan.push({
      kind: "relay",
      startAfterMs: start,
      budgetMs: RELAY_BUDGET_MS,
      why: [`relay: ${reason}`, ...notes, `belief ${fmt(mean(x))} (${tries(x, "relay")})`].join(
        "; ",
      ),
    });
  }
  return plan;
}

function fmt(p: number): string {
  return p.toFixed(2);
}

function tries(x: Beta, k: keyof typeof KIND_OPTIONS): string {
  return formatTries(evidence(x, KIND_OPTIONS[k]));
}
