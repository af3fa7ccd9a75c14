/**
 * Packed IP_Port and packed nodes (c-toxcore DHT.c pack_ip_port / pack_nodes):
 * `[family 1][IPv4 4 | IPv6 16][port 2 BE]` then, for a node, `[public key 32]`.
 * Families: 2 UDP/IPv4, 10 UDP/IPv6, 130 TCP/IPv4, 138 TCP/IPv6.
 *
 * @example
 * ```ts
 * import { packNodes, unpackNodes } from "./packed_node.ts";
 * const n = { publicKey: new Uint8Array(32), addr: { hostname: "127.0.0.1", port: 33445 } };
 * const bytes = packNodes([n]);
 * console.assert(bytes.length === 39 && unpackNodes(bytes).nodes[0]!.addr.port === 33445);
 * ```
 * @module
 */
import type { Addr } from "../net/addr.ts";
import { formatIp, parseIp, unmapIpv4 } from "../net/ip.ts";
import { WireError } from "../util/wire_error.ts";
import { concat } from "../util/bytes.ts";

/** Family byte values. */
export const FAMILY = { UDP4: 2, UDP6: 10, TCP4: 130, TCP6: 138 } as const;
/** Packed IPv4 IP_Port length. */
export const PACKED_IPV4_SIZE = 7;
/** Packed IPv6 IP_Port length. */
export const PACKED_IPV6_SIZE = 19;
/** Packed IPv4 node length. */
export const PACKED_NODE_IPV4_SIZE = 39;
/** Packed IPv6 node length. */
export const PACKED_NODE_IPV6_SIZE = 51;

/** A DHT node: its DHT public key and address; `tcp` marks a TCP relay entry (130/138). */
export interface NodeInfo {
  /** 32-byte DHT public key. */
  publicKey: Uint8Array;
  /** IP and port. */
  addr: Addr;
  /** True for TCP relay families. */
  tcp?: boolean;
}

/**
 * Length of the packed IP_Port of `addr`.
 *
 * @example
 * ```ts
 * import { packedIpPortLength } from "./packed_node.ts";
 * console.assert(packedIpPortLength({ hostname: "::1", port: 1 }) === 19);
 * ```
 */
export function packedIpPortLength(addr: Addr): number {
  return ipBytes(addr.hostname).length === 4 ? PACKED_IPV4_SIZE : PACKED_IPV6_SIZE;
}

function ipBytes(hostname: string): Uint8Array {
  const ip = parseIp(hostname);
  if (!ip) throw new TypeError(`not an IP address: ${hostname}`);
  return unmapIpv4(ip);
}

/**
 * Packs an IP_Port. IPv4-mapped IPv6 addresses are packed as IPv4.
 *
 * @example
 * ```ts
 * import { packIpPort } from "./packed_node.ts";
 * console.assert(packIpPort({ hostname: "1.2.3.4", port: 258 })[6] === 2);
 * ```
 */
export function packIpPort(addr: Addr, tcp = false): Uint8Array {
  const ip = ipBytes(addr.hostname);
  const v4 = ip.length === 4;
  const out = new Uint8Array(v4 ? PACKED_IPV4_SIZE : PACKED_IPV6_SIZE);
  out[0] = v4 ? (tcp ? FAMILY.TCP4 : FAMILY.UDP4) : (tcp ? FAMILY.TCP6 : FAMILY.UDP6);
  out.set(ip, 1);
  out[1 + ip.length] = addr.port >> 8;
  out[2 + ip.length] = addr.port & 0xff;
  return out;
}

/**
 * Unpacks one IP_Port at `offset`; TCP families only when `allowTcp`.
 *
 * @example
 * ```ts
 * import { packIpPort, unpackIpPort } from "./packed_node.ts";
 * const r = unpackIpPort(packIpPort({ hostname: "::1", port: 7 }), 0, false);
 * console.assert(r.addr.hostname === "::1" && r.size === 19);
 * ```
 */
export function unpackIpPort(
  bytes: Uint8Array,
  offset: number,
  allowTcp: boolean,
): { addr: Addr; tcp: boolean; size: number } {
  const family = bytes[offset];
  if (family === undefined) throw new WireError("TRUNCATED", "missing address family");
  const isTcp = family === FAMILY.TCP4 || family === FAMILY.TCP6;
  const v4 = family === FAMILY.UDP4 || family === FAMILY.TCP4;
  const known = v4 || family === FAMILY.UDP6 || family === FAMILY.TCP6;
  if (!known || (isTcp && !allowTcp)) throw new WireError("BAD_FAMILY", `address family ${family}`);
  const ipLen = v4 ? 4 : 16;
  const size = 1 + ipLen + 2;
  if (offset + size > bytes.length) throw new WireError("TRUNCATED", "address cut short");
  const ip = unmapIpv4(bytes.subarray(offset + 1, offset + 1 + ipLen));
  const port = (bytes[offset + 1 + ipLen]! << 8) | bytes[offset + 2 + ipLen]!;
  return { addr: { hostname: formatIp(ip), port }, tcp: isTcp, size };
}

/**
 * Packs nodes back to back.
 *
 * @example
 * ```ts
 * import { packNodes } from "./packed_node.ts";
 * console.assert(packNodes([]).length === 0);
 * ```
 */
export function packNodes(nodes: readonly NodeInfo[]): Uint8Array {
  return concat(...nodes.map((n) => {
    if (n.publicKey.length !== 32) throw new TypeError("public key must be 32 bytes");
    return concat(packIpPort(n.addr, n.tcp ?? false), n.publicKey);
  }));
}

/**
 * Unpacks up to `max` nodes from the start of `bytes`; `size` is the bytes consumed.
 * Throws {@link WireError} on a bad family or a truncated node.
 *
 * @example
 * ```ts
 * import { unpackNodes } from "./packed_node.ts";
 * console.assert(unpackNodes(new Uint8Array()).nodes.length === 0);
 * ```
 */
export function unpackNodes(
  bytes: Uint8Array,
  opts: { max?: number; allowTcp?: boolean } = {},
): { nodes: NodeInfo[]; size: number } {
  const max = opts.max ?? Infinity;
  const nodes: NodeInfo[] = [];
  let off = 0;
  while (off < bytes.length && nodes.length < max) {
    const { addr, tcp, size } = unpackIpPort(bytes, off, opts.allowTcp ?? false);
    off += size;
    if (off + 32 > bytes.length) throw new WireError("TRUNCATED", "node public key cut short");
    const node: NodeInfo = { publicKey: bytes.slice(off, off + 32), addr };
    if (tcp) node.tcp = true;
    nodes.push(node);
    off += 32;
  }
  return { nodes, size: off };
}
