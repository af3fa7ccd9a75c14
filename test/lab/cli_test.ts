import assert from "node:assert/strict";
import { parseLabArgs } from "./cli.ts";

Deno.test("parseLabArgs() defaults birthday to symmetric vs port-restricted and other cases to port-restricted vs full cone", () => {
  const b = parseLabArgs(["birthday"]);
  assert.deepEqual([b.lab.a, b.lab.b, b.runs], ["symmetric", "port-restricted", 1]);
  const p = parseLabArgs(["punch"]);
  assert.deepEqual([p.lab.a, p.lab.b, p.lab.hairpin], ["port-restricted", "full-cone", false]);
  const x = parseLabArgs(["ping", "--delay", "20", "--loss", "5", "--hairpin", "--runs", "3"]);
  assert.deepEqual([x.lab.netem, x.lab.hairpin, x.runs], [{ delayMs: 20, lossPct: 5 }, true, 3]);
  assert.equal(x.lab.delayMs, 0);
  assert.equal(parseLabArgs(["ping", "--hop-delay", "20"]).lab.delayMs, 20);
});

Deno.test("parseLabArgs() rejects an unknown case, personality, flag or out-of-range number with a one-line TypeError", () => {
  for (
    const args of [
      [],
      ["nope"],
      ["punch", "extra"],
      ["behave", "--a", "cone"],
      ["behave", "--bogus"],
      ["ping", "--loss", "101"],
      ["ping", "--delay", "x"],
      ["ping", "--hop-delay", "5001"],
      ["birthday", "--runs", "51"],
    ]
  ) {
    assert.throws(
      () => parseLabArgs(args),
      (e: Error) => e instanceof TypeError && !e.message.includes("\n"),
      args.join(" "),
    );
  }
});
