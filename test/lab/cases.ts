/**
 * The lab's cases, shared by the tests and `cli.ts`: each takes a running {@link NatLab},
 * runs probe programs inside its hosts and returns what they saw. The expectations are the
 * RFC 4787 definitions of each personality and, for punching, the reference matrix.
 *
 * @example
 * ```ts ignore
 * import { NatLab } from "./lab.ts";
 * import { behaviour } from "./cases.ts";
 * await using lab = await NatLab.create({ a: "symmetric", b: "full-cone" });
 * console.log(await behaviour(lab, "host-a"));
 * ```
 * @module
 */

import type { LabHost, NatLab, Personality } from "./lab.ts";

/** What `probe.ts behave` reports. */
export interface Behaviour {
  /** Public address seen by 203.0.113.10:3478 and by 203.0.113.11:3478, same socket. */
  mapping: { viaPrimary: string | null; viaAlternate: string | null };
  /** Which server sockets got through after the client sent only to 203.0.113.10:3478. */
  filtering: {
    sameEndpoint: boolean;
    otherAddress: boolean;
    otherPort: boolean;
    otherBoth: boolean;
  };
}

/** RFC 4787 mapping and filtering behaviour. */
export interface Rfc4787 {
  /** "EIM": same public port for every destination; "APDM": a new one per destination. */
  mapping: "EIM" | "APDM";
  /** "EIF", "ADF" (address-dependent) or "APDF" (address-and-port-dependent). */
  filtering: "EIF" | "ADF" | "APDF";
}

/**
 * What each personality is, in RFC 4787 words.
 *
 * @example
 * ```ts
 * import { EXPECTED } from "./cases.ts";
 * console.assert(EXPECTED.symmetric.mapping === "APDM");
 * ```
 */
export const EXPECTED: Record<Personality, Rfc4787> = {
  "full-cone": { mapping: "EIM", filtering: "EIF" },
  "address-restricted": { mapping: "EIM", filtering: "ADF" },
  "port-restricted": { mapping: "EIM", filtering: "APDF" },
  "symmetric": { mapping: "APDM", filtering: "APDF" },
};

/**
 * Classifies a {@link Behaviour} in RFC 4787 terms; `null` when it fits no class (e.g. the
 * server was not reached, or a packet from another address got in but one from another port
 * of the same address did not).
 *
 * @example
 * ```ts
 * import { classify } from "./cases.ts";
 * const c = classify({
 *   mapping: { viaPrimary: "203.0.113.1:40001", viaAlternate: "203.0.113.1:40001" },
 *   filtering: { sameEndpoint: true, otherAddress: false, otherPort: true, otherBoth: false },
 * });
 * console.assert(c?.mapping === "EIM" && c.filtering === "ADF");
 * ```
 */
export function classify(b: Behaviour): Rfc4787 | null {
  const { viaPrimary, viaAlternate } = b.mapping;
  const f = b.filtering;
  if (!viaPrimary || !viaAlternate || !f.sameEndpoint) return null;
  const mapping = viaPrimary === viaAlternate ? "EIM" : "APDM";
  if (f.otherAddress && f.otherPort && f.otherBoth) return { mapping, filtering: "EIF" };
  if (!f.otherAddress && f.otherPort && !f.otherBoth) return { mapping, filtering: "ADF" };
  if (!f.otherAddress && !f.otherPort && !f.otherBoth) return { mapping, filtering: "APDF" };
  return null;
}

/**
 * Mapping and filtering as seen from `host`.
 *
 * @example
 * ```ts ignore
 * import { NatLab } from "./lab.ts";
 * import { behaviour } from "./cases.ts";
 * await using lab = await NatLab.create({ a: "port-restricted", b: "full-cone" });
 * console.log((await behaviour(lab, "host-a")).filtering);
 * ```
 */
export async function behaviour(lab: NatLab, host: LabHost): Promise<Behaviour> {
  return await lab.probe<Behaviour>(host, ["behave"]);
}

/** What `probe.ts hairpin` reports. */
export interface Hairpin {
  /** The first socket's public address. */
  mapped: string | null;
  /** Whether the second socket's packet to that address came back in. */
  received: boolean;
  /** Its source as the first socket saw it. */
  from: string | null;
}

/**
 * Hairpinning from `host`: one socket sends to another's public address.
 *
 * @example
 * ```ts ignore
 * import { NatLab } from "./lab.ts";
 * import { hairpin } from "./cases.ts";
 * await using lab = await NatLab.create({ a: "symmetric", b: "full-cone", hairpin: true });
 * console.log((await hairpin(lab, "host-a")).received); // true
 * ```
 */
export async function hairpin(lab: NatLab, host: LabHost): Promise<Hairpin> {
  return await lab.probe<Hairpin>(host, ["hairpin"]);
}

/** What each side of `probe.ts punch` reports. */
export interface PunchSide {
  /** Heard the peer and the peer heard us. */
  ok: boolean;
  /** Milliseconds from the introduction to the first packet from the peer. */
  firstMs: number | null;
  /** Packets sent. */
  sent: number;
}

/**
 * Naive simultaneous punching between host-a and host-b, `timeoutMs` each.
 *
 * @example
 * ```ts ignore
 * import { NatLab } from "./lab.ts";
 * import { punchPair } from "./cases.ts";
 * await using lab = await NatLab.create({ a: "symmetric", b: "address-restricted" });
 * console.log((await punchPair(lab)).direct); // true
 * ```
 */
export async function punchPair(
  lab: NatLab,
  timeoutMs = 3000,
): Promise<{ direct: boolean; a: PunchSide; b: PunchSide }> {
  const args = (
    name: string,
  ) => ["punch", "--room", "p", "--name", name, "--timeout", `${timeoutMs}`];
  const [a, b] = await Promise.all([
    lab.probe<PunchSide>("host-a", args("a")),
    lab.probe<PunchSide>("host-b", args("b")),
  ]);
  return { direct: a.ok && b.ok, a, b };
}

/**
 * The reference result of naive punching: direct unless one side is symmetric and the other
 * filters by port (port-restricted or symmetric).
 *
 * @example
 * ```ts
 * import { naiveDirect } from "./cases.ts";
 * console.assert(naiveDirect("symmetric", "address-restricted"));
 * console.assert(!naiveDirect("port-restricted", "symmetric"));
 * ```
 */
export function naiveDirect(a: Personality, b: Personality): boolean {
  const portFiltering = (p: Personality) => p === "port-restricted" || p === "symmetric";
  return !((a === "symmetric" && portFiltering(b)) || (b === "symmetric" && portFiltering(a)));
}

/** What the two sides of the birthday method report. */
export interface Birthday {
  /** Both sides saw the path open. */
  direct: boolean;
  /** The symmetric side: which socket was hit, after how long. */
  hard: { ok: boolean; socket: number | null; ms: number; sockets: number };
  /** The cone side: probes sent until the hit (or in all), after how long. */
  easy: { ok: boolean; probes: number; ms: number; rate: number };
}

/**
 * The birthday method: host-a (the symmetric side) opens 256 sockets toward host-b's public
 * address, host-b sprays random ports on host-a's public IP at 500/s, bounded by
 * `maxProbes` and `timeoutMs`.
 *
 * @example
 * ```ts ignore
 * import { NatLab } from "./lab.ts";
 * import { birthday } from "./cases.ts";
 * await using lab = await NatLab.create({ a: "symmetric", b: "port-restricted" });
 * console.log((await birthday(lab)).easy.probes);
 * ```
 */
export async function birthday(
  lab: NatLab,
  opts: { maxProbes?: number; timeoutMs?: number } = {},
): Promise<Birthday> {
  const timeout = `${opts.timeoutMs ?? 5000}`;
  const [hard, easy] = await Promise.all([
    lab.probe<Birthday["hard"]>("host-a", [
      "birthday-hard",
      ...["--room", "b", "--name", "a", "--timeout", timeout, "--sockets", "256"],
    ]),
    lab.probe<Birthday["easy"]>("host-b", [
      "birthday-easy",
      ...["--room", "b", "--name", "b", "--timeout", timeout, "--rate", "500"],
      ...["--max-probes", `${opts.maxProbes ?? 3000}`],
    ]),
  ]);
  return { direct: hard.ok && easy.ok, hard, easy };
}

/** What `probe.ts ping` reports. */
export interface Ping {
  /** Requests sent. */
  sent: number;
  /** Replies received. */
  received: number;
  /** Median round trip. */
  medianRttMs: number | null;
}

/**
 * `count` round trips from `host` to the server, `intervalMs` apart.
 *
 * @example
 * ```ts ignore
 * import { NatLab } from "./lab.ts";
 * import { ping } from "./cases.ts";
 * await using lab = await NatLab.create({ a: "full-cone", b: "full-cone", netem: { lossPct: 10 } });
 * console.log(await ping(lab, "host-a", 50, 10));
 * ```
 */
export async function ping(
  lab: NatLab,
  host: LabHost,
  count = 20,
  intervalMs = 20,
): Promise<Ping> {
  return await lab.probe<Ping>(host, [
    "ping",
    "--count",
    `${count}`,
    "--interval",
    `${intervalMs}`,
  ]);
}
