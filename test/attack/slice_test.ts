/**
 * The CI slice of bench/attack.ts: a few attacks of a few seconds each against peerkit's
 * `relay serve` alone, asserting that the canary (a DHT ping every 100 ms, a relay handshake
 * plus ping every 250 ms) stays served during and after each one and that the server lives.
 * Needs gcc for the flood helper (always runs under CI=true).
 */
import assert from "node:assert/strict";
import { loadSodium, setBackend } from "../../lib/crypto/mod.ts";
import { ATTACKS, compileFlood } from "../../bench/_attack_kinds.ts";
import { runOne, startPeerkit } from "../../bench/_attack_run.ts";
import { needs } from "../_support/env.ts";

/** The slice: the attacks of the four failures. */
const SLICE = ["tcp-churn-rst", "relay-onion", "udp-pings-8192", "udp-onion"];
const SECONDS = 2;
/** Lower than the benchmark's targets: CI machines are shared and noisy. */
const DURING_MIN = 75;
const AFTER_MIN = 90;

Deno.test({
  name: "relay serve keeps its canary served through the attack slice and survives it",
  ...needs(["gcc"]),
  async fn() {
    setBackend(await loadSodium());
    const tmp = await Deno.makeTempDir({ prefix: "peerkit-attack-test-" });
    try {
      const bin = await compileFlood(tmp);
      for (const name of SLICE) {
        const attack = ATTACKS.find((a) => a.name === name)!;
        const r = await runOne(attack, "peerkit", startPeerkit, bin, tmp, SECONDS);
        const where = `${name}: udp ${r.udp.map((s) => s.pct.toFixed(0))}, tcp ${
          r.tcp.map((s) => s.pct.toFixed(0))
        }, ${r.note}`;
        assert.ok(r.alive, `${where}: the server died`);
        assert.ok(r.udp[0].sent > 0 && r.tcp[0].sent > 0, `${where}: no probes`);
        assert.ok(r.udp[0].pct >= DURING_MIN && r.tcp[0].pct >= DURING_MIN, `${where}: during`);
        assert.ok(r.udp[1].pct >= AFTER_MIN && r.tcp[1].pct >= AFTER_MIN, `${where}: after`);
        assert.ok(r.peak.rssMiB < 256, `${where}: peak RSS ${r.peak.rssMiB} MiB`);
      }
    } finally {
      await Deno.remove(tmp, { recursive: true });
    }
  },
});
