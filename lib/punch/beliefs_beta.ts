/**
 * A Beta belief about one yes/no question ("does a direct path to this peer work?"): `a`
 * pseudo-counts of success, `b` of failure, and the time `t` of the last update. Evidence
 * fades toward a prior with a half-life, so old failures stop counting once the network may
 * have changed. Pure arithmetic: no I/O, no clock; every function takes `now` in ms.
 *
 * @example
 * ```ts
 * import { fresh, mean, observe } from "./beliefs_beta.ts";
 * const x = observe(fresh(0), true, 1_000);
 * console.assert(mean(x) > 0.5);
 * ```
 * @module
 */

/** Pseudo-counts of success (`a`) and failure (`b`); `t` is the ms time of the last update. */
export interface Beta {
  /** Pseudo-count of successes, prior included; never negative. */
  a: number;
  /** Pseudo-count of failures, prior included; never negative. */
  b: number;
  /** Time of the last update, ms (same clock as the `now` passed in). */
  t: number;
}

/** How fast evidence fades and what it fades toward. */
export interface BeliefOptions {
  /** Time after which half of the evidence above the prior is forgotten, ms (> 0). */
  halfLifeMs: number;
  /** The belief held with no evidence: `a` successes and `b` failures, each > 0. */
  prior: { a: number; b: number };
}

/** One minute in ms. */
export const MINUTE_MS = 60_000;
/** One hour in ms. */
export const HOUR_MS = 60 * MINUTE_MS;

/**
 * The default: a one-hour half-life toward a uniform prior (one success, one failure, mean
 * 0.5, as weak as a prior can be while staying proper). An hour is about how long a NAT
 * mapping, a DHCP lease on a phone hotspot or a café network stays the same.
 *
 * @example
 * ```ts
 * import { DEFAULT_BELIEF_OPTIONS } from "./beliefs_beta.ts";
 * console.assert(DEFAULT_BELIEF_OPTIONS.halfLifeMs === 3_600_000);
 * ```
 */
export const DEFAULT_BELIEF_OPTIONS: BeliefOptions = Object.freeze({
  halfLifeMs: HOUR_MS,
  prior: Object.freeze({ a: 1, b: 1 }),
});

/** Evidence (pseudo-counts above the prior) below which a belief counts as fully faded. */
export const FADED_EVIDENCE = 0.05;

/**
 * A belief with no evidence: the prior, stamped `now`.
 *
 * @example
 * ```ts
 * import { fresh, mean } from "./beliefs_beta.ts";
 * console.assert(mean(fresh(0)) === 0.5);
 * ```
 */
export function fresh(now: number, o: BeliefOptions = DEFAULT_BELIEF_OPTIONS): Beta {
  return { a: o.prior.a, b: o.prior.b, t: now };
}

/**
 * The belief as it stands at `now`: the evidence above (or below) the prior shrinks by a
 * factor 2^(-(now - t) / halfLife). Decaying twice composes exactly, and a `now` before `t`
 * (a clock that stepped back) leaves the belief unchanged.
 *
 * @example
 * ```ts
 * import { decayed, HOUR_MS } from "./beliefs_beta.ts";
 * const x = decayed({ a: 11, b: 1, t: 0 }, HOUR_MS);
 * console.assert(Math.abs(x.a - 6) < 1e-9 && x.t === HOUR_MS);
 * ```
 */
export function decayed(x: Beta, now: number, o: BeliefOptions = DEFAULT_BELIEF_OPTIONS): Beta {
  const dt = now - x.t;
  if (!(dt > 0)) return { a: x.a, b: x.b, t: x.t };
  const f = Math.pow(2, -dt / o.halfLifeMs);
  return { a: o.prior.a + (x.a - o.prior.a) * f, b: o.prior.b + (x.b - o.prior.b) * f, t: now };
}

/**
 * Decays the belief to `now`, then adds one outcome with `weight` (default 1) pseudo-counts.
 * A non-finite or negative weight is a `RangeError`.
 *
 * @example
 * ```ts
 * import { fresh, mean, observe } from "./beliefs_beta.ts";
 * let x = fresh(0);
 * for (let i = 0; i < 10; i++) x = observe(x, false, i * 1000);
 * console.assert(mean(x) < 0.1);
 * ```
 */
export function observe(
  x: Beta,
  ok: boolean,
  now: number,
  o: BeliefOptions = DEFAULT_BELIEF_OPTIONS,
  weight = 1,
): Beta {
  if (!Number.isFinite(weight) || weight < 0) {
    throw new RangeError(`observe: weight must be a finite number >= 0, got ${weight}`);
  }
  const d = decayed(x, now, o);
  return ok ? { a: d.a + weight, b: d.b, t: d.t } : { a: d.a, b: d.b + weight, t: d.t };
}

/**
 * The expected chance of success, a / (a + b), always in [0, 1]; 0.5 when there are no
 * counts at all.
 *
 * @example
 * ```ts
 * import { mean } from "./beliefs_beta.ts";
 * console.assert(mean({ a: 3, b: 1, t: 0 }) === 0.75);
 * ```
 */
export function mean(x: Beta): number {
  const s = x.a + x.b;
  if (!(s > 0) || !Number.isFinite(s)) return 0.5;
  return Math.min(1, Math.max(0, x.a / s));
}

/**
 * How much the belief rests on: the total pseudo-count a + b (prior included). It grows by
 * one per observation and shrinks back to the prior's total as evidence fades; the 90 %
 * interval of the mean narrows roughly as 1 / sqrt(a + b).
 *
 * @example
 * ```ts
 * import { confidence, fresh } from "./beliefs_beta.ts";
 * console.assert(confidence(fresh(0)) === 2);
 * ```
 */
export function confidence(x: Beta): number {
  return x.a + x.b;
}

/**
 * The evidence gathered beyond the prior, in effective (decayed) tries: confidence minus the
 * prior's total, never below 0. Read it as "about this many recent tries".
 *
 * @example
 * ```ts
 * import { evidence, fresh, observe } from "./beliefs_beta.ts";
 * console.assert(evidence(observe(fresh(0), true, 0)) === 1);
 * ```
 */
export function evidence(x: Beta, o: BeliefOptions = DEFAULT_BELIEF_OPTIONS): number {
  return Math.max(0, x.a + x.b - o.prior.a - o.prior.b);
}
