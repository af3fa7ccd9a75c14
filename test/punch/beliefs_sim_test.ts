// A small virtual-time world: one peer, sessions every few minutes, each path either works
// (and connects after a fixed latency) or does not. Punches run to their budget even after
// the relay connects (as an upgrade from relay to direct would); a direct success cancels
// what has not started yet. Checks that beliefs learn, stop wasting time and keep exploring.
import assert from "node:assert/strict";
import {
  type Beliefs,
  DOUBT_MIN_EVIDENCE,
  emptyBeliefs,
  HOUR_MS,
  MINUTE_MS,
  type PathKind,
  planAttempts,
  type PlanContext,
  recordAttempt,
  relayHeadStartMs,
} from "../../lib/punch/beliefs.ts";

const ID = "3F1C".repeat(16);
const LATENCY: Record<PathKind, number> = { direct: 100, birthday: 3_000, relay: 300 };

interface Session {
  at: number;
  connectMs: number;
  tried: PathKind[];
  first: PathKind | undefined;
}

function session(
  b: Beliefs,
  now: number,
  works: Record<PathKind, boolean>,
  ctx: PlanContext,
): { b: Beliefs; s: Session } {
  const plan = planAttempts(b, ID, now, ctx);
  const punchWin = plan
    .filter((a) => a.kind !== "relay" && works[a.kind])
    .map((a) => a.startAfterMs + LATENCY[a.kind]);
  const directAt = punchWin.length ? Math.min(...punchWin) : Infinity;
  const tried: PathKind[] = [];
  let connectMs = Infinity;
  for (const a of plan) {
    if (a.startAfterMs >= directAt) continue; // cancelled before it started
    tried.push(a.kind);
    const ok = works[a.kind];
    if (ok) connectMs = Math.min(connectMs, a.startAfterMs + LATENCY[a.kind]);
    const end = a.startAfterMs + (ok ? LATENCY[a.kind] : a.budgetMs);
    b = recordAttempt(b, ID, a.kind, ok, now + end);
  }
  return { b, s: { at: now, connectMs, tried, first: plan[0]?.kind } };
}

function run(
  hours: number,
  everyMs: number,
  works: (now: number) => Record<PathKind, boolean>,
  ctx: PlanContext,
): Session[] {
  let b = emptyBeliefs(0);
  const out: Session[] = [];
  for (let now = 0; now < hours * HOUR_MS; now += everyMs) {
    const r = session(b, now, works(now), ctx);
    b = r.b;
    out.push(r.s);
  }
  return out;
}

const EASY: PlanContext = { selfHard: false, peerHard: false, haveRelay: true };

Deno.test("sim: a direct path that never works is skipped after five tries, then probed in the background", () => {
  const ss = run(24, 5 * MINUTE_MS, () => ({ direct: false, birthday: false, relay: true }), EASY);
  assert.equal(ss[0]!.connectMs, relayHeadStartMs(0.5) + LATENCY.relay);
  const firstSkip = ss.findIndex((s) => s.first === "relay");
  // Four failures have faded a little below four tries by the fifth session.
  assert.equal(firstSkip, 5);
  assert.equal(ss[firstSkip]!.connectMs, LATENCY.relay);
  // From then on the relay starts at once in every session: a retried punch runs beside it.
  assert.ok(ss.slice(firstSkip).every((s) => s.connectMs === LATENCY.relay));
  // Steady state: each probe adds one failure, which fades back below the doubt threshold in
  // log2((n + 1) / n) half-lives (n = DOUBT_MIN_EVIDENCE), rounded up to whole sessions.
  const n = DOUBT_MIN_EVIDENCE, every = 5 * MINUTE_MS;
  const period = Math.ceil(Math.log2((n + 1) / n) * HOUR_MS / every) * every;
  const probes = ss.slice(firstSkip).filter((s) => s.tried.includes("direct")).length;
  const expected = (24 * HOUR_MS - ss[firstSkip]!.at) / period;
  assert.ok(
    Math.abs(probes - expected) <= 0.2 * expected,
    `${probes} probes, expected ${expected}`,
  );
  assert.ok(ss.every((s) => Number.isFinite(s.connectMs)), "every session connects");
});

Deno.test("sim: once direct recovers, sessions go direct again within 1.5 h", () => {
  const recoverAt = 12 * HOUR_MS;
  const ss = run(
    24,
    5 * MINUTE_MS,
    (now) => ({ direct: now >= recoverAt, birthday: false, relay: true }),
    EASY,
  );
  const firstDirect = ss.find((s) => s.at >= recoverAt && s.connectMs === LATENCY.direct);
  assert.ok(firstDirect, "direct used again");
  assert.ok(firstDirect.at - recoverAt <= 1.5 * HOUR_MS, `${firstDirect.at - recoverAt} ms`);
  assert.ok(ss.slice(-12).every((s) => s.first === "direct" && s.connectMs === LATENCY.direct));
});

Deno.test("sim: a path that always works keeps its head start growing toward the maximum", () => {
  const ss = run(2, 10 * MINUTE_MS, () => ({ direct: true, birthday: false, relay: true }), EASY);
  assert.ok(ss.every((s) => s.first === "direct" && s.connectMs === LATENCY.direct));
  assert.ok(ss.every((s) => !s.tried.includes("relay")), "the relay never had to start");
});

Deno.test("sim: with the peer's NAT unknown and only birthday working, direct is dropped", () => {
  const ctx = { selfHard: undefined, peerHard: undefined, haveRelay: true };
  const ss = run(1, 5 * MINUTE_MS, () => ({ direct: false, birthday: true, relay: true }), ctx);
  assert.deepEqual(ss[0]!.tried, ["direct", "birthday", "relay"]);
  const last = ss.at(-1)!;
  assert.equal(last.first, "birthday");
  assert.deepEqual(last.tried, ["birthday", "relay"]);
  assert.ok(last.connectMs < LATENCY.birthday, "the relay bridges until the birthday punch lands");
});
