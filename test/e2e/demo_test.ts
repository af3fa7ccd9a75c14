import assert from "node:assert/strict";

Deno.test("the demo runs every built stage on loopback and exits 0", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", new URL("../../demo/demo.ts", import.meta.url).pathname],
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  assert.equal(out.code, 0, text + new TextDecoder().decode(out.stderr));
  assert.match(text, /bob opens it: "hello bob, only you can read this"/);
  assert.match(text, /eve .* fails, as it must/);
  assert.match(text, /verdict: open: no NAT seen/);
  assert.match(text, /path chosen: direct \(alice -> 127\.0\.0\.1:\d+\), bob says direct/);
  assert.match(text, /result: delivered — both hashes match/);
  assert.doesNotMatch(text, /FAILED/);
});
