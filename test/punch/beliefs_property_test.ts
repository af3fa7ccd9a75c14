import assert from "node:assert/strict";
import fc from "fast-check";
import {
  type Beliefs,
  type Beta,
  decayed,
  DEFAULT_BELIEF_OPTIONS,
  emptyBeliefs,
  HOUR_MS,
  KIND_OPTIONS,
  lastUpdate,
  mean,
  observe,
  type PathKind,
  planAttempts,
  type PlanContext,
  pruneBeliefs,
  reconsiderAfterMs,
  recordAttempt,
  recordNetwork,
} from "../../lib/punch/beliefs.ts";

const RUNS = { numRuns: 300 };
const DAY = 24 * HOUR_MS;
const ID = "3F1C".repeat(16);

const count = fc.double({ min: 0, max: 1e4, noNaN: true, noDefaultInfinity: true });
const time = fc.integer({ min: 0, max: 30 * DAY });
const beta: fc.Arbitrary<Beta> = fc.record({ a: count, b: count, t: time });
const options = fc.record({
  halfLifeMs: fc.integer({ min: 1_000, max: 7 * DAY }),
  prior: fc.record({
    a: fc.double({ min: 0.1, max: 10, noNaN: true }),
    b: fc.double({ min: 0.1, max: 10, noNaN: true }),
  }),
});
const kind = fc.constantFrom<PathKind>("direct", "birthday", "relay");
const peer = fc.constantFrom(ID, "A".repeat(64), "0".repeat(64), "BEEF".repeat(16));
const tri = fc.constantFrom(true, false, undefined);
const ctx: fc.Arbitrary<PlanContext> = fc.record({
  selfHard: tri,
  peerHard: tri,
  haveRelay: fc.boolean(),
});

type Event =
  | { peer: string; kind: PathKind; ok: boolean; dt: number }
  | { net: "udp" | "eim" | "eif"; ok: boolean; dt: number };
const event: fc.Arbitrary<Event> = fc.oneof(
  fc.record({ peer, kind, ok: fc.boolean(), dt: fc.integer({ min: 0, max: HOUR_MS }) }),
  fc.record({
    net: fc.constantFrom("udp" as const, "eim" as const, "eif" as const),
    ok: fc.boolean(),
    dt: fc.integer({ min: 0, max: HOUR_MS }),
  }),
);

function replay(events: Event[], start = 0): { b: Beliefs; now: number } {
  let b = emptyBeliefs(start), now = start;
  for (const e of events) {
    now += e.dt;
    b = "net" in e
      ? recordNetwork(b, e.net, e.ok, now)
      : recordAttempt(b, e.peer, e.kind, e.ok, now);
  }
  return { b, now };
}

const close = (x: number, y: number) =>
  Math.abs(x - y) <= 1e-9 * Math.max(1, Math.abs(x), Math.abs(y));

Deno.test("property: mean() stays in [0, 1] through any decay and observation", () => {
  fc.assert(
    fc.property(beta, time, fc.boolean(), options, (x, dt, ok, o) => {
      for (const y of [x, decayed(x, x.t + dt, o), observe(x, ok, x.t + dt, o)]) {
        const m = mean(y);
        assert.ok(m >= 0 && m <= 1, `mean ${m}`);
      }
    }),
    RUNS,
  );
});

Deno.test("property: decay moves every count monotonically toward the prior", () => {
  fc.assert(
    fc.property(beta, time, time, options, (x, d1, d2, o) => {
      const [s, l] = d1 <= d2 ? [d1, d2] : [d2, d1];
      const early = decayed(x, x.t + s, o), late = decayed(x, x.t + l, o);
      for (const k of ["a", "b"] as const) {
        const gap = (y: Beta) => Math.abs(y[k] - o.prior[k]);
        assert.ok(gap(late) <= gap(early) + 1e-9, `${k}: ${gap(late)} > ${gap(early)}`);
        assert.ok(gap(early) <= gap(x) + 1e-9);
        assert.equal(Math.sign(late[k] - o.prior[k]) * Math.sign(x[k] - o.prior[k]) >= 0, true);
      }
    }),
    RUNS,
  );
});

Deno.test("property: decay composes: decayed(decayed(x, t1), t2) == decayed(x, t2)", () => {
  fc.assert(
    fc.property(beta, time, time, options, (x, d1, d2, o) => {
      const t1 = x.t + Math.min(d1, d2), t2 = x.t + Math.max(d1, d2);
      const twice = decayed(decayed(x, t1, o), t2, o), once = decayed(x, t2, o);
      assert.ok(close(twice.a, once.a) && close(twice.b, once.b), `${twice.a} vs ${once.a}`);
      assert.equal(twice.t, once.t);
    }),
    RUNS,
  );
});

Deno.test("property: a success never lowers the mean, a failure never raises it", () => {
  fc.assert(
    fc.property(
      beta,
      time,
      options,
      fc.double({ min: 0, max: 100, noNaN: true }),
      (x, dt, o, w) => {
        const now = x.t + dt, base = mean(decayed(x, now, o));
        assert.ok(mean(observe(x, true, now, o, w)) >= base - 1e-12);
        assert.ok(mean(observe(x, false, now, o, w)) <= base + 1e-12);
        assert.ok(mean(observe(x, true, x.t, o, w)) >= mean(x) - 1e-12);
        assert.ok(mean(observe(x, false, x.t, o, w)) <= mean(x) + 1e-12);
      },
    ),
    RUNS,
  );
});

Deno.test("property: planAttempts() is deterministic and does not change its input", () => {
  fc.assert(
    fc.property(fc.array(event, { maxLength: 40 }), ctx, time, peer, (events, c, later, p) => {
      const { b, now } = replay(events);
      const copy = structuredClone(b);
      const one = planAttempts(b, p, now + later, c);
      assert.deepEqual(planAttempts(copy, p, now + later, { ...c }), one);
      assert.deepEqual(b, copy);
    }),
    RUNS,
  );
});

Deno.test("property: with a relay, every plan ends with it, and times are sane", () => {
  fc.assert(
    fc.property(fc.array(event, { maxLength: 40 }), ctx, peer, (events, c, p) => {
      const { b, now } = replay(events);
      const plan = planAttempts(b, p, now, c);
      if (c.haveRelay) {
        assert.equal(plan.at(-1)?.kind, "relay");
        assert.equal(plan.filter((a) => a.kind === "relay").length, 1);
      } else {
        assert.ok(plan.every((a) => a.kind !== "relay"));
      }
      for (const a of plan) {
        assert.ok(Number.isInteger(a.startAfterMs) && a.startAfterMs >= 0);
        assert.ok(a.budgetMs > 0 && a.why.length > 0);
      }
      assert.equal(new Set(plan.map((a) => a.kind)).size, plan.length);
    }),
    RUNS,
  );
});

Deno.test("property: both NATs hard -> no direct and no birthday punch", () => {
  fc.assert(
    fc.property(fc.array(event, { maxLength: 40 }), fc.boolean(), peer, (events, relay, p) => {
      const { b, now } = replay(events);
      const plan = planAttempts(b, p, now, { selfHard: true, peerHard: true, haveRelay: relay });
      assert.deepEqual(plan.map((a) => a.kind), relay ? ["relay"] : []);
    }),
    RUNS,
  );
});

// Histories in which direct to ID never succeeded and failed ten times within the last hour.
const failingHistory = fc.record({
  others: fc.array(event, { maxLength: 30 }).map((es) =>
    es.filter((e) => "net" in e || e.peer !== ID || e.kind !== "direct" || !e.ok)
  ),
  fails: fc.array(fc.integer({ min: 0, max: HOUR_MS }), { minLength: 10, maxLength: 15 }),
});

function withFailures(h: { others: Event[]; fails: number[] }) {
  const { b, now } = replay(h.others);
  const end = now + HOUR_MS;
  let x = b;
  for (const at of [...h.fails].sort((p, q) => p - q)) {
    x = recordAttempt(x, ID, "direct", false, now + at);
  }
  return { b: x, now: end };
}

Deno.test("property: never direct first after ten failures in the last hour", () => {
  fc.assert(
    fc.property(failingHistory, ctx, (h, c) => {
      const { b, now } = withFailures(h);
      const plan = planAttempts(b, ID, now, { ...c, haveRelay: true });
      assert.notEqual(plan[0]?.kind, "direct");
      assert.ok(plan.every((a) => a.kind !== "direct"));
    }),
    RUNS,
  );
});

Deno.test("property: direct comes first again once the failures have decayed", () => {
  const open = fc.record({
    selfHard: fc.constantFrom(false, undefined),
    peerHard: fc.constantFrom(false, undefined),
    haveRelay: fc.constant(true),
  });
  const peerOnly = failingHistory.map((h) => ({
    ...h,
    others: h.others.filter((e) => !("net" in e)),
  }));
  fc.assert(
    fc.property(peerOnly, open, (h, c) => {
      const { b, now } = withFailures(h);
      const wait = reconsiderAfterMs(b, ID, "direct", now);
      assert.ok(wait > 0 && Number.isFinite(wait), `wait ${wait}`);
      assert.ok(wait < 8 * KIND_OPTIONS.direct.halfLifeMs, `wait ${wait}`);
      assert.notEqual(planAttempts(b, ID, now + wait - 2, c)[0]?.kind, "direct");
      assert.equal(planAttempts(b, ID, now + wait, c)[0]?.kind, "direct");
    }),
    RUNS,
  );
});

Deno.test("property: pruneBeliefs() bounds the size and keeps the newest peers", () => {
  const hex = fc.stringMatching(/^[0-9A-F]{64}$/);
  const entry = fc.record({
    id: hex,
    kind,
    ok: fc.boolean(),
    at: fc.integer({ min: 0, max: DAY }),
  });
  fc.assert(
    fc.property(fc.array(entry, { maxLength: 80 }), fc.integer({ min: 0, max: 40 }), (es, max) => {
      let b = emptyBeliefs(0);
      for (const e of [...es].sort((p, q) => p.at - q.at)) {
        b = recordAttempt(b, e.id, e.kind, e.ok, e.at);
      }
      const now = DAY;
      const kept = pruneBeliefs(b, now, max);
      const keys = Object.keys(kept.peers);
      assert.ok(keys.length <= max);
      const oldestKept = Math.min(...keys.map((k) => lastUpdate(kept.peers[k]!)));
      for (const k of keys) assert.deepEqual(kept.peers[k], b.peers[k]);
      const live = pruneBeliefs(b, now, Number.MAX_SAFE_INTEGER).peers;
      const dropped = Object.keys(live).filter((k) => !(k in kept.peers));
      if (keys.length === max) {
        for (const k of dropped) assert.ok(lastUpdate(b.peers[k]!) <= oldestKept);
      }
      assert.deepEqual(pruneBeliefs(kept, now, max), kept);
    }),
    RUNS,
  );
});

Deno.test("KIND_OPTIONS.direct is DEFAULT_BELIEF_OPTIONS", () => {
  assert.deepEqual(KIND_OPTIONS.direct, DEFAULT_BELIEF_OPTIONS);
});
