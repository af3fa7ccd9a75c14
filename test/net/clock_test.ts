import assert from "node:assert/strict";
import fc from "fast-check";
import { VirtualClock } from "../../lib/net/mod.ts";

Deno.test("VirtualClock fires timers in time order, equal times in the order set", () => {
  const c = new VirtualClock(1000);
  const fired: string[] = [];
  c.setTimeout(() => fired.push("b"), 20);
  c.setTimeout(() => fired.push("a"), 10);
  c.setTimeout(() => fired.push("c"), 20);
  c.advance(100);
  assert.deepEqual(fired, ["a", "b", "c"]);
  assert.equal(c.now(), 1100);
});

Deno.test("VirtualClock: a timer set from a timer runs within the same advance", () => {
  const c = new VirtualClock();
  const at: number[] = [];
  c.setTimeout(() => c.setTimeout(() => at.push(c.now()), 5), 5);
  c.advance(10);
  assert.deepEqual(at, [10]);
});

Deno.test("VirtualClock: clearTimeout cancels", () => {
  const c = new VirtualClock();
  let n = 0;
  const id = c.setTimeout(() => n++, 5);
  c.clearTimeout(id);
  c.advance(10);
  assert.equal(n, 0);
});

Deno.test("VirtualClock fires any set of timers sorted by due time", () => {
  fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: 1000 }), { maxLength: 200 }), (ds) => {
    const c = new VirtualClock();
    const fired: number[] = [];
    for (const d of ds) c.setTimeout(() => fired.push(c.now()), d);
    c.advance(1000);
    assert.deepEqual(fired, [...ds].sort((a, b) => a - b));
  }));
});
