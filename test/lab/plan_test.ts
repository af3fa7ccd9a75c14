import assert from "node:assert/strict";
import {
  ADDR,
  LAB_HOSTS,
  labNames,
  lossRules,
  namespacesWithPrefix,
  PERSONALITIES,
  setupPlan,
  staleNamespaces,
} from "./plan.ts";
import type { LabOptions } from "./plan.ts";
import { routerRules } from "./rules.ts";
import { classify, EXPECTED, naiveDirect } from "./cases.ts";

const ALL: LabOptions[] = PERSONALITIES.flatMap((a) =>
  PERSONALITIES.map((b) => ({ a, b, hairpin: a === b, netem: { delayMs: 20, lossPct: 5 } }))
);

function inLabRanges(ip: string): boolean {
  return /^10\.0\.[12]\.\d+$/.test(ip) || /^203\.0\.113\.\d+$/.test(ip);
}

Deno.test("setupPlan() names a lab namespace in every command, so nothing lands in the root namespace", () => {
  const names = labNames("pk-1-0-");
  const ours = new Set(Object.values(names));
  for (const opts of ALL) {
    for (const { argv } of setupPlan(opts, names)) {
      const [cmd, a1, a2, a3] = argv;
      const target = (cmd === "ip" || cmd === "tc") && a1 === "-n"
        ? a2
        : cmd === "ip" && a1 === "netns" && (a2 === "add" || a2 === "exec")
        ? a3
        : undefined;
      assert.ok(target !== undefined && ours.has(target), argv.join(" "));
      const peer = argv.indexOf("netns", 2);
      if (peer > 0 && argv[1] === "-n") assert.ok(ours.has(argv[peer + 1]!), argv.join(" "));
    }
  }
});

Deno.test("setupPlan() uses only the lab's private LANs and TEST-NET-3 addresses", () => {
  for (const opts of ALL) {
    const text = setupPlan(opts, labNames("pk-1-0-")).map((s) =>
      `${s.argv.join(" ")}\n${s.stdin ?? ""}`
    ).join("\n");
    const ips = text.match(/\b\d{1,3}(?:\.\d{1,3}){3}\b/g) ?? [];
    assert.ok(ips.length > 10);
    for (const ip of ips) assert.ok(inLabRanges(ip), ip);
  }
  for (const ip of Object.values(ADDR)) assert.ok(inLabRanges(ip), ip);
});

Deno.test("labNames() gives disjoint names for two prefixes and rejects a prefix that is not a plain name", () => {
  const a = Object.values(labNames("pk-1-0-")), b = Object.values(labNames("pk-1-1-"));
  assert.equal(a.length, LAB_HOSTS.length);
  assert.equal(new Set([...a, ...b]).size, a.length + b.length);
  for (const bad of ["", "pk 1", "../x", "pk-1-;rm"]) assert.throws(() => labNames(bad), TypeError);
});

Deno.test("setupPlan() adds netem only for a delay and bridge loss rules only for a loss, and rejects out-of-range impairments", () => {
  const names = labNames("pk-1-0-");
  const plain = setupPlan({ a: "full-cone", b: "symmetric" }, names);
  assert.ok(!plain.some((s) => s.argv.includes("netem")));
  assert.ok(!plain.some((s) => s.stdin?.includes("numgen")));
  const delayed = setupPlan({ a: "full-cone", b: "symmetric", netem: { delayMs: 20 } }, names);
  assert.equal(delayed.filter((s) => s.argv.includes("netem")).length, 4);
  const lossy = setupPlan({ a: "full-cone", b: "symmetric", netem: { lossPct: 5 } }, names);
  assert.equal(lossy.filter((s) => s.stdin === lossRules(5)).length, 1);
  for (const netem of [{ delayMs: -1 }, { delayMs: 1e9 }, { lossPct: 101 }, { lossPct: NaN }]) {
    assert.throws(() => setupPlan({ a: "full-cone", b: "full-cone", netem }, names), RangeError);
  }
});

Deno.test("routerRules() drops unsolicited WAN packets for every personality and rejects an unknown one", () => {
  for (const personality of PERSONALITIES) {
    const r = routerRules({ personality, wan: ADDR.natAWan, host: ADDR.hostA, hairpin: false });
    assert.match(r, /hook forward priority filter; policy drop;/);
    assert.match(r, /iifname "wan" drop/);
    assert.ok(!r.includes("@hairpin"));
  }
  assert.throws(
    () =>
      routerRules({
        personality: "cone" as never,
        wan: ADDR.natAWan,
        host: ADDR.hostA,
        hairpin: false,
      }),
    TypeError,
  );
});

Deno.test("staleNamespaces() picks lab namespaces of dead processes only; namespacesWithPrefix() matches whole prefixes", () => {
  const list = "pk-10-0-inet (id: 1)\npk-10-0-host-a\npk-11-0-inet\npk-x-0-inet\nother\n\n";
  assert.deepEqual(staleNamespaces(list, (pid) => pid === 11), ["pk-10-0-inet", "pk-10-0-host-a"]);
  assert.deepEqual(staleNamespaces(list, () => true), []);
  assert.deepEqual(namespacesWithPrefix(list, "pk-1-"), []);
  assert.deepEqual(namespacesWithPrefix(list, "pk-11-"), ["pk-11-0-inet"]);
});

Deno.test("classify() tells the four personalities apart and refuses inconsistent reports", () => {
  const m = (same: boolean) => ({
    viaPrimary: "203.0.113.1:1",
    viaAlternate: same ? "203.0.113.1:1" : "203.0.113.1:2",
  });
  const f = (otherAddress: boolean, otherPort: boolean, otherBoth: boolean) => ({
    sameEndpoint: true,
    otherAddress,
    otherPort,
    otherBoth,
  });
  assert.deepEqual(
    classify({ mapping: m(true), filtering: f(true, true, true) }),
    EXPECTED["full-cone"],
  );
  assert.deepEqual(
    classify({ mapping: m(true), filtering: f(false, true, false) }),
    EXPECTED["address-restricted"],
  );
  assert.deepEqual(
    classify({ mapping: m(true), filtering: f(false, false, false) }),
    EXPECTED["port-restricted"],
  );
  assert.deepEqual(
    classify({ mapping: m(false), filtering: f(false, false, false) }),
    EXPECTED["symmetric"],
  );
  assert.equal(classify({ mapping: m(true), filtering: f(true, false, false) }), null);
  assert.equal(
    classify({ mapping: { viaPrimary: null, viaAlternate: null }, filtering: f(true, true, true) }),
    null,
  );
  assert.equal(
    classify({ mapping: m(true), filtering: { ...f(true, true, true), sameEndpoint: false } }),
    null,
  );
});

Deno.test("naiveDirect() is symmetric in its arguments and expects 13 of 16 pairs direct", () => {
  let n = 0;
  for (const a of PERSONALITIES) {
    for (const b of PERSONALITIES) {
      assert.equal(naiveDirect(a, b), naiveDirect(b, a));
      if (naiveDirect(a, b)) n++;
    }
  }
  assert.equal(n, 13);
});
