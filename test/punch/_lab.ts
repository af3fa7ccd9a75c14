/**
 * One `peerkit punch` pair in a NAT lab: `peerkit relay serve` and a STUN responder (with an
 * alternate address) in the inet namespace, `peerkit punch` in host-a (naming B) and host-b
 * (listening, allowing A). Shared by the lab test and bench/punch_matrix.ts.
 * @module
 */
import assert from "node:assert/strict";
import { ADDR, type NatLab, type Personality } from "../lab/lab.ts";

export const CLI = new URL("../../cli.ts", import.meta.url).pathname;
const STUN = new URL("./_stun_serve.ts", import.meta.url).pathname;
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

/** Both sides' exit codes and JSON documents. */
export interface PairResult {
  a: Personality;
  b: Personality;
  codes: [number, number];
  docs: [Record<string, unknown>, Record<string, unknown>];
  /** Wall time of the two punch processes, ms. */
  wallMs: number;
}

/** A fresh identity in `home`; its public key. */
export async function keyOf(home: string): Promise<string> {
  const o = await new Deno.Command(DENO, {
    args: ["run", "-A", "--quiet", CLI, "--home", home, "--json", "keygen"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  return JSON.parse(new TextDecoder().decode(o.stdout)).publicKey;
}

/** Runs relay, STUN and both punch processes in `lab` (personalities `a` and `b`). */
export async function punchInLab(
  lab: NatLab,
  a: Personality,
  b: Personality,
  homes: { a: string; b: string; relay: string },
  keys: { a: string; b: string },
): Promise<PairResult> {
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
  const t0 = performance.now();
  const [rb, ra] = await Promise.all([
    lab.exec(
      "host-b",
      cli(homes.b, ["--json", "punch", "--listen", "--allow", keys.a, ...common]),
      40_000,
    ),
    lab.exec("host-a", cli(homes.a, ["--json", "punch", keys.b, ...common]), 40_000),
  ]);
  const wallMs = performance.now() - t0;
  await relay.stop();
  await stun.stop();
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
    wallMs,
  };
}
