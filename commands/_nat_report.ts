/**
 * What `peerkit nat` prints: the human report (one fact a line, as `tailscale netcheck`
 * prints it) and the `--json` document, plus the local-IP rule that lets a check on a
 * wildcard socket say "open". Pure functions, no I/O.
 *
 * @example
 * ```ts
 * import { formatNatReport } from "./_nat_report.ts";
 * const lines = formatNatReport({ ipv4: null, ipv6: null, verdict: { level: "blocked", summary: "UDP blocked: relay only" }, elapsedMs: 880 });
 * console.assert(lines[0] === "NAT report (880 ms):");
 * ```
 * @module
 */
import { type Addr, formatAddr } from "../lib/net/addr.ts";
import { parseIp } from "../lib/net/ip.ts";
import type { DiscoverNatResult } from "../lib/nat/driver.ts";
import type { NatReport, NatVerdict } from "../lib/nat/report.ts";

/** One address family's result as printed and in `--json`. */
export interface FamilyResult {
  /** The discovery's report and counters. */
  report: DiscoverNatResult;
  /** Its verdict. */
  verdict: NatVerdict;
}

/**
 * `report` with its local IP filled in when the socket was bound to a wildcard and the
 * mapped IP is one of this host's own (`localIps`): no NAT rewrote the address, so the
 * verdict can say "open". Pure.
 *
 * @example
 * ```ts
 * import { withLocalIp } from "./_nat_report.ts";
 * const r = { local: { hostname: "0.0.0.0", port: 5 }, mapped: { hostname: "192.0.2.7", port: 5 } };
 * console.assert(withLocalIp(r, ["192.0.2.7"]).local?.hostname === "192.0.2.7");
 * console.assert(withLocalIp(r, ["192.0.2.8"]).local?.hostname === "0.0.0.0");
 * ```
 */
export function withLocalIp<T extends Pick<NatReport, "local" | "mapped">>(
  report: T,
  localIps: readonly string[],
): T {
  const { local, mapped } = report;
  if (!local || !mapped) return report;
  const wild = parseIp(local.hostname)?.every((b) => b === 0) ?? false;
  if (!wild || !localIps.includes(mapped.hostname)) return report;
  return { ...report, local: { hostname: mapped.hostname, port: local.port } };
}

const fmt = (a: Addr | null) => a ? formatAddr(a) : "-";

/**
 * The human report, one fact a line, as `tailscale netcheck` prints it.
 *
 * @example
 * ```ts
 * import { formatNatReport } from "./_nat_report.ts";
 * const lines = formatNatReport({ ipv4: null, ipv6: null, verdict: { level: "blocked", summary: "UDP blocked: relay only" }, elapsedMs: 880 });
 * console.assert(lines.at(-1) === "verdict: UDP blocked: relay only");
 * ```
 */
export function formatNatReport(r: {
  ipv4: FamilyResult | null;
  ipv6: FamilyResult | null;
  verdict: NatVerdict;
  elapsedMs: number;
}): string[] {
  const main = r.ipv4?.report.udp ? r.ipv4 : r.ipv6?.report.udp ? r.ipv6 : r.ipv4 ?? r.ipv6;
  const rows: [string, string][] = [];
  const udp = !!(r.ipv4?.report.udp || r.ipv6?.report.udp);
  rows.push(["UDP", udp ? "yes" : "no answer"]);
  for (const [name, f] of [["IPv4", r.ipv4], ["IPv6", r.ipv6]] as const) {
    if (!f) rows.push([name, "no servers"]);
    else if (!f.report.udp) rows.push([name, "no answer"]);
    else rows.push([name, `${fmt(f.report.mapped)} (local ${fmt(f.report.local)})`]);
  }
  if (main?.report.udp) {
    const m = main.report;
    rows.push(["mapping", m.mapping]);
    rows.push(["filtering", m.filtering]);
    rows.push(["hairpinning", m.hairpinning]);
    rows.push(["port preserved", m.preservesPort]);
    if (m.mappingVaries !== "unknown") rows.push(["varies by server", m.mappingVaries]);
  }
  const lines = [`NAT report (${Math.round(r.elapsedMs)} ms):`];
  for (const [k, v] of rows) lines.push(`  ${(k + ":").padEnd(18)}${v}`);
  const servers = [...(r.ipv4?.report.servers ?? []), ...(r.ipv6?.report.servers ?? [])];
  if (servers.length > 0) lines.push("  servers:");
  for (const s of servers) {
    const rtt = s.rttMs === null ? "no answer" : `${s.rttMs.toFixed(1)} ms`;
    const notes = [
      s.other ? `other ${formatAddr(s.other)}` : s.rttMs === null ? "" : "no OTHER-ADDRESS",
      s.software ?? "",
      s.error ? `error ${s.error}` : "",
    ].filter((x) => x !== "");
    lines.push(
      `    ${formatAddr(s.server).padEnd(24)}${rtt.padEnd(11)}${notes.join(", ")}`.trimEnd(),
    );
  }
  lines.push(`verdict: ${r.verdict.summary}`);
  return lines;
}

/**
 * One family's report as it goes into the `--json` document (addresses as text).
 *
 * @example
 * ```ts
 * import { familyJson } from "./_nat_report.ts";
 * console.assert(familyJson(null) === null);
 * ```
 */
export function familyJson(f: FamilyResult | null) {
  if (!f) return null;
  const r = f.report;
  return {
    verdict: f.verdict.level,
    udp: r.udp,
    local: r.local ? formatAddr(r.local) : null,
    mapped: r.mapped ? formatAddr(r.mapped) : null,
    primary: r.primary ? formatAddr(r.primary) : null,
    mapping: r.mapping,
    filtering: r.filtering,
    hairpinning: r.hairpinning,
    preservesPort: r.preservesPort,
    mappingVaries: r.mappingVaries,
    servers: r.servers.map((s) => ({
      server: formatAddr(s.server),
      rttMs: s.rttMs === null ? null : Math.round(s.rttMs * 10) / 10,
      mapped: s.mapped ? formatAddr(s.mapped) : null,
      other: s.other ? formatAddr(s.other) : null,
      software: s.software,
      error: s.error,
    })),
    sendErrors: r.sendErrors,
    ignored: r.ignored,
  };
}
