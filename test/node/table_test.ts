import assert from "node:assert/strict";
import { PacketTable } from "../../lib/node/table.ts";

const from = { hostname: "127.0.0.1", port: 9 };

Deno.test("PacketTable.dispatch() hands each kind to the layer that registered it", () => {
  const t = new PacketTable();
  const seen: string[] = [];
  t.register("dht", [0x00, 0x02], (d) => seen.push(`dht:${d[0]}`));
  t.register("onion", [0x80], (d) => seen.push(`onion:${d[0]}`));
  for (const k of [0x02, 0x80, 0x00, 0x55]) t.dispatch(new Uint8Array([k, 1]), from, 0);
  assert.deepEqual(seen, ["dht:2", "onion:128", "dht:0"]);
  assert.equal(t.stats.dispatched, 3);
  assert.equal(t.stats.unknown, 1);
  assert.equal(t.dispatch(new Uint8Array(0), from, 0), false);
  assert.equal(t.stats.unknown, 2);
});

Deno.test("PacketTable.register() refuses a kind another layer holds, and bad kinds", () => {
  const t = new PacketTable();
  t.register("dht", [0x00], () => {});
  assert.throws(() => t.register("stun", [0x00], () => {}), RangeError);
  assert.throws(() => t.register("x", [256], () => {}), RangeError);
  assert.throws(() => t.register("x", [1.5], () => {}), RangeError);
  t.unregister("dht");
  t.register("stun", [0x00], () => {});
  assert.equal(t.route(new Uint8Array([0]))?.layer, "stun");
});

Deno.test("PacketTable: a handler that throws is counted per kind and the next datagram is handled", () => {
  const errors: string[] = [];
  const t = new PacketTable({
    onError: (kind, layer) => {
      errors.push(`${layer}:${kind}`);
      throw new Error("the hook fails too");
    },
  });
  let ok = 0;
  t.register("bad", [0x90], () => {
    throw new TypeError("bug");
  });
  t.register("good", [0x91], () => ok++);
  assert.equal(t.dispatch(new Uint8Array([0x90]), from, 0), false);
  assert.equal(t.dispatch(new Uint8Array([0x90]), from, 0), false);
  assert.equal(t.dispatch(new Uint8Array([0x91]), from, 0), true);
  assert.equal(t.stats.errors.get(0x90), 2);
  assert.equal(t.errorCount(), 2);
  assert.equal(ok, 1);
  assert.deepEqual(errors, ["bad:144", "bad:144"]);
});

Deno.test("PacketTable: the fallback gets unregistered kinds; route() is a pure lookup", () => {
  const t = new PacketTable();
  const other: number[] = [];
  t.register("dht", [0x00], () => {});
  t.setFallback("other", (d) => other.push(d[0]!));
  assert.equal(t.route(new Uint8Array([0x00]))?.layer, "dht");
  assert.equal(t.route(new Uint8Array([0x18]))?.layer, "other");
  assert.equal(t.stats.dispatched, 0);
  t.dispatch(new Uint8Array([0x18]), from, 0);
  assert.deepEqual(other, [0x18]);
});

Deno.test("PacketTable.dispatch() never throws on arbitrary bytes", () => {
  const t = new PacketTable();
  t.register("boom", Array.from({ length: 128 }, (_, i) => i), (d) => {
    if (d.length % 3 === 0) throw new RangeError("odd input");
  });
  for (let i = 0; i < 500; i++) {
    const d = crypto.getRandomValues(new Uint8Array(i % 40));
    t.dispatch(d, from, i);
  }
  assert.equal(t.stats.dispatched + t.stats.unknown + t.errorCount(), 500);
});
