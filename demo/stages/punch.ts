/**
 * Demo stage: hole punching. Alice and Bob each run `peerkit punch` (Bob listens, Alice names
 * Bob's key); they meet through a relay node (`relay serve`) that coordinates the attempt,
 * learn each other's endpoints, probe each other at once and keep the first path whose round
 * trip proves the peer's key. On loopback there is no NAT, so the path is direct; the
 * beliefs saved after the attempt say so.
 *
 * @example
 * ```ts ignore
 * import { punchStage } from "./punch.ts";
 * await punchStage(console.log);
 * ```
 * @module
 */
import { backend } from "../../lib/crypto/mod.ts";
import { formatAddr } from "../../lib/net/addr.ts";
import { RelayNode } from "../../lib/relay/node.ts";
import { formatPublicKey } from "../../lib/identity/mod.ts";
import { main } from "../../cli.ts";

const HOST = "127.0.0.1";

/**
 * Runs the CLI in this process and returns its exit code and stdout (also used by the send
 * stage).
 *
 * @example
 * ```ts ignore
 * const { code, out } = await cli(["--json", "keygen"]);
 * ```
 */
export async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "", err = "";
  const code = await main(args, { out: (t) => out += t, err: (t) => err += t });
  return { code, out, err };
}

/**
 * Parses a `--json` document, or fails with the command's own last error line.
 *
 * @example
 * ```ts ignore
 * const doc = documentOf(await cli(["--json", "keygen"]), "keygen");
 * ```
 */
export function documentOf(r: { code: number; out: string; err: string }, what: string) {
  try {
    return JSON.parse(r.out);
  } catch {
    const last = r.err.trim().split("\n").at(-1) ?? "";
    throw new Error(`${what} exited ${r.code} with no document: ${last}`);
  }
}

/**
 * Runs the stage on loopback and cleans up.
 *
 * @example
 * ```ts ignore
 * import { punchStage } from "./punch.ts";
 * await punchStage((l) => console.log(l));
 * ```
 */
export async function punchStage(
  say: (line: string) => void,
  signal?: AbortSignal,
): Promise<void> {
  const short = (hex: string) => hex.slice(0, 12) + "…";
  await using node = await RelayNode.start({ keyPair: backend().keyPair(), hostname: HOST });
  const tcp = node.tcpAddrs[0]!;
  const relayKey = formatPublicKey(node.publicKey);
  const relay = `${formatAddr(tcp)}:${relayKey}`;
  say(`a relay node ('peerkit relay serve') on TCP ${formatAddr(tcp)}, key ${short(relayKey)};`);
  say("  it coordinates punches: meeting messages to its own key, cookies on its UDP port");
  const homeA = await Deno.makeTempDir({ prefix: "peerkit-demo-punch-a-" });
  const homeB = await Deno.makeTempDir({ prefix: "peerkit-demo-punch-b-" });
  try {
    const ka = documentOf(await cli(["--home", homeA, "--json", "keygen"]), "keygen").publicKey;
    const kb = documentOf(await cli(["--home", homeB, "--json", "keygen"]), "keygen").publicKey;
    if (signal?.aborted) return;
    const shown = `${formatAddr(tcp)}:${short(relayKey)}`;
    const common = ["--relay", relay, "--bind", `${HOST}:0`, "--timeout", "10"];
    say(`$ peerkit punch --listen --allow ${short(ka)} --relay ${shown} --bind ${HOST}:0`);
    say(`    (bob waits for alice)`);
    say(`$ peerkit punch ${short(kb)} --relay ${shown} --bind ${HOST}:0`);
    say(`    (alice punches to bob)`);
    const [b, a] = await Promise.all([
      cli(["--home", homeB, "--json", "punch", "--listen", "--allow", ka, ...common]),
      cli(["--home", homeA, "--json", "punch", kb, ...common]),
    ]);
    const da = documentOf(a, "alice's punch"), db = documentOf(b, "bob's punch");
    say(`they met: ${da.meeting} after ${da.meetMs} ms (attempt ${da.attemptId})`);
    say(`alice: ${da.self.endpoints.join(" ")}, NAT ${da.self.nat}`);
    say(`bob:   ${db.self.endpoints.join(" ")}, NAT ${db.self.nat}`);
    say("  (no --stun given, so the verdict is unknown and treated as easy)");
    say(
      `attempt: ${da.attempt?.mode ?? "none"}, probes sent: ${da.attempt?.probes ?? 0} by alice, ` +
        `${db.attempt?.probes ?? 0} by bob`,
    );
    say(`path chosen: ${da.path} (alice -> ${da.remote.path}), bob says ${db.path}`);
    if (da.timeToFirstRoundTripMs !== null) {
      say(`first round trip proving the peer's key: ${da.timeToFirstRoundTripMs} ms`);
    }
    for (const p of da.plan) say(`plan was: ${p.kind} for ${p.budgetMs} ms: ${p.why}`);
    say("alice's beliefs after the attempt (describeBeliefs):");
    for (const l of da.beliefs) say(`  ${l}`);
    if (a.code !== 0 || b.code !== 0 || da.path !== "direct" || db.path !== "direct") {
      throw new Error(`expected a direct path on loopback, got ${da.path} / ${db.path}`);
    }
    say("behind NATs the same command tries the birthday method, or hands over to the relay");
  } finally {
    await Deno.remove(homeA, { recursive: true }).catch(() => {});
    await Deno.remove(homeB, { recursive: true }).catch(() => {});
  }
}
