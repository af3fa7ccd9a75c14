import assert from "node:assert/strict";
import {
  confidence,
  decayed,
  DEFAULT_BELIEF_OPTIONS,
  describeBeliefs,
  emptyBeliefs,
  evidence,
  forgetNetwork,
  formatDuration,
  fresh,
  HOUR_MS,
  KIND_OPTIONS,
  mean,
  MINUTE_MS,
  observe,
  peerBeliefs,
  pruneBeliefs,
  recordAttempt,
  recordNetwork,
} from "../../lib/punch/beliefs.ts";

const ID = "3F1C".repeat(16);
const near = (x: number, y: number, eps = 1e-9) =>
  assert.ok(Math.abs(x - y) <= eps, `${x} is not within ${eps} of ${y}`);

Deno.test("fresh() is the prior stamped now", () => {
  assert.deepEqual(fresh(7), { a: 1, b: 1, t: 7 });
  assert.deepEqual(fresh(7, KIND_OPTIONS.birthday), { a: 1, b: 2, t: 7 });
});

Deno.test("decayed() halves the evidence above the prior every half-life", () => {
  const x = { a: 9, b: 5, t: 1000 };
  const d = decayed(x, 1000 + HOUR_MS);
  near(d.a, 1 + 8 / 2);
  near(d.b, 1 + 4 / 2);
  assert.equal(d.t, 1000 + HOUR_MS);
  const d2 = decayed(x, 1000 + 2 * HOUR_MS);
  near(d2.a, 1 + 8 / 4);
});

Deno.test("decayed() leaves a belief alone when the clock stepped back", () => {
  const x = { a: 9, b: 5, t: 1000 };
  assert.deepEqual(decayed(x, 10), x);
});

Deno.test("decayed() pulls a belief below the prior up toward it", () => {
  const d = decayed({ a: 0, b: 0, t: 0 }, HOUR_MS);
  near(d.a, 0.5);
  near(d.b, 0.5);
});

Deno.test("observe() decays to now before adding the outcome", () => {
  const x = observe({ a: 5, b: 1, t: 0 }, false, HOUR_MS);
  near(x.a, 3);
  near(x.b, 2);
  assert.equal(x.t, HOUR_MS);
  near(observe(fresh(0), true, 0, DEFAULT_BELIEF_OPTIONS, 2.5).a, 3.5);
});

Deno.test("observe() rejects a negative or non-finite weight with RangeError", () => {
  for (const w of [-1, NaN, Infinity]) {
    assert.throws(() => observe(fresh(0), true, 0, DEFAULT_BELIEF_OPTIONS, w), RangeError);
  }
});

Deno.test("mean() is a / (a + b) and 0.5 without any counts", () => {
  assert.equal(mean({ a: 3, b: 1, t: 0 }), 0.75);
  assert.equal(mean({ a: 0, b: 0, t: 0 }), 0.5);
  assert.equal(mean({ a: 0, b: 2, t: 0 }), 0);
});

Deno.test("confidence() is the total pseudo-count and evidence() the part above the prior", () => {
  const x = observe(observe(fresh(0), true, 0), false, 0);
  assert.equal(confidence(x), 4);
  assert.equal(evidence(x), 2);
  assert.equal(evidence({ a: 0, b: 0, t: 0 }), 0);
});

Deno.test("peerBeliefs() gives fresh beliefs for an unknown peer and does not store them", () => {
  const b = emptyBeliefs(0);
  const p = peerBeliefs(b, ID, 5);
  assert.deepEqual(p.direct, fresh(5, KIND_OPTIONS.direct));
  assert.deepEqual(p.relay, fresh(5, KIND_OPTIONS.relay));
  assert.equal(Object.keys(b.peers).length, 0);
});

Deno.test("peerBeliefs() returns a copy: changing it leaves the beliefs alone", () => {
  const b = recordAttempt(emptyBeliefs(0), ID, "direct", true, 0);
  peerBeliefs(b, ID, 0).direct.a = 99;
  assert.equal(b.peers[ID]!.direct.a, 2);
});

Deno.test("recordAttempt() returns new beliefs and leaves the input untouched", () => {
  const b0 = emptyBeliefs(0);
  const snapshot = structuredClone(b0);
  const b1 = recordAttempt(b0, ID.toLowerCase(), "birthday", false, 10);
  assert.deepEqual(b0, snapshot);
  assert.deepEqual(Object.keys(b1.peers), [ID]);
  assert.equal(b1.peers[ID]!.birthday.b, 3);
  assert.equal(b1.peers[ID]!.direct.a, 1);
});

Deno.test("recordAttempt() rejects a peer id that is not 64 hex with TypeError", () => {
  for (const bad of ["", "XY".repeat(32), "AB".repeat(31), "AB".repeat(33)]) {
    assert.throws(() => recordAttempt(emptyBeliefs(0), bad, "direct", true, 0), TypeError);
  }
});

Deno.test("recordNetwork() updates one question with its own half-life", () => {
  const b = recordNetwork(emptyBeliefs(0), "udp", true, 0);
  assert.equal(b.network.udp.a, 3);
  const later = decayed(b.network.udp, 6 * HOUR_MS, KIND_OPTIONS.udp);
  near(later.a, 2.5);
  assert.deepEqual(b.network.eim, emptyBeliefs(0).network.eim);
});

Deno.test("forgetNetwork() resets the network and keeps the peers", () => {
  let b = recordNetwork(emptyBeliefs(0), "eim", false, 0);
  b = recordAttempt(b, ID, "direct", true, 0);
  const f = forgetNetwork(b, 100);
  assert.deepEqual(f.network, emptyBeliefs(100).network);
  assert.deepEqual(f.peers, b.peers);
});

Deno.test("pruneBeliefs() keeps the most recently updated peers, ties broken by id", () => {
  let b = emptyBeliefs(0);
  const ids = ["A", "B", "C", "D"].map((c) => c.repeat(64));
  b = recordAttempt(b, ids[0]!, "direct", true, 30);
  b = recordAttempt(b, ids[1]!, "direct", true, 10);
  b = recordAttempt(b, ids[2]!, "direct", true, 30);
  b = recordAttempt(b, ids[3]!, "direct", true, 20);
  assert.deepEqual(Object.keys(pruneBeliefs(b, 40, 3).peers).sort(), [ids[0], ids[2], ids[3]]);
  assert.deepEqual(Object.keys(pruneBeliefs(b, 40, 1).peers), [ids[0]]);
  assert.deepEqual(Object.keys(pruneBeliefs(b, 40, 0).peers), []);
});

Deno.test("pruneBeliefs() drops peers whose evidence has faded away", () => {
  let b = recordAttempt(emptyBeliefs(0), "A".repeat(64), "direct", false, 0);
  b = recordAttempt(b, "B".repeat(64), "relay", true, 20 * HOUR_MS);
  const p = pruneBeliefs(b, 20 * HOUR_MS);
  assert.deepEqual(Object.keys(p.peers), ["B".repeat(64)]);
  assert.equal(Object.keys(pruneBeliefs(b, 2 * HOUR_MS).peers).length, 2);
});

Deno.test("pruneBeliefs() rejects a maxPeers that is not a whole number >= 0", () => {
  for (const m of [-1, 1.5, NaN]) {
    assert.throws(() => pruneBeliefs(emptyBeliefs(0), 0, m), RangeError);
  }
});

Deno.test("describeBeliefs() for a peer: network lines then one line per path kind", () => {
  let b = emptyBeliefs(0);
  for (let i = 0; i < 9; i++) b = recordAttempt(b, ID, "direct", true, 0);
  const lines = describeBeliefs(b, ID, 4 * MINUTE_MS);
  assert.equal(lines.length, 6);
  assert.equal(lines[0], "UDP works here: 0.67 (untried)");
  assert.match(lines[3]!, /^direct to 3F1C…: 0\.9\d \(9 tries, last 4 min ago\)$/);
  assert.equal(lines[4], "birthday to 3F1C…: 0.33 (untried)");
});

Deno.test("describeBeliefs() says when evidence has faded", () => {
  const b = recordAttempt(emptyBeliefs(0), ID, "direct", false, 0);
  assert.equal(
    describeBeliefs(b, ID, 30 * HOUR_MS)[3],
    "direct to 3F1C…: 0.50 (faded, last 30 h ago)",
  );
});

Deno.test("describeBeliefs() without a peer lists at most 20 peers, newest first", () => {
  let b = emptyBeliefs(0);
  for (let i = 0; i < 25; i++) {
    b = recordAttempt(b, i.toString(16).padStart(2, "0").repeat(32), "relay", true, i);
  }
  const lines = describeBeliefs(b, undefined, 100);
  assert.equal(lines.length, 3 + 20 * 3 + 1);
  assert.match(lines[3]!, /^direct to 1818…/);
  assert.equal(lines.at(-1), "… and 5 more peers");
});

Deno.test("formatDuration() reads like a person would say it", () => {
  assert.equal(formatDuration(4_000), "4 s");
  assert.equal(formatDuration(4 * MINUTE_MS), "4 min");
  assert.equal(formatDuration(HOUR_MS + 5 * MINUTE_MS), "1 h 5 min");
  assert.equal(formatDuration(72 * HOUR_MS), "3 d");
  assert.equal(formatDuration(Infinity), "never");
});
