/**
 * Comparing transport addresses by value: `::ffff:a.b.c.d` equals `a.b.c.d`, IPv6 text
 * forms compare by bytes.
 *
 * @example
 * ```ts
 * import { sameEndpoint } from "./endpoint.ts";
 * console.assert(sameEndpoint({ hostname: "::ffff:127.0.0.1", port: 1 }, { hostname: "127.0.0.1", port: 1 }));
 * ```
 * @module
 */
import type { Addr } from "../net/addr.ts";
import { parseIp, unmapIpv4 } from "../net/ip.ts";
import { equals } from "../util/bytes.ts";

/**
 * True when both IPs are the same address (IPv4-mapped IPv6 unmapped first).
 *
 * @example
 * ```ts
 * import { sameIp } from "./endpoint.ts";
 * console.assert(sameIp("2001:db8::1", "2001:0db8:0:0::1") && !sameIp("127.0.0.1", "127.0.0.2"));
 * ```
 */
export function sameIp(a: string, b: string): boolean {
  if (a === b) return true;
  const x = parseIp(a), y = parseIp(b);
  return x !== null && y !== null && equals(unmapIpv4(x), unmapIpv4(y));
}

/**
 * True when both addresses have the same IP and port.
 *
 * @example
 * ```ts
 * import { sameEndpoint } from "./endpoint.ts";
 * console.assert(!sameEndpoint({ hostname: "127.0.0.1", port: 1 }, { hostname: "127.0.0.1", port: 2 }));
 * ```
 */
export function sameEndpoint(a: Addr, b: Addr): boolean {
  return a.port === b.port && sameIp(a.hostname, b.hostname);
}
