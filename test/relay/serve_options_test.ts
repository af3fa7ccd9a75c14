import assert from "node:assert/strict";
import { parseRelayServeOptions } from "../../commands/relay.ts";

const KEY = "AB".repeat(32);

Deno.test("regression: relay serve accepts an IPv6 --bootstrap node in brackets", async () => {
  const o = await parseRelayServeOptions({ bootstrap: [`[::1]:33445:${KEY}`] });
  assert.deepEqual(o.bootstrap[0]?.addr, { hostname: "::1", port: 33445 });
  assert.equal(o.bootstrap[0]?.publicKey.length, 32);
});

Deno.test("relay serve reads --bootstrap localhost as 127.0.0.1", async () => {
  const o = await parseRelayServeOptions({ bootstrap: [`localhost:33445:${KEY}`] });
  assert.deepEqual(o.bootstrap[0]?.addr, { hostname: "127.0.0.1", port: 33445 });
});
