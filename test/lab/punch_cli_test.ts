/**
 * `peerkit punch` through the real NAT lab: `peerkit relay serve` and a STUN responder in
 * the inet namespace, `peerkit punch` in host-a and host-b, for every pair of the four
 * router personalities. 15 of 16 pairs must go direct and all 16 must meet (symmetric to
 * symmetric reported as relay). Skips without root, except under CI=true.
 */
import assert from "node:assert/strict";
import { labGate } from "./gate.ts";
import { ADDR, NatLab, PERSONALITIES, type Personality } from "./lab.ts";

const gate = await labGate();
const CLI = new URL("../../cli.ts", import.meta.url).pathname;
const STUN = new URL("../punch/_stun_serve.ts", import.meta.url).pathname;
const DENO = Deno.execPath();
const cli = (home: string, args: string[]) => [
  DENO,
  "run",
  "-A",
  "--quiet",
  CLI,
  "--home",
  home,
  ...args,
];

/** How many labs run at once (each is five namespaces and four processes). */
const PARALLEL = 4;

interface PairResult {
  a: Personality;
  b: Personality;
  codes: [number, number];
  docs: [Record<string, unknown>, Record<string, unknown>];
}

async function keyOf(home: string): Promise<string> {
  const o = await new Deno.Command(DENO, {
    args: ["run", "-A", "--quiet", CLI, "--home", home, "--json", "keygen"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  return JSON.parse(new TextDecoder().decode(o.stdout)).publicKey;
}

async function punchInLab(
  a: Personality,
  b: Personality,
  homes: { a: string; b: string; relay: string },
  keys: { a: string; b: string },
): Promise<PairResult> {
  await using lab = await NatLab.create({ a, b });
  const relay = lab.spawn("inet", [
    ...cli(homes.relay, ["--json", "relay", "serve", "--host", ADDR.inet1, "--udp-port", "33445"]),
    "--tcp-port",
    "33445",
  ]);
  const stun = lab.spawn("inet", [
    DENO,
    "run",
    "-A",
    "--quiet",
    STUN,
    `${ADDR.inet1}:3480`,
    `${ADDR.inet2}:3481`,
    "120",
  ]);
  const relayKey = JSON.parse(await relay.firstLine(20_000)).publicKey;
  assert.equal(await stun.firstLine(20_000), "ready");
  const common = [
    "--relay",
    `${ADDR.inet1}:33445:${relayKey}`,
    "--stun",
    `${ADDR.inet1}:3480`,
    "--timeout",
    "20",
  ];
  const [rb, ra] = await Promise.all([
    lab.exec(
      "host-b",
      cli(homes.b, ["--json", "punch", "--listen", "--allow", keys.a, ...common]),
      40_000,
    ),
    lab.exec("host-a", cli(homes.a, ["--json", "punch", keys.b, ...common]), 40_000),
  ]);
  const doc = (s: string, err: string) => {
    try {
      return JSON.parse(s.trim().split("\n").at(-1) ?? "");
    } catch {
      return { error: err.trim() };
    }
  };
  return {
    a,
    b,
    codes: [ra.code, rb.code],
    docs: [doc(ra.stdout, ra.stderr), doc(rb.stdout, rb.stderr)],
  };
}

Deno.test({
  name: "lab: peerkit punch through the CLI: 15 of 16 personality pairs direct, 16 of 16 met",
  ignore: gate.ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const root = await Deno.makeTempDir({ prefix: "peerkit-lab-punch-" });
    try {
      const pairs: [Personality, Personality][] = [];
      for (const a of PERSONALITIES) for (const b of PERSONALITIES) pairs.push([a, b]);
      const results: PairResult[] = [];
      for (let i = 0; i < pairs.length; i += PARALLEL) {
        const batch = pairs.slice(i, i + PARALLEL);
        results.push(
          ...await Promise.all(batch.map(async ([a, b], j) => {
            const homes = {
              a: `${root}/${i + j}-a`,
              b: `${root}/${i + j}-b`,
              relay: `${root}/${i + j}-relay`,
            };
            const keys = { a: await keyOf(homes.a), b: await keyOf(homes.b) };
            return await punchInLab(a, b, homes, keys);
          })),
        );
      }
      const rows = results.map((r) =>
        `${r.a} x ${r.b}: ${r.docs[0].path}/${r.docs[1].path} exit ${r.codes.join("/")} ` +
        `${
          JSON.stringify(
            (r.docs[0].attempt as Record<string, unknown> | null)?.mode ?? r.docs[0].error ??
              r.docs[0].why,
          )
        } ` +
        `rtt ${r.docs[0].timeToFirstRoundTripMs} ms`
      );
      console.log(rows.join("\n"));
      let direct = 0, met = 0;
      for (const r of results) {
        const both = r.a === "symmetric" && r.b === "symmetric";
        if (r.docs[0].path === "direct" && r.docs[1].path === "direct") direct++;
        if (r.docs[0].path !== "none" && r.docs[1].path !== "none") met++;
        if (both) {
          assert.equal(r.docs[0].path, "relay", rows.join("\n"));
          assert.deepEqual(r.codes, [1, 1]);
        } else assert.deepEqual(r.codes, [0, 0], rows.join("\n"));
      }
      assert.equal(direct, 15, rows.join("\n"));
      assert.equal(met, 16, rows.join("\n"));
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  },
});
