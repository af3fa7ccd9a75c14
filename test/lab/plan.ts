/**
 * The NAT lab as data: namespace names, addresses and the exact `ip`, `sysctl`, `tc` and
 * `nft` command lines that build it. Pure functions only, so the plan is unit-tested without
 * root and {@link ../lab.ts} just runs it.
 *
 * ```
 * host-a 10.0.1.2 ── nat-a (lan 10.0.1.1 | wan 203.0.113.1) ─┐
 *                                                             ├─ br0 in "inet": 203.0.113.10, .11
 * host-b 10.0.2.2 ── nat-b (lan 10.0.2.1 | wan 203.0.113.2) ─┘
 * ```
 *
 * Every command names its namespace (`ip -n NS`, `ip netns exec NS`, `tc -n NS`), veth pairs
 * are created from inside a namespace with the peer put straight into another, so nothing is
 * ever added to the root namespace.
 *
 * @example
 * ```ts
 * import { labNames, setupPlan } from "./plan.ts";
 * const names = labNames("pk-1-0-");
 * const plan = setupPlan({ a: "symmetric", b: "full-cone" }, names);
 * console.assert(plan[0]!.argv.join(" ") === "ip netns add pk-1-0-inet");
 * ```
 * @module
 */

import { routerRules } from "./rules.ts";
import type { Personality } from "./rules.ts";
export type { Personality } from "./rules.ts";
export { PERSONALITIES } from "./rules.ts";

/** The five namespaces of a lab, by role. */
export type LabHost = "host-a" | "host-b" | "nat-a" | "nat-b" | "inet";

/**
 * Every role, in creation order.
 *
 * @example
 * ```ts
 * import { LAB_HOSTS } from "./plan.ts";
 * console.assert(LAB_HOSTS.length === 5);
 * ```
 */
export const LAB_HOSTS: readonly LabHost[] = ["inet", "nat-a", "nat-b", "host-a", "host-b"];

/**
 * Fixed addresses of the lab (documentation / private ranges only).
 *
 * @example
 * ```ts
 * import { ADDR } from "./plan.ts";
 * console.assert(ADDR.inet2 === "203.0.113.11");
 * ```
 */
export const ADDR = {
  hostA: "10.0.1.2",
  natALan: "10.0.1.1",
  natAWan: "203.0.113.1",
  hostB: "10.0.2.2",
  natBLan: "10.0.2.1",
  natBWan: "203.0.113.2",
  /** The rendezvous / STUN-style server's primary address. */
  inet1: "203.0.113.10",
  /** Its alternate address (RFC 5780 "other address"). */
  inet2: "203.0.113.11",
} as const;

/** Options of a lab: one NAT personality per side, hairpinning, WAN impairments. */
export interface LabOptions {
  /** Personality of nat-a. */
  a: Personality;
  /** Personality of nat-b. */
  b: Personality;
  /** Routers loop LAN packets for their own WAN address back to the host (default false). */
  hairpin?: boolean;
  /** WAN impairments: delay (tc netem, each direction) and loss (nftables, each direction). */
  netem?: { delayMs?: number; lossPct?: number };
  /**
   * One-way delay on each WAN link, each direction, added by the user-space delay hop
   * (`delay_hop.c`) instead of tc netem, so it works on kernels without sch_netem
   * (default 0: no hop).
   */
  delayMs?: number;
}

/** One step of a plan: a command line and, for `nft -f -`, its standard input. */
export interface Step {
  /** Program and arguments. */
  argv: string[];
  /** Text written to the program's stdin. */
  stdin?: string;
}

/**
 * Namespace names for one lab under `prefix` (e.g. `pk-<pid>-<seq>-`).
 *
 * @example
 * ```ts
 * import { labNames } from "./plan.ts";
 * console.assert(labNames("pk-7-0-")["host-a"] === "pk-7-0-host-a");
 * ```
 */
export function labNames(prefix: string): Record<LabHost, string> {
  if (!/^[a-z0-9-]{1,40}$/.test(prefix)) throw new TypeError(`bad lab prefix: ${prefix}`);
  return Object.fromEntries(LAB_HOSTS.map((h) => [h, `${prefix}${h}`])) as Record<
    LabHost,
    string
  >;
}

/**
 * The steps that build a lab, in order.
 *
 * @example
 * ```ts
 * import { labNames, setupPlan } from "./plan.ts";
 * const steps = setupPlan({ a: "full-cone", b: "symmetric" }, labNames("pk-1-0-"));
 * console.assert(steps.some((s) => s.argv.includes("nft")));
 * ```
 */
export function setupPlan(opts: LabOptions, names: Record<LabHost, string>): Step[] {
  const delay = opts.netem?.delayMs ?? 0;
  const loss = opts.netem?.lossPct ?? 0;
  if (!(delay >= 0 && delay <= 5000)) throw new RangeError(`delayMs out of range: ${delay}`);
  if (!(loss >= 0 && loss <= 100)) throw new RangeError(`lossPct out of range: ${loss}`);
  const hop = opts.delayMs ?? 0;
  if (!(Number.isInteger(hop) && hop >= 0 && hop <= 5000)) {
    throw new RangeError(`delayMs out of range: ${hop}`);
  }
  const inet = names.inet;
  const s: Step[] = LAB_HOSTS.map((h) => ({ argv: ["ip", "netns", "add", names[h]] }));
  for (const h of LAB_HOSTS) s.push(ipn(names[h], "link set lo up"));
  s.push(
    ipn(inet, "link add name br0 type bridge"),
    ipn(inet, "link set br0 up"),
    ipn(inet, `addr add ${ADDR.inet1}/24 dev br0`),
    ipn(inet, `addr add ${ADDR.inet2}/24 dev br0`),
  );
  const sides = [
    { side: "a", p: opts.a, lan: ADDR.natALan, wan: ADDR.natAWan, host: ADDR.hostA },
    { side: "b", p: opts.b, lan: ADDR.natBLan, wan: ADDR.natBWan, host: ADDR.hostB },
  ] as const;
  for (const { side, p, lan, wan, host } of sides) {
    const nat = names[`nat-${side}`], hst = names[`host-${side}`], port = `p${side}`;
    if (hop > 0) {
      // wan <-> w<side> ~ delay hop ~ x<side> <-> p<side> in br0 (see delayHops).
      s.push(
        ipn(nat, `link add name wan type veth peer name w${side} netns ${inet}`),
        ipn(inet, `link add name x${side} type veth peer name ${port}`),
        ipn(inet, `link set w${side} up`),
        ipn(inet, `link set x${side} up`),
      );
    } else s.push(ipn(nat, `link add name wan type veth peer name ${port} netns ${inet}`));
    s.push(
      ipn(inet, `link set ${port} master br0`),
      ipn(inet, `link set ${port} up`),
      ipn(nat, `addr add ${wan}/24 dev wan`),
      ipn(nat, "link set wan up"),
      ipn(hst, `link add name eth0 type veth peer name lan netns ${nat}`),
      ipn(hst, `addr add ${host}/24 dev eth0`),
      ipn(hst, "link set eth0 up"),
      ipn(nat, `addr add ${lan}/24 dev lan`),
      ipn(nat, "link set lan up"),
      ipn(hst, `route add default via ${lan}`),
      ipn(nat, `route add default via ${ADDR.inet1}`),
      { argv: ["ip", "netns", "exec", nat, "sysctl", "-qw", "net.ipv4.ip_forward=1"] },
      {
        argv: ["ip", "netns", "exec", nat, "nft", "-f", "-"],
        stdin: routerRules({ personality: p, wan, host, hairpin: opts.hairpin ?? false }),
      },
    );
    if (delay > 0) {
      for (const [ns, dev] of [[nat, "wan"], [inet, port]] as const) {
        s.push({
          argv: [
            "tc",
            "-n",
            ns,
            "qdisc",
            "add",
            "dev",
            dev,
            "root",
            "netem",
            "delay",
            `${delay}ms`,
          ],
        });
      }
    }
  }
  if (loss > 0) {
    s.push({ argv: ["ip", "netns", "exec", inet, "nft", "-f", "-"], stdin: lossRules(loss) });
  }
  return s;
}

/**
 * The interface pairs in "inet" that a delay hop joins when `delayMs` is set: the router
 * side (`wa`, the peer of nat-a's `wan`) and the bridge side (`xa`, whose peer `pa` is in
 * br0), per router; empty without `delayMs`.
 *
 * @example
 * ```ts
 * import { delayHops } from "./plan.ts";
 * console.assert(delayHops({ a: "full-cone", b: "full-cone", delayMs: 20 })[1]![0] === "wb");
 * console.assert(delayHops({ a: "full-cone", b: "full-cone" }).length === 0);
 * ```
 */
export function delayHops(opts: LabOptions): Array<[string, string]> {
  return (opts.delayMs ?? 0) > 0 ? [["wa", "xa"], ["wb", "xb"]] : [];
}

/**
 * nftables rules for the inet bridge that drop `pct` % of the IPv4 packets crossing it, once
 * per direction (router to router, router to server, server to router). ARP is spared: a lost
 * ARP exchange would stall a whole link for a second, not lose one packet.
 *
 * @example
 * ```ts
 * import { lossRules } from "./plan.ts";
 * console.assert(lossRules(5).includes("numgen random mod 100 < 5 drop"));
 * ```
 */
export function lossRules(pct: number): string {
  const chain = (name: string, hook: string) =>
    `  chain ${name} {\n    type filter hook ${hook} priority 0; policy accept;\n` +
    `    ether type ip numgen random mod 100 < ${Math.round(pct)} drop\n  }\n`;
  return `table bridge peerkit_lab_loss {\n${chain("loss_forward", "forward")}` +
    `${chain("loss_input", "input")}${chain("loss_output", "output")}}\n`;
}

/**
 * Namespaces in `list` (output of `ip netns list`) that belong to a lab started by a process
 * that is no longer alive: `pk-<pid>-...` with `alive(pid)` false.
 *
 * @example
 * ```ts
 * import { staleNamespaces } from "./plan.ts";
 * const s = staleNamespaces("pk-5-0-inet (id: 3)\npk-6-0-inet\nother\n", (pid) => pid === 6);
 * console.assert(s.length === 1 && s[0] === "pk-5-0-inet");
 * ```
 */
export function staleNamespaces(list: string, alive: (pid: number) => boolean): string[] {
  const out: string[] = [];
  for (const line of list.split("\n").slice(0, 10_000)) {
    const name = line.trim().split(/\s+/)[0] ?? "";
    const m = /^pk-(\d+)-/.exec(name);
    if (m && !alive(Number(m[1]))) out.push(name);
  }
  return out;
}

/**
 * Namespaces in `list` whose name starts with `prefix`.
 *
 * @example
 * ```ts
 * import { namespacesWithPrefix } from "./plan.ts";
 * console.assert(namespacesWithPrefix("pk-5-0-inet\npk-50-0-inet\n", "pk-5-").length === 1);
 * ```
 */
export function namespacesWithPrefix(list: string, prefix: string): string[] {
  return list.split("\n").slice(0, 10_000).map((l) => l.trim().split(/\s+/)[0] ?? "")
    .filter((n) => n.length > 0 && n.startsWith(prefix));
}

function ipn(ns: string, cmd: string): Step {
  return { argv: ["ip", "-n", ns, ...cmd.split(" ")] };
}
