import assert from "node:assert/strict";
import { progressPainter, renderProgress } from "../../lib/transfer/progress.ts";

Deno.test("renderProgress() shows bar, percent, bytes, rate and time left within the width", () => {
  const l = renderProgress({
    bytes: 32 * 2 ** 20,
    total: 64 * 2 ** 20,
    elapsedMs: 2000,
    width: 100,
  });
  assert.equal(
    l,
    "[###############···············]  50%  32.0 MiB / 64.0 MiB  16.0 MiB/s  0:02 left",
  );
  for (const width of [20, 40, 60, 120]) {
    const w = renderProgress({ bytes: 5, total: 10, elapsedMs: 1, width });
    assert.ok(w.length <= width - 1, `${width}: ${w}`);
  }
});

Deno.test("renderProgress() rates only this run's bytes after a resume", () => {
  const l = renderProgress({
    bytes: 900,
    total: 1000,
    sentThisRun: 100,
    elapsedMs: 1000,
    width: 120,
  });
  assert.match(l, / 90% {2}900 B \/ 1000 B {2}100 B\/s {2}0:01 left$/);
});

Deno.test("renderProgress() with nothing sent yet says the time left is unknown", () => {
  assert.match(renderProgress({ bytes: 0, total: 10, elapsedMs: 0, width: 120 }), /--:-- left$/);
});

Deno.test("progressPainter() redraws at most every 100 ms unless forced, and clears what it drew", () => {
  let out = "", t = 0;
  const p = progressPainter({ write: (s) => void (out += s), now: () => t, total: 10, width: 80 });
  p.clear();
  assert.equal(out, "");
  for (t = 0; t < 1000; t += 10) p.update(t / 100, t / 100);
  assert.equal(out.split("\r").filter((s) => s.includes("%")).length, 10);
  p.update(10, 10, true);
  p.clear();
  assert.ok(
    out.endsWith("100%  10 B / 10 B  10 B/s  0:00 left\x1b[K\r\x1b[K"),
    JSON.stringify(out.slice(-60)),
  );
});
