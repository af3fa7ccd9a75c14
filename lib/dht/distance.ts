/**
 * XOR distance between DHT keys, the close-list bucket index and c-toxcore's notion of a
 * LAN address (LAN_discovery.c `ip_is_lan`).
 *
 * @example
 * ```ts
 * import { bucketIndex, closer } from "./distance.ts";
 * const t = new Uint8Array(32), a = new Uint8Array(32), b = new Uint8Array(32).fill(1);
 * console.assert(closer(t, a, b) < 0);
 * b[0] = 0x80;
 * console.assert(bucketIndex(t, b, 128) === 0);
 * ```
 * @module
 */
import { parseIp, unmapIpv4 } from "../net/ip.ts";

/**
 * Compares the XOR distances of `a` and `b` to `target`: negative when `a` is closer, positive
 * when `b` is, 0 when equal (c-toxcore `id_closest`).
 *
 * @example
 * ```ts
 * import { closer } from "./distance.ts";
 * const z = new Uint8Array(32);
 * console.assert(closer(z, z, z) === 0);
 * ```
 */
export function closer(target: Uint8Array, a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < 32; i++) {
    const da = a[i]! ^ target[i]!, db = b[i]! ^ target[i]!;
    if (da !== db) return da - db;
  }
  return 0;
}

/**
 * Index of the first bit where `pk` differs from `self` (MSB first), clamped to
 * `buckets - 1` (c-toxcore `bit_by_bit_cmp`, clamp to LCLIENT_LENGTH - 1).
 *
 * @example
 * ```ts
 * import { bucketIndex } from "./distance.ts";
 * const a = new Uint8Array(32), b = new Uint8Array(32);
 * b[1] = 0x01;
 * console.assert(bucketIndex(a, b, 128) === 15 && bucketIndex(a, a, 128) === 127);
 * ```
 */
export function bucketIndex(self: Uint8Array, pk: Uint8Array, buckets: number): number {
  for (let i = 0; i < 32; i++) {
    const x = self[i]! ^ pk[i]!;
    if (x !== 0) return Math.min(i * 8 + Math.clz32(x) - 24, buckets - 1);
  }
  return buckets - 1;
}

/**
 * Byte equality of two 32-byte keys.
 *
 * @example
 * ```ts
 * import { keyEquals } from "./distance.ts";
 * console.assert(keyEquals(new Uint8Array(32), new Uint8Array(32)));
 * ```
 */
export function keyEquals(a: Uint8Array, b: Uint8Array, bOffset = 0): boolean {
  for (let i = 0; i < 32; i++) if (a[i] !== b[bOffset + i]) return false;
  return true;
}

/**
 * c-toxcore's `ip_is_lan`: loopback, RFC 1918, 169.254.1-254, 100.64/10, fe80::/10, the
 * link-local multicast ff0X::1 with X < 3, and IPv4-mapped forms of the IPv4 ones.
 *
 * @example
 * ```ts
 * import { isLanAddress } from "./distance.ts";
 * console.assert(isLanAddress("127.0.0.1") && isLanAddress("192.168.1.2") && !isLanAddress("8.8.8.8"));
 * ```
 */
export function isLanAddress(hostname: string): boolean {
  const hit = lanCache.get(hostname);
  if (hit !== undefined) return hit;
  const v = computeIsLan(hostname);
  if (lanCache.size >= 4096) lanCache.clear();
  lanCache.set(hostname, v);
  return v;
}

const lanCache = new Map<string, boolean>();

function computeIsLan(hostname: string): boolean {
  const raw = parseIp(hostname);
  if (!raw) return false;
  const ip = unmapIpv4(raw);
  if (ip.length === 4) {
    const [a, b, c] = [ip[0]!, ip[1]!, ip[2]!];
    return a === 127 || a === 10 || (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168) || (a === 169 && b === 254 && c >= 1 && c <= 254) ||
      (a === 100 && (b & 0xc0) === 64);
  }
  if (ip.every((x, i) => i === 15 ? x === 1 : x === 0)) return true;
  if (ip[0] === 0xfe && (ip[1]! & 0xc0) === 0x80) return true;
  if (ip[0] === 0xff && ip[1]! < 3 && ip[15] === 1 && ip.subarray(2, 15).every((x) => x === 0)) {
    return true;
  }
  return false;
}
