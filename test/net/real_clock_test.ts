import assert from "node:assert/strict";

Deno.test("regression: realClock.setTimeout with a delay just below zero fires without a TimeoutNegativeWarning", async () => {
  const clock = new URL("../../lib/net/clock.ts", import.meta.url).href;
  const code = `import { realClock } from ${JSON.stringify(clock)};
await new Promise((resolve) => realClock.setTimeout(() => resolve(undefined), -0.01));
console.log("fired");`;
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--quiet", code],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const td = new TextDecoder();
  assert.equal(r.code, 0, td.decode(r.stderr));
  assert.equal(td.decode(r.stdout), "fired\n");
  assert.doesNotMatch(td.decode(r.stderr), /TimeoutNegativeWarning/);
});
