import assert from "node:assert/strict";
import { parseRelayServeOptions } from "../../commands/relay.ts";
import { fromHex } from "../../lib/util/bytes.ts";
import { peerkit } from "../_support/cli.ts";
import { spawnLoopbackRelay } from "../_support/relay_serve.ts";
import { answersTo } from "./_udp_answers.ts";
import { pingDatagrams } from "../../bench/_attack_packets.ts";

Deno.test("relay serve's key budget defaults to the library's: 1024/s, burst 128, 64/s and 16 per IP", async () => {
  const o = await parseRelayServeOptions({});
  assert.deepEqual(o.keyBudget, {
    perSecond: 1024,
    burst: 128,
    perSourcePerSecond: 64,
    perSourceBurst: 16,
    maxSources: 4096,
  });
  const tuned = await parseRelayServeOptions({
    keyBudget: "4096",
    keyBudgetPerIp: "128",
    keyBudgetPerIpBurst: "128",
    keyBudgetSources: "100",
  });
  assert.deepEqual(tuned.keyBudget, {
    perSecond: 4096,
    burst: 512,
    perSourcePerSecond: 128,
    perSourceBurst: 128,
    maxSources: 100,
  });
  assert.equal((await parseRelayServeOptions({ keyBudget: "0" })).keyBudget, false);
});

Deno.test("relay serve refuses a bad key budget as a usage error", async () => {
  for (
    const [raw, msg] of [
      [{ keyBudget: "lots" }, /--key-budget must be a number/],
      [{ keyBudgetBurst: "0" }, /--key-budget-burst must be 1\.\./],
      [{ keyBudgetPerIp: "0" }, /--key-budget-per-ip must be 1\.\./],
      [{ keyBudget: "0", keyBudgetPerIp: "8" }, /--key-budget 0 turns the budget off/],
    ] as const
  ) {
    await assert.rejects(parseRelayServeOptions(raw), (e: Error & { usage?: boolean }) => {
      assert.ok(e.usage, e.message);
      assert.match(e.message, msg);
      return true;
    });
  }
});

Deno.test("peerkit relay serve --key-budget-per-ip: pings from fresh keys beyond it go unanswered", async () => {
  await using r = await spawnLoopbackRelay([
    "--no-lan-discovery",
    "--key-budget-per-ip",
    "3",
    "--key-budget-per-ip-burst",
    "3",
  ]);
  assert.deepEqual(JSON.parse(r.process.firstLine()).keyBudget.perSourceBurst, 3);
  const pings = pingDatagrams(fromHex(r.publicKeyHex), 12);
  const got = await answersTo(r.udpPort, pings, 800);
  // Three ping responses (82 bytes each), nothing for the nine beyond the budget.
  assert.deepEqual(got, [82, 82, 82]);
});

Deno.test("peerkit relay serve --key-budget x exits 2 with a one-line error", async () => {
  const home = await Deno.makeTempDir();
  try {
    const res = await peerkit(["relay", "serve", "--host", "127.0.0.1", "--key-budget", "x"], {
      PEERKIT_HOME: home,
    });
    assert.equal(res.code, 2);
    assert.equal(res.stderr.trim().split("\n").length, 1, res.stderr);
    assert.match(res.stderr, /--key-budget must be a number/);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});
