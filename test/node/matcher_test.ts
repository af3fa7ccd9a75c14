import assert from "node:assert/strict";
import { PacketTable } from "../../lib/node/table.ts";

const from = { hostname: "127.0.0.1", port: 9 };

Deno.test("PacketTable.registerMatcher(): a predicate is tried before the kind table", () => {
  const t = new PacketTable();
  const seen: string[] = [];
  t.register("dht", [0x00, 0x01], (d) => seen.push(`dht:${d.length}`));
  t.registerMatcher("stun", (d) => d.length % 4 === 0, (d) => seen.push(`stun:${d.length}`));
  for (const n of [82, 20, 83, 40]) t.dispatch(new Uint8Array(n), from, 0);
  assert.deepEqual(seen, ["dht:82", "stun:20", "dht:83", "stun:40"]);
  assert.equal(t.stats.matched.get("stun"), 2);
  assert.equal(t.route(new Uint8Array(20))?.layer, "stun");
  t.unregister("stun");
  assert.equal(t.route(new Uint8Array(20))?.layer, "dht");
});

Deno.test("PacketTable matchers: first registered wins, a layer's second matcher replaces its first", () => {
  const t = new PacketTable();
  const seen: string[] = [];
  t.registerMatcher("a", () => true, () => seen.push("a"));
  t.registerMatcher("b", () => true, () => seen.push("b"));
  t.dispatch(new Uint8Array([7]), from, 0);
  t.registerMatcher("a", () => false, () => seen.push("a2"));
  t.dispatch(new Uint8Array([7]), from, 0);
  assert.deepEqual(seen, ["a", "b"]);
});

Deno.test("PacketTable matchers: a throwing predicate or handler is counted, never thrown", () => {
  const layers: string[] = [];
  const t = new PacketTable({ onError: (_k, layer) => layers.push(layer) });
  let dht = 0;
  t.register("dht", [0x00], () => dht++);
  t.registerMatcher("broken", () => {
    throw new Error("bug");
  }, () => {});
  assert.equal(t.dispatch(new Uint8Array([0]), from, 0), true);
  assert.equal(t.stats.matcherErrors, 1);
  assert.equal(dht, 1);
  t.unregister("broken");
  t.registerMatcher("bad", (d) => d.length === 4, () => {
    throw new TypeError("handler bug");
  });
  assert.equal(t.dispatch(new Uint8Array(4), from, 0), false);
  assert.equal(t.dispatch(new Uint8Array([0]), from, 0), true);
  assert.deepEqual(layers, ["bad"]);
  assert.equal(t.errorCount(), 1);
  assert.equal(t.stats.matched.get("bad"), 1);
});
