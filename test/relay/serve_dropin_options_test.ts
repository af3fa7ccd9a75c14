import assert from "node:assert/strict";
import { parseRelayServeOptions } from "../../commands/relay.ts";

Deno.test("relay serve leaves --host unset by default (dual-stack) and answers 0xf0 with 'peerkit'", async () => {
  const o = await parseRelayServeOptions({});
  assert.equal(o.host, undefined);
  assert.equal(o.motd, "peerkit");
  assert.equal((await parseRelayServeOptions({ host: "::1" })).host, "::1");
});

Deno.test("relay serve --motd takes up to 255 bytes of UTF-8, including an empty one", async () => {
  assert.equal((await parseRelayServeOptions({ motd: "" })).motd, "");
  assert.equal((await parseRelayServeOptions({ motd: "é".repeat(127) })).motd.length, 127);
});

Deno.test("relay serve rejects a --motd over 255 bytes or with a NUL as a one-line usage error", async () => {
  for (const motd of ["x".repeat(256), "é".repeat(128), "a\0b"]) {
    await assert.rejects(parseRelayServeOptions({ motd }), (e: Error & { usage?: boolean }) => {
      assert.ok(e.usage);
      assert.equal(
        e.message,
        "relay serve: --motd must be at most 255 bytes of UTF-8, without NUL",
      );
      return true;
    });
  }
});
