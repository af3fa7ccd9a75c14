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
  assert.deepEqual(p.route(data(1000), 8999), ["direct"]);
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
