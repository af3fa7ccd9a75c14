/**
 * `peerkit punch [id]`: open a direct UDP path to a peer through NATs. Both peers run it:
 * one names the other (`punch <id>`), the other waits (`punch --listen --allow <id>`). They
 * meet through a TCP relay both reach (`--relay`), learn their public endpoints and NAT
 * verdicts with STUN (`--stun`), then probe each other at once (the birthday method when
 * one NAT maps per destination; straight to the relay when both do). The beliefs in the
 * state directory order the attempts and are updated with the outcome.
 *
 * @example
 * ```ts
 * import { parsePunchOptions } from "./punch.ts";
 * const o = await parsePunchOptions(undefined, { listen: true, allowAny: true, relay: ["127.0.0.1:33445:" + "AB".repeat(32)] });
 * console.assert(o.allow === "any" && o.timeoutMs === 20_000);
 * ```
 * @module
 */
import {
  emit,
  EXIT,
  type GlobalOptions,
  type Io,
  type Program,
  type Runner,
  type Zod,
} from "./_io.ts";
import { usageError } from "../lib/util/errors.ts";
import {
  addPeerOptions,
  parsePeerOptions,
  peerOptionFields,
  type PeerOptions,
  seconds,
} from "./_peer_options.ts";

/** Help text shown after the options. */
export const PUNCH_EXAMPLES = `
Examples:
  $ peerkit punch --listen --allow <A's key> --relay 203.0.113.10:33445:<relay key> \\
      --stun 203.0.113.10:3478                                         # on B: wait for A
  $ peerkit punch <B's key> --relay 203.0.113.10:33445:<relay key> \\
      --stun 203.0.113.10:3478                                         # on A: punch to B
  $ peerkit punch <B's key> --relay ... --hold 60 --json   # keep the path a minute, JSON out
  $ peerkit punch <B's key> --bootstrap 203.0.113.10:33445:<node key>   # no relay: the DHT

Both peers need a relay they both reach ('peerkit relay serve', or any Tox TCP relay).
The peers meet through the relay (meeting messages as out-of-band relay packets, so any
Tox TCP relay works, tox-bootstrapd included), learn their public endpoints and NAT
verdicts from the --stun servers on the socket they punch from, and probe each other at
once. Probes are boxed with both long-term keys; a path counts only after a round trip
that proves the peer's key. One symmetric NAT: the birthday method (256 sockets on the
hard side, random ports from the easy side, at most 2500 probes). Both symmetric: no
probing, reported as "relay" at once.

Prints the path chosen (direct / relay / none), both public endpoints and NAT verdicts,
probes used, the time to the first round trip and the beliefs that ordered the attempt.
An open path is kept with keep-alives (every 10 s) for --hold seconds, or until Ctrl-C.
Your identity is <home>/identity.key (created when missing); beliefs in <home>/beliefs.json.
With --bootstrap both peers join the DHT and meet with c-toxcore's NAT ping through each
other's close nodes (the listener names its one peer with --allow KEY); with --relay as
well, the DHT gets half of --timeout and the relays the rest if it opened no direct path.
Exit 0 when a direct path opened, 1 when not, 2 on a usage error.`;

const optionsSchema = (z: Zod) =>
  z.object({ ...peerOptionFields(z), hold: z.string().default("0") }).strict();

/** Validated options of `punch`: the shared ones, plus how long to hold an open path. */
export interface PunchCommandOptions extends PeerOptions {
  /** Keep an open path this long. */
  holdMs: number;
}

/**
 * Validates the id and options (usage errors exit 2).
 *
 * @example
 * ```ts
 * import { parsePunchOptions } from "./punch.ts";
 * await parsePunchOptions(undefined, {}).catch((e) => console.assert(e.usage));
 * ```
 */
export async function parsePunchOptions(
  id: string | undefined,
  raw: unknown,
): Promise<PunchCommandOptions> {
  const { z } = await import("zod");
  const r = optionsSchema(z).safeParse(raw);
  if (!r.success) throw usageError(`punch: ${r.error.issues[0]?.message ?? "bad options"}`);
  return {
    ...parsePeerOptions("punch", id, r.data, { relayAndBootstrap: true }),
    holdMs: seconds("punch", r.data.hold, "--hold", 0),
  };
}

/**
 * Runs `punch` and returns the exit code.
 *
 * @example
 * ```ts ignore
 * import { runPunch } from "./punch.ts";
 * const code = await runPunch(opts, g, io);
 * ```
 */
export async function runPunch(o: PunchCommandOptions, g: GlobalOptions, io: Io): Promise<number> {
  if (o.bootstrap.length === 0) return await runPunchRelay(o, g, io, {});
  if (o.relays.length === 0) return (await runPunchDht(o, g, io, true)).code;
  // Both: the DHT meeting first, with half the time; the relay meeting if it opened nothing.
  const dhtMs = dhtShareMs(o.timeoutMs);
  const first = await runPunchDht({ ...o, timeoutMs: dhtMs }, g, io, false);
  if (first.code === EXIT.OK) return first.code;
  if (!g.quiet && !g.json) {
    io.err(`punch: no direct path through the DHT (${first.why}); the relay`);
  }
  return await runPunchRelay({ ...o, timeoutMs: o.timeoutMs - dhtMs }, g, io, {
    dhtFirst: first.doc,
  });
}

/**
 * The part of `--timeout` the DHT meeting gets when a relay is the fallback: half.
 *
 * @example
 * ```ts
 * import { dhtShareMs } from "./punch.ts";
 * console.assert(dhtShareMs(20_000) === 10_000 && dhtShareMs(1_500) === 750);
 * ```
 */
export function dhtShareMs(timeoutMs: number): number {
  return Math.round(timeoutMs / 2);
}

/** `punch` through the relays (relay-coordinated or peer exchange). */
async function runPunchRelay(
  o: PunchCommandOptions,
  g: GlobalOptions,
  io: Io,
  extra: Record<string, unknown>,
): Promise<number> {
  const { loadIdentity } = await import("./_identity.ts");
  const { loadBeliefs, saveBeliefs } = await import("./_beliefs.ts");
  const { describeBeliefs, planAttempts, recordAttempt, recordNetwork } = await import(
    "../lib/punch/beliefs.ts"
  );
  const { runPunchSession } = await import("../lib/punch/session.ts");
  const { punchNetwork } = await import("../lib/punch/ttl_network.ts");
  const { formatPublicKey } = await import("../lib/identity/mod.ts");
  const keyPair = await loadIdentity(o.identity, g.home, io);
  const say = (l: string) => {
    if (!g.quiet && !g.json) io.err(l);
  };
  let beliefs = await loadBeliefs(g.home, Date.now(), say);
  let planned: { kind: string; startAfterMs: number; budgetMs: number; why: string }[] = [];
  let peerHex = o.peer ? formatPublicKey(o.peer) : "";
  say(`punch: ${formatPublicKey(keyPair.publicKey)} ${o.peer ? `-> ${peerHex}` : "listening"}`);
  const r = await runPunchSession({
    keyPair,
    ...(o.peer ? { peer: o.peer } : { allow: o.allow }),
    relays: o.relays,
    stun: o.stun,
    // The punch socket can send the first probes with a low TTL (Deno's cannot).
    network: punchNetwork(),
    timeoutMs: o.timeoutMs,
    holdMs: o.holdMs,
    signal: io.signal,
    ...(o.bind ? { bind: o.bind } : {}),
    log: g.verbose ? (l) => io.err(`punch: ${l}`) : undefined,
    plan: (selfHard, peerHard) => {
      planned = planAttempts(beliefs, peerHex || "00".repeat(32), Date.now(), {
        selfHard,
        peerHard,
        haveRelay: true,
      });
      const udp = planned.filter((p) => p.kind !== "relay");
      if (udp.length === 0) return { probe: false, why: planned[0]?.why ?? "no punch planned" };
      return {
        probe: true,
        budgetMs: udp.reduce((s, p) => s + p.budgetMs, 0),
        why: udp.map((p) => p.why).join("; "),
      };
    },
  });
  if (r.peer) peerHex = r.peer.toUpperCase();
  const now = Date.now();
  if (r.self.nat !== "unknown") {
    beliefs = recordNetwork(beliefs, "udp", r.self.nat !== "blocked", now);
    if (r.self.nat === "easy" || r.self.nat === "open" || r.self.nat === "hard") {
      beliefs = recordNetwork(beliefs, "eim", r.self.nat !== "hard", now);
    }
  }
  if (peerHex && r.attempt && r.attempt.mode !== "relay") {
    const kind = r.attempt.mode === "direct" ? "direct" : "birthday";
    beliefs = recordAttempt(beliefs, peerHex, kind, r.path === "direct", now);
  }
  if (peerHex && r.path !== "none") beliefs = recordAttempt(beliefs, peerHex, "relay", true, now);
  try {
    await saveBeliefs(g.home, beliefs);
  } catch (e) {
    say(`punch: beliefs not saved: ${e instanceof Error ? e.message : String(e)}`);
  }
  const lines = peerHex ? describeBeliefs(beliefs, peerHex, now) : [];
  const human = [
    `path: ${r.path}${r.remote.path ? ` (${r.remote.path})` : ""}`,
    `peer: ${peerHex || "none"}`,
    ...(r.meeting ? [`met: ${r.meeting} after ${r.meetMs} ms`] : []),
    `self: ${r.self.endpoints.join(" ") || "no public endpoint"}, NAT ${r.self.nat}`,
    `peer endpoints: ${r.remote.endpoints.join(" ") || "unknown"}, NAT ${r.remote.nat}`,
    ...(r.attempt
      ? [
        `attempt: ${r.attempt.mode}, ${r.attempt.probes} probes (${r.attempt.sprayed} random), ${r.attempt.sockets} sockets, ${r.attempt.lowTtl.applied} with a low TTL${
          r.attempt.lowTtl.unavailable > 0
            ? ` (${r.attempt.lowTtl.unavailable} without: no TTL control)`
            : ""
        }`,
      ]
      : []),
    ...(r.timeToFirstRoundTripMs !== null
      ? [`first round trip: ${r.timeToFirstRoundTripMs} ms`]
      : []),
    ...(r.hold && r.hold.ms >= 2000
      ? [
        `held: ${
          Math.round(r.hold.ms / 1000)
        } s, ${r.hold.keepalives} keep-alives, ${r.hold.state}`,
      ]
      : []),
    `why: ${r.why}`,
    ...planned.map((p) =>
      `plan: ${p.kind} at +${p.startAfterMs} ms for ${p.budgetMs} ms: ${p.why}`
    ),
    ...lines.map((l) => `belief: ${l}`),
  ];
  const doc = { ...r, peer: peerHex || null, plan: planned, beliefs: lines, ...extra };
  emit(
    g,
    io,
    doc,
    extra.dhtFirst ? ["meeting through the DHT first: no direct path", ...human] : human,
  );
  return r.path === "direct" ? EXIT.OK : EXIT.FAILED;
}

/**
 * `punch --bootstrap`: the DHT-coordinated meeting (NAT pings, then probes), no relay. Its
 * document is printed unless it opened nothing and `emitFailure` is false (a relay follows).
 */
async function runPunchDht(
  o: PunchCommandOptions,
  g: GlobalOptions,
  io: Io,
  emitFailure: boolean,
): Promise<{ code: number; why: string; doc: Record<string, unknown> }> {
  const { loadIdentity } = await import("./_identity.ts");
  const { loadBeliefs, saveBeliefs } = await import("./_beliefs.ts");
  const { describeBeliefs, recordAttempt } = await import("../lib/punch/beliefs.ts");
  const { runDhtMeet } = await import("../lib/punch/dht_meet_driver.ts");
  const { punchNetwork } = await import("../lib/punch/ttl_network.ts");
  const { formatPublicKey } = await import("../lib/identity/mod.ts");
  const keyPair = await loadIdentity(o.identity, g.home, io);
  const peer = o.peer ?? (o.allow as Uint8Array[])[0]!;
  const peerHex = formatPublicKey(peer);
  const say = (l: string) => {
    if (!g.quiet && !g.json) io.err(l);
  };
  say(`punch: ${formatPublicKey(keyPair.publicKey)} <-> ${peerHex} through the DHT`);
  const r = await runDhtMeet({
    keyPair,
    peer,
    bootstrap: o.bootstrap,
    timeoutMs: o.timeoutMs,
    signal: io.signal,
    network: punchNetwork(),
    ...(o.bind ? { bind: o.bind } : {}),
  });
  let beliefs = await loadBeliefs(g.home, Date.now(), say);
  if (r.probes > 0) {
    beliefs = recordAttempt(beliefs, peerHex, "direct", r.path === "direct", Date.now());
  }
  try {
    await saveBeliefs(g.home, beliefs);
  } catch (e) {
    say(`punch: beliefs not saved: ${e instanceof Error ? e.message : String(e)}`);
  }
  const lines = describeBeliefs(beliefs, peerHex, Date.now());
  const human = [
    `path: ${r.path}${r.remote ? ` (${r.remote})` : ""}`,
    `peer: ${peerHex}`,
    ...(r.meetMs !== null ? [`met: dht after ${r.meetMs} ms`] : []),
    `self: ${r.local}${r.seenByPeerAs ? `, seen by the peer as ${r.seenByPeerAs}` : ""}`,
    `nat pings: ${r.stats.pingsSent} sent, ${r.stats.responsesMatched} answered, ${r.stats.requestsSeen} from the peer`,
    ...(r.timeToFirstRoundTripMs !== null
      ? [`first round trip: ${r.timeToFirstRoundTripMs} ms`]
      : []),
    `why: ${r.why}`,
    ...lines.map((l) => `belief: ${l}`),
  ];
  const doc = { ...r, peer: peerHex, meeting: "dht", beliefs: lines };
  const code = r.path === "direct" ? EXIT.OK : EXIT.FAILED;
  if (code === EXIT.OK || emitFailure) emit(g, io, doc, human);
  return { code, why: r.why, doc };
}

/**
 * Adds `punch` to the program.
 *
 * @example
 * ```ts
 * import { Command } from "@commander-js/extra-typings";
 * import { registerPunch } from "./punch.ts";
 * registerPunch(new Command(), async () => {});
 * ```
 */
export function registerPunch(program: Program, run: Runner): void {
  const c = program.command("punch [id]")
    .description("open a direct UDP path to a peer through NATs, meeting through a relay");
  addPeerOptions(c, "UDP address to punch from (default 0.0.0.0:0)");
  c.option("--hold <seconds>", "keep an open path this long with keep-alives (Ctrl-C ends it)", "0")
    .addHelpText("after", PUNCH_EXAMPLES)
    .action((id, opts) => run(async (g, io) => runPunch(await parsePunchOptions(id, opts), g, io)));
}
