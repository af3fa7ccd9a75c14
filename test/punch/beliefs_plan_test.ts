import assert from "node:assert/strict";
import {
  type Beliefs,
  BIRTHDAY_BUDGET_MS,
  DIRECT_BUDGET_MS,
  emptyBeliefs,
  HEADSTART_FROM_MEAN,
  HOUR_MS,
  isDoubtful,
  MINUTE_MS,
  planAttempts,
  type PlanContext,
  reconsiderAfterMs,
  recordAttempt,
  recordNetwork,
  RELAY_BUDGET_MS,
  RELAY_HEADSTART_MAX_MS,
  relayHeadStartMs,
} from "../../lib/punch/beliefs.ts";

const ID = "3F1C".repeat(16);
const EASY: PlanContext = { selfHard: false, peerHard: false, haveRelay: true };
const kinds = (b: Beliefs, now: number, ctx: PlanContext) =>
  planAttempts(b, ID, now, ctx).map((p) => p.kind).join(",");

function failDirect(b: Beliefs, n: number, from: number): Beliefs {
  for (let i = 0; i < n; i++) b = recordAttempt(b, ID, "direct", false, from + i * MINUTE_MS);
  return b;
}

Deno.test("planAttempts() with nothing learned: direct, then the relay after a head start", () => {
  const plan = planAttempts(emptyBeliefs(0), ID, 0, EASY);
  assert.deepEqual(
    plan.map(({ kind, startAfterMs, budgetMs }) => ({ kind, startAfterMs, budgetMs })),
    [
      { kind: "direct", startAfterMs: 0, budgetMs: DIRECT_BUDGET_MS },
      { kind: "relay", startAfterMs: relayHeadStartMs(0.5), budgetMs: RELAY_BUDGET_MS },
    ],
  );
  assert.ok(plan.every((p) => p.why.length > 0));
});

Deno.test("planAttempts() with both NATs hard: the relay at once, or nothing without one", () => {
  const ctx = { selfHard: true, peerHard: true, haveRelay: true };
  const plan = planAttempts(emptyBeliefs(0), ID, 0, ctx);
  assert.equal(plan.length, 1);
  assert.equal(plan[0]!.kind, "relay");
  assert.equal(plan[0]!.startAfterMs, 0);
  assert.match(plan[0]!.why, /no punch can work/);
  assert.deepEqual(planAttempts(emptyBeliefs(0), ID, 0, { ...ctx, haveRelay: false }), []);
});

Deno.test("planAttempts() with one NAT hard: the birthday punch, then the relay", () => {
  assert.equal(kinds(emptyBeliefs(0), 0, { ...EASY, selfHard: true }), "birthday,relay");
  assert.equal(kinds(emptyBeliefs(0), 0, { ...EASY, peerHard: true }), "birthday,relay");
  assert.equal(
    kinds(emptyBeliefs(0), 0, { ...EASY, peerHard: true, haveRelay: false }),
    "birthday",
  );
});

Deno.test("planAttempts() tries direct first against a hard peer when our filtering is open", () => {
  let b = emptyBeliefs(0);
  for (let i = 0; i < 6; i++) b = recordNetwork(b, "eif", true, i);
  const plan = planAttempts(b, ID, 10, { ...EASY, peerHard: true });
  assert.deepEqual(plan.map((p) => p.kind), ["direct", "birthday", "relay"]);
  assert.equal(plan[1]!.startAfterMs, DIRECT_BUDGET_MS);
});

Deno.test("planAttempts() with hardness unknown: direct, then birthday after direct's budget", () => {
  const ctx = { selfHard: undefined, peerHard: undefined, haveRelay: true };
  const plan = planAttempts(emptyBeliefs(0), ID, 0, ctx);
  assert.deepEqual(plan.map((p) => [p.kind, p.startAfterMs]), [
    ["direct", 0],
    ["birthday", DIRECT_BUDGET_MS],
    ["relay", relayHeadStartMs(0.5)],
  ]);
  assert.equal(plan[1]!.budgetMs, BIRTHDAY_BUDGET_MS);
});

Deno.test("planAttempts() takes an unmeasured own NAT from the EIM belief", () => {
  let b = emptyBeliefs(0);
  for (let i = 0; i < 6; i++) b = recordNetwork(b, "eim", false, i);
  const plan = planAttempts(b, ID, 10, { ...EASY, selfHard: undefined });
  assert.deepEqual(plan.map((p) => p.kind), ["birthday", "relay"]);
  assert.match(plan[0]!.why, /believed hard \(EIM belief\)/);
});

Deno.test("planAttempts() skips a direct punch that failed ten times this hour", () => {
  const b = failDirect(emptyBeliefs(0), 10, 0);
  const now = 10 * MINUTE_MS;
  const plan = planAttempts(b, ID, now, EASY);
  assert.equal(plan.length, 1);
  assert.deepEqual([plan[0]!.kind, plan[0]!.startAfterMs], ["relay", 0]);
  assert.match(plan[0]!.why, /direct keeps failing \(0\.\d\d after \d+ tries; retried in 1 h/);
});

Deno.test("planAttempts() returns to direct once the failures have faded", () => {
  const b = failDirect(emptyBeliefs(0), 10, 0);
  const now = 10 * MINUTE_MS;
  const wait = reconsiderAfterMs(b, ID, "direct", now);
  assert.ok(wait > HOUR_MS && wait < 3 * HOUR_MS, `wait ${wait}`);
  assert.equal(kinds(b, now + wait - 2, EASY), "relay");
  assert.equal(kinds(b, now + wait, EASY), "direct,relay");
  assert.equal(reconsiderAfterMs(b, ID, "direct", now + wait), 0);
});

Deno.test("planAttempts() keeps a doubtful punch, last, when there is no relay", () => {
  const b = failDirect(emptyBeliefs(0), 10, 0);
  const now = 10 * MINUTE_MS;
  const plan = planAttempts(b, ID, now, { ...EASY, haveRelay: false });
  assert.deepEqual(plan.map((p) => p.kind), ["direct"]);
  assert.match(plan[0]!.why, /kept despite doubt/);
  const unknown = { selfHard: undefined, peerHard: undefined, haveRelay: false };
  assert.equal(kinds(b, now, unknown), "birthday,direct");
});

Deno.test("planAttempts() goes straight to the relay when UDP looks blocked here", () => {
  let b = emptyBeliefs(0);
  for (let i = 0; i < 10; i++) b = recordNetwork(b, "udp", false, i);
  const plan = planAttempts(b, ID, 10, { ...EASY, selfHard: undefined, peerHard: undefined });
  assert.equal(plan.length, 1);
  assert.equal(plan[0]!.startAfterMs, 0);
  assert.equal(plan[0]!.why.match(/UDP looks blocked here/g)?.length, 1);
});

Deno.test("planAttempts() gives direct a longer head start the more it has worked", () => {
  let b = emptyBeliefs(0);
  for (let i = 0; i < 9; i++) b = recordAttempt(b, ID, "direct", true, i);
  const plan = planAttempts(b, ID, 10, EASY);
  assert.equal(plan[0]!.kind, "direct");
  assert.ok(plan[1]!.startAfterMs > RELAY_HEADSTART_MAX_MS * 0.8, `${plan[1]!.startAfterMs}`);
  assert.ok(plan[1]!.startAfterMs <= RELAY_HEADSTART_MAX_MS);
});

Deno.test("isDoubtful() needs both a low mean and enough evidence", () => {
  assert.equal(isDoubtful({ a: 1, b: 11, t: 0 }), true);
  assert.equal(isDoubtful({ a: 0.1, b: 2, t: 0 }), false);
  assert.equal(isDoubtful({ a: 3, b: 11, t: 0 }), false);
});

Deno.test("reconsiderAfterMs() is 0 for a peer never tried", () => {
  assert.equal(reconsiderAfterMs(emptyBeliefs(0), ID, "direct", 0), 0);
});

Deno.test("relayHeadStartMs() is 0 for a weak punch and rises to the maximum at certainty", () => {
  assert.equal(relayHeadStartMs(0), 0);
  assert.equal(relayHeadStartMs(HEADSTART_FROM_MEAN), 0);
  assert.equal(relayHeadStartMs(1), RELAY_HEADSTART_MAX_MS);
  assert.equal(relayHeadStartMs(2), RELAY_HEADSTART_MAX_MS);
  let last = -1;
  for (let m = 0; m <= 1; m += 0.05) {
    const h = relayHeadStartMs(m);
    assert.ok(h >= last);
    last = h;
  }
  assert.ok(relayHeadStartMs(0.5) > 0 && relayHeadStartMs(0.5) < RELAY_HEADSTART_MAX_MS);
});

Deno.test("planAttempts() retries a faded direct punch beside a relay that starts at once", () => {
  let b = failDirect(emptyBeliefs(0), 10, 0);
  const now = 10 * MINUTE_MS;
  const at = now + reconsiderAfterMs(b, ID, "direct", now);
  const plan = planAttempts(b, ID, at, EASY);
  assert.deepEqual(plan.map((p) => [p.kind, p.startAfterMs]), [["direct", 0], ["relay", 0]]);
  b = recordAttempt(b, ID, "direct", false, at + DIRECT_BUDGET_MS);
  assert.equal(kinds(b, at + DIRECT_BUDGET_MS, EASY), "relay");
});
