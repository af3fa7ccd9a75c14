import assert from "node:assert/strict";
import { PathSelector } from "../../lib/session/path.ts";

const data = (n: number) => new Uint8Array([0x1b, ...new Uint8Array(n - 1)]);
const hs = new Uint8Array([0x1a, ...new Uint8Array(384)]);

Deno.test("PathSelector: relay until a direct packet arrives, then direct only", () => {
  const p = new PathSelector();
  assert.deepEqual(p.route(data(1000), 0), ["relay"]);
  assert.equal(p.relayDroppable(0), false);
  p.receivedDirect(100);
  assert.deepEqual(p.route(data(1000), 200), ["direct"]);
  assert.equal(p.relayDroppable(200), true);
});

Deno.test("PathSelector: back to the relay when the direct path is quiet for 8 s", () => {
  const p = new PathSelector();
  p.receivedDirect(1000);
  assert.deepEqual(p.route(data(1000), 8999), ["direct", "relay"]); // stale, still up
  assert.deepEqual(p.route(data(1000), 9000), ["relay"]);
  assert.equal(p.relayDroppable(9000), false);
});

Deno.test("PathSelector: handshakes and small packets (every 4 s) are also tried direct", () => {
  const p = new PathSelector();
  assert.deepEqual(p.route(hs, 0), ["relay", "direct"]);
  assert.deepEqual(p.route(data(50), 0), ["relay", "direct"]);
  assert.deepEqual(p.route(data(50), 3999), ["relay"]);
  assert.deepEqual(p.route(data(50), 4000), ["relay", "direct"]);
  assert.deepEqual(p.route(data(96), 9000), ["relay"]); // not small
});

Deno.test("PathSelector: with only one path available it uses that one", () => {
  const p = new PathSelector({ relay: false });
  assert.deepEqual(p.route(data(1000), 0), ["direct"]);
  p.setAvailable(false, true);
  assert.deepEqual(p.route(hs, 0), ["relay"]);
  p.setAvailable(false, false);
  assert.deepEqual(p.route(hs, 0), []);
});

Deno.test("PathSelector: a direct path silent for 4 packet gaps is stale: both paths, relay wanted", () => {
  const p = new PathSelector();
  for (let t = 0; t <= 5000; t += 10) p.receivedDirect(t); // a busy path: 10 ms gaps
  assert.equal(p.staleAfter(), 300, "floor of 300 ms over 4 × ~10 ms");
  assert.deepEqual(p.route(data(1000), 5300), ["direct"]);
  assert.equal(p.stale(5300), false);
  assert.equal(p.nextChange(5000), 5301);
  assert.equal(p.stale(5301), true);
  assert.deepEqual(p.route(data(1000), 5301), ["direct", "relay"]);
  assert.equal(p.relayWanted(5301), true);
  assert.equal(p.relayDroppable(5301), false);
  assert.equal(p.nextChange(5301), 13_000, "down 8 s after the last packet");
  p.receivedDirect(5400); // the path is back
  assert.deepEqual(p.route(data(1000), 5401), ["direct"]);
  assert.equal(p.relayWanted(5401), true, "not dropped again at once");
  for (let t = 5410; t <= 7400; t += 10) p.receivedDirect(t);
  assert.equal(p.relayWanted(7399), true);
  assert.equal(p.relayWanted(7400), false, "dropped after 2 s fresh");
});

Deno.test("PathSelector: the relay route is dropped only after the direct path is up and fresh for 2 s", () => {
  const p = new PathSelector();
  assert.equal(p.relayWanted(0), true);
  p.receivedDirect(100);
  assert.equal(p.relayWanted(100), true);
  assert.equal(p.nextChange(100), 2100);
  for (let t = 200; t <= 2100; t += 100) p.receivedDirect(t);
  assert.equal(p.relayWanted(2099), true);
  assert.equal(p.relayWanted(2100), false);
});

Deno.test("PathSelector: an idle direct path (1 s gaps) is stale only after 4 s", () => {
  const p = new PathSelector();
  for (let t = 0; t <= 20_000; t += 1000) p.receivedDirect(t);
  assert.equal(p.staleAfter(), 4000);
  assert.equal(p.stale(23_999), false);
  assert.equal(p.stale(24_001), true);
});
