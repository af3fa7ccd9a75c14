/**
 * Transport addresses and their text forms (`1.2.3.4:5`, `[::1]:5`).
 *
 * @example
 * ```ts
 * import { formatAddr, parseAddr } from "./addr.ts";
 * console.assert(formatAddr(parseAddr("[::1]:33445")) === "[::1]:33445");
 * ```
 * @module
 */

/** An IP address (v4 dotted or v6 text) and a port. */
export interface Addr {
  /** IPv4 dotted quad or IPv6 text, no brackets. */
  hostname: string;
  /** 0..65535. */
  port: number;
}

/**
 * `host:port`, with brackets around IPv6 hosts.
 *
 * @example
 * ```ts
 * import { formatAddr } from "./addr.ts";
 * console.assert(formatAddr({ hostname: "127.0.0.1", port: 1 }) === "127.0.0.1:1");
 * ```
 */
export function formatAddr(a: Addr): string {
  return a.hostname.includes(":") ? `[${a.hostname}]:${a.port}` : `${a.hostname}:${a.port}`;
}

/**
 * Parses `host:port` or `[v6]:port`. Throws `TypeError` with a readable message.
 *
 * @example
 * ```ts
 * import { parseAddr } from "./addr.ts";
 * console.assert(parseAddr("127.0.0.1:80").port === 80);
 * ```
 */
export function parseAddr(text: string): Addr {
  const m = /^\[([0-9a-fA-F:.]+)\]:(\d{1,5})$/.exec(text) ?? /^([^:\[\]]+):(\d{1,5})$/.exec(text);
  if (!m) throw new TypeError(`not HOST:PORT: ${JSON.stringify(text)}`);
  const port = Number(m[2]);
  if (port > 65535) throw new TypeError(`port out of range: ${m[2]}`);
  return { hostname: m[1]!, port };
}

/**
 * True for 127.0.0.0/8 and ::1.
 *
 * @example
 * ```ts
 * import { isLoopback } from "./addr.ts";
 * console.assert(isLoopback("127.0.0.2") && !isLoopback("10.0.0.1"));
 * ```
 */
export function isLoopback(hostname: string): boolean {
  return hostname === "::1" || /^127\./.test(hostname) || hostname === "localhost";
}
