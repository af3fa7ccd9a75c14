/**
 * Two `peerkit punch` processes on loopback, for the command-line tests: B listens allowing
 * A, A names B, both with the same options. Fresh homes, removed afterwards.
 *
 * @example
 * ```ts ignore
 * import { punchTwo } from "./_cli_pair.ts";
 * const r = await punchTwo(["--relay", relay, "--bind", "127.0.0.1:0", "--timeout", "15"]);
 * console.log(r.da.path, r.db.path);
 * ```
 * @module
 */
import assert from "node:assert/strict";
import { peerkit } from "../_support/cli.ts";

/** A fresh identity in `home`; its public key. */
export async function keyOf(home: string): Promise<string> {
  const r = await peerkit(["--json", "keygen"], { PEERKIT_HOME: home });
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout).publicKey;
}

/** A `punch --json` document, read field by field in the tests. */
// deno-lint-ignore no-explicit-any
export type PunchDoc = Record<string, any>;

/** Both processes' documents (both asserted to exit 0), keys, A's beliefs, wall time. */
export interface PunchTwo {
  da: PunchDoc;
  db: PunchDoc;
  ka: string;
  kb: string;
  beliefsA: { peers: Record<string, { direct: { a: number } }> };
  wallMs: number;
}

/** Runs the pair with `common` options and asserts that both exit 0. */
export async function punchTwo(common: string[]): Promise<PunchTwo> {
  const homeA = await Deno.makeTempDir({ prefix: "peerkit-punch-a-" });
  const homeB = await Deno.makeTempDir({ prefix: "peerkit-punch-b-" });
  try {
    const [ka, kb] = [await keyOf(homeA), await keyOf(homeB)];
    const t0 = performance.now();
    const [b, a] = await Promise.all([
      peerkit(["--json", "punch", "--listen", "--allow", ka, ...common], { PEERKIT_HOME: homeB }),
      peerkit(["--json", "punch", kb, ...common], { PEERKIT_HOME: homeA }),
    ]);
    const wallMs = performance.now() - t0;
    assert.equal(a.code, 0, a.stderr + a.stdout);
    assert.equal(b.code, 0, b.stderr + b.stdout);
    const beliefsA = JSON.parse(await Deno.readTextFile(`${homeA}/beliefs.json`));
    return { da: JSON.parse(a.stdout), db: JSON.parse(b.stdout), ka, kb, beliefsA, wallMs };
  } finally {
    await Deno.remove(homeA, { recursive: true });
    await Deno.remove(homeB, { recursive: true });
  }
}
