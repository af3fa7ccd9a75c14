/**
 * Beliefs about which paths reach which peers, learned from past attempts and used to plan
 * the next one. Each yes/no question ("does a direct punch to this peer work?", "does UDP
 * work here?") is a Beta distribution whose evidence fades toward a prior with a half-life;
 * {@link planAttempts} orders and times punches and the relay from them. Pure: no I/O and no
 * clock (every function takes `now` in ms); `commands/_beliefs.ts` loads and saves the file.
 * The model is explained in docs/beliefs.md.
 *
 * @example
 * ```ts
 * import { emptyBeliefs, planAttempts, recordAttempt } from "./beliefs.ts";
 * const id = "3F1C".repeat(16);
 * let b = emptyBeliefs(0);
 * for (let i = 0; i < 10; i++) b = recordAttempt(b, id, "direct", false, i * 60_000);
 * const ctx = { selfHard: false, peerHard: false, haveRelay: true };
 * console.assert(planAttempts(b, id, 600_000, ctx)[0]!.kind === "relay");
 * console.assert(planAttempts(b, id, 600_000 + 6 * 3_600_000, ctx)[0]!.kind === "direct");
 * ```
 * @module
 */
export {
  type BeliefOptions,
  type Beta,
  confidence,
  decayed,
  DEFAULT_BELIEF_OPTIONS,
  evidence,
  FADED_EVIDENCE,
  fresh,
  HOUR_MS,
  mean,
  MINUTE_MS,
  observe,
} from "./beliefs_beta.ts";
export {
  type Beliefs,
  DEFAULT_MAX_PEERS,
  emptyBeliefs,
  forgetNetwork,
  KIND_OPTIONS,
  lastUpdate,
  type NetworkBeliefs,
  type NetworkQuestion,
  PATH_KINDS,
  type PathKind,
  type PeerBeliefs,
  peerBeliefs,
  peerKey,
  pruneBeliefs,
  recordAttempt,
  recordNetwork,
} from "./beliefs_store.ts";
export {
  BIRTHDAY_BUDGET_MS,
  DIRECT_BUDGET_MS,
  DOUBT_MEAN,
  DOUBT_MIN_EVIDENCE,
  doubtfulForMs,
  isDoubtful,
  NETWORK_FALSE_BELOW,
  NETWORK_MIN_EVIDENCE,
  NETWORK_TRUE_ABOVE,
  networkVerdict,
  planAttempts,
  type PlanContext,
  type PlannedAttempt,
  reconsiderAfterMs,
  RELAY_BUDGET_MS,
  RELAY_HEADSTART_MAX_MS,
} from "./beliefs_plan.ts";
export {
  DESCRIBE_MAX_PEERS,
  describeBeliefs,
  formatDuration,
  formatTries,
} from "./beliefs_describe.ts";
