/**
 * Low TTL on the wire: from host-a, a datagram with TTL 1 dies at nat-a (the first hop)
 * and never reaches the inet namespace, TTL 2 gets past it, and the default TTL after them
 * too (the socket's TTL was restored). Skips without root, except under CI=true.
 */
import assert from "node:assert/strict";
import { labGate } from "./gate.ts";
import { ADDR, NatLab } from "./lab.ts";

const gate = await labGate();
const PROBE = new URL("./ttl_probe.ts", import.meta.url).pathname;
const deno = [Deno.execPath(), "run", "-A", "--quiet", PROBE];

Deno.test({
  name: "lab: a probe with TTL 1 does not get past the router, TTL 2 and the default do",
  ignore: gate.ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await using lab = await NatLab.create({ a: "port-restricted", b: "full-cone" });
    const recv = lab.spawn("inet", [...deno, "recv", "4000", "4"]);
    assert.equal(await recv.firstLine(20_000), "ready");
    const sent = await lab.exec("host-a", [...deno, "send", `${ADDR.inet1}:4000`, "1", "2"]);
    assert.equal(sent.code, 0, sent.stderr);
    const deadline = Date.now() + 10_000;
    while (!/\]\s*$/.test(recv.out()) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
    const got = JSON.parse(recv.out().trim().split("\n").at(-1) ?? "[]");
    assert.deepEqual(got, ["ttl-2", "ttl-default"]);
  },
});
