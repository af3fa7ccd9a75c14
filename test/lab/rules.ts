/**
 * nftables rule sets for the lab's home routers, one per NAT personality (RFC 4787 terms):
 *
 * | personality | mapping | filtering |
 * |---|---|---|
 * | `full-cone` | endpoint-independent | endpoint-independent |
 * | `address-restricted` | endpoint-independent | address-dependent |
 * | `port-restricted` | endpoint-independent | address-and-port-dependent |
 * | `symmetric` | address-and-port-dependent | address-and-port-dependent |
 *
 * Every router forwards LAN to WAN and established/related traffic back, and drops
 * unsolicited new packets on its WAN side (input and forward) before conntrack confirms
 * them, so a peer that punches first leaves no entry that would move the late side's port.
 *
 * @example
 * ```ts
 * import { routerRules } from "./rules.ts";
 * const r = routerRules({
 *   personality: "symmetric", wan: "203.0.113.1", host: "10.0.1.2", hairpin: false,
 * });
 * console.assert(r.includes("fully-random"));
 * ```
 * @module
 */

/** A NAT personality. */
export type Personality = "full-cone" | "address-restricted" | "port-restricted" | "symmetric";

/**
 * All personalities, from the most to the least permissive.
 *
 * @example
 * ```ts
 * import { PERSONALITIES } from "./rules.ts";
 * console.assert(PERSONALITIES.includes("symmetric"));
 * ```
 */
export const PERSONALITIES: readonly Personality[] = [
  "full-cone",
  "address-restricted",
  "port-restricted",
  "symmetric",
];

/** What {@link routerRules} needs to know about one router. */
export interface RouterSpec {
  /** Its NAT personality. */
  personality: Personality;
  /** Its WAN address. */
  wan: string;
  /** The one LAN host behind it. */
  host: string;
  /** Loop LAN packets addressed to the WAN address back to the host. */
  hairpin: boolean;
}

/**
 * How long the address-restricted filter and the hairpin map remember a mapping.
 *
 * @example
 * ```ts
 * import { MAPPING_TIMEOUT_S } from "./rules.ts";
 * console.assert(MAPPING_TIMEOUT_S === 120);
 * ```
 */
export const MAPPING_TIMEOUT_S = 120;

/**
 * The `nft -f -` script of one router. The WAN interface is `wan`, the LAN one `lan`.
 *
 * Full cone DNATs any new inbound UDP to the host (port kept); address-restricted does so
 * only when {source IP . public port} is in a set that a chain at postrouting priority 200
 * (after SNAT, so it sees the public port) fills from every outbound packet; port-restricted
 * is plain SNAT, which keeps the source port and reuses it for every destination, conntrack
 * admitting only the exact remote; symmetric is SNAT with a random port per flow. Hairpinning
 * records {public port : private port} the same way and DNATs LAN packets for the WAN
 * address through it, SNATting them to the WAN address.
 *
 * @example
 * ```ts
 * import { routerRules } from "./rules.ts";
 * const r = routerRules({
 *   personality: "address-restricted", wan: "203.0.113.1", host: "10.0.1.2", hairpin: true,
 * });
 * console.assert(r.includes("@seen") && r.includes("@hairpin"));
 * ```
 */
export function routerRules(spec: RouterSpec): string {
  const { personality: p, wan, host, hairpin } = spec;
  if (!PERSONALITIES.includes(p)) throw new TypeError(`unknown NAT personality: ${p}`);
  const random = p === "symmetric" ? " fully-random" : "";
  const pre: string[] = [];
  const post: string[] = [];
  const record: string[] = [];
  const sets: string[] = [];
  if (p === "full-cone") {
    pre.push(`iifname "wan" meta l4proto udp ip daddr ${wan} dnat to ${host}`);
  }
  if (p === "address-restricted") {
    sets.push(
      `  set seen {\n    type ipv4_addr . inet_service; flags dynamic,timeout; ` +
        `timeout ${MAPPING_TIMEOUT_S}s;\n  }`,
    );
    record.push(`oifname "wan" meta l4proto udp update @seen { ip daddr . udp sport }`);
    pre.push(
      `iifname "wan" meta l4proto udp ip daddr ${wan} ip saddr . udp dport @seen ` +
        `dnat to ${host}`,
    );
  }
  if (hairpin) {
    sets.push(
      `  map hairpin {\n    type inet_service : inet_service; flags dynamic,timeout; ` +
        `timeout ${MAPPING_TIMEOUT_S}s;\n  }`,
    );
    record.push(
      `oifname "wan" meta l4proto udp update @hairpin { udp sport : ct original proto-src }`,
    );
    pre.push(
      `iifname "lan" meta l4proto udp ip daddr ${wan} dnat to ${host} : udp dport map @hairpin`,
    );
    post.push(`iifname "lan" oifname "lan" ct status dnat snat to ${wan}${random}`);
  }
  post.push(`oifname "wan" snat to ${wan}${random}`);
  const chain = (name: string, head: string, rules: string[]) =>
    `  chain ${name} {\n    ${head}\n${rules.map((r) => `    ${r}\n`).join("")}  }`;
  return [
    "table ip peerkit_lab {",
    ...sets,
    chain("prerouting", "type nat hook prerouting priority dstnat; policy accept;", pre),
    chain("postrouting", "type nat hook postrouting priority srcnat; policy accept;", post),
    chain("record", "type filter hook postrouting priority 200; policy accept;", record),
    chain("forward", "type filter hook forward priority filter; policy drop;", [
      "ct state established,related accept",
      "ct status dnat accept",
      'iifname "lan" oifname "wan" accept',
    ]),
    chain("input", "type filter hook input priority filter; policy accept;", [
      'iifname "wan" ct state established,related accept',
      'iifname "wan" drop',
    ]),
    "}",
    "",
  ].join("\n");
}
