/**
 * IP addresses as bytes: IPv4 (4 bytes) and IPv6 (16 bytes) to and from text.
 *
 * @example
 * ```ts
 * import { formatIp, parseIp } from "./ip.ts";
 * console.assert(formatIp(parseIp("::ffff:1.2.3.4")!) === "::ffff:1.2.3.4");
 * console.assert(formatIp(parseIp("10.0.0.1")!) === "10.0.0.1");
 * ```
 * @module
 */

/**
 * Parses IPv4 dotted-quad or IPv6 text (with `::`, optional embedded IPv4) into 4 or 16
 * bytes; `null` when it is neither.
 *
 * @example
 * ```ts
 * import { parseIp } from "./ip.ts";
 * console.assert(parseIp("::1")?.length === 16 && parseIp("nope") === null);
 * ```
 */
export function parseIp(text: string): Uint8Array | null {
  const v4 = parseIpv4(text);
  if (v4) return v4;
  return parseIpv6(text);
}

function parseIpv4(text: string): Uint8Array | null {
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255 || (p.length > 1 && p[0] === "0")) return null;
    out[i] = Number(p);
  }
  return out;
}

function parseIpv6(text: string): Uint8Array | null {
  if (!/^[0-9a-fA-F:.]+$/.test(text) || text.length > 45) return null;
  let head = text, tail = "";
  const dbl = text.indexOf("::");
  if (dbl >= 0) {
    if (text.indexOf("::", dbl + 1) >= 0) return null;
    head = text.slice(0, dbl);
    tail = text.slice(dbl + 2);
  }
  const groups = (s: string): number[] | null => {
    if (s === "") return [];
    const out: number[] = [];
    const parts = s.split(":");
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i]!;
      if (i === parts.length - 1 && p.includes(".")) {
        const v4 = parseIpv4(p);
        if (!v4) return null;
        out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return null;
        out.push(parseInt(p, 16));
      }
    }
    return out;
  };
  const h = groups(head), t = groups(tail);
  if (!h || !t) return null;
  if (dbl < 0 && h.length !== 8) return null;
  if (dbl >= 0 && h.length + t.length > 7) return null;
  const all = [...h, ...new Array(8 - h.length - t.length).fill(0), ...t];
  const out = new Uint8Array(16);
  all.forEach((g, i) => {
    out[i * 2] = g >> 8;
    out[i * 2 + 1] = g & 0xff;
  });
  return out;
}

/**
 * Text form of a 4- or 16-byte address (IPv6 compressed, `::ffff:a.b.c.d` for mapped IPv4).
 *
 * @example
 * ```ts
 * import { formatIp } from "./ip.ts";
 * console.assert(formatIp(new Uint8Array([127, 0, 0, 1])) === "127.0.0.1");
 * ```
 */
export function formatIp(bytes: Uint8Array): string {
  if (bytes.length === 4) return Array.from(bytes).join(".");
  if (bytes.length !== 16) throw new TypeError("IP address must be 4 or 16 bytes");
  if (bytes.subarray(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) {
    return "::ffff:" + Array.from(bytes.subarray(12)).join(".");
  }
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push((bytes[i * 2]! << 8) | bytes[i * 2 + 1]!);
  let best = -1, bestLen = 0;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = g.map((x) => x.toString(16));
  if (best < 0) return hex.join(":");
  return hex.slice(0, best).join(":") + "::" + hex.slice(best + bestLen).join(":");
}

/**
 * The IPv4 address inside an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`), else the input.
 *
 * @example
 * ```ts
 * import { unmapIpv4 } from "./ip.ts";
 * console.assert(unmapIpv4(new Uint8Array([0,0,0,0,0,0,0,0,0,0,255,255,1,2,3,4])).length === 4);
 * ```
 */
export function unmapIpv4(bytes: Uint8Array): Uint8Array {
  if (
    bytes.length === 16 && bytes.subarray(0, 10).every((b) => b === 0) && bytes[10] === 0xff &&
    bytes[11] === 0xff
  ) return bytes.slice(12);
  return bytes;
}
