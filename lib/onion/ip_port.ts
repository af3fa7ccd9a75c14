/**
 * The fixed 19-byte IP_Port of onion layers and return blobs (onion.c `ipport_pack`):
 * `[family 1][16 address bytes: IPv6, or IPv4 then 12 zero bytes][port 2 BE]`.
 *
 * Besides UDP/IPv4 (2) and UDP/IPv6 (10), a node writes family 11 (c-toxcore's
 * `TCP_CLIENT_FAMILY`) into its own return blobs to mark a TCP relay client; the client
 * number sits big-endian in the first four address bytes. Only the node that wrote such a
 * blob ever reads it back.
 *
 * @example
 * ```ts
 * import { decodeOnionIpPort, encodeOnionIpPort } from "./ip_port.ts";
 * const b = encodeOnionIpPort({ type: "udp", addr: { hostname: "127.0.0.1", port: 33445 } });
 * console.assert(b.length === 19 && decodeOnionIpPort(b, 0, false).type === "udp");
 * ```
 * @module
 */
import type { Addr } from "../net/addr.ts";
import { formatIp, parseIp, unmapIpv4 } from "../net/ip.ts";
import { WireError } from "../util/wire_error.ts";
import { SIZE_IPPORT } from "./constants.ts";

/** Family bytes of the fixed IP_Port. */
export const IPPORT_FAMILY = { UDP4: 2, UDP6: 10, TCP_CLIENT: 11 } as const;

/** Where a hop sends next or returns to: a UDP address or one of this relay's TCP clients. */
export type OnionIpPort =
  | { type: "udp"; addr: Addr }
  | { type: "tcp_client"; client: number };

/**
 * Packs an IP_Port into 19 bytes. IPv4-mapped IPv6 addresses are packed as IPv4.
 * Throws `TypeError` on a bad address or client number.
 *
 * @example
 * ```ts
 * import { encodeOnionIpPort } from "./ip_port.ts";
 * console.assert(encodeOnionIpPort({ type: "tcp_client", client: 5 })[0] === 11);
 * ```
 */
export function encodeOnionIpPort(ipp: OnionIpPort): Uint8Array {
  const out = new Uint8Array(SIZE_IPPORT);
  if (ipp.type === "tcp_client") {
    if (!Number.isInteger(ipp.client) || ipp.client < 0 || ipp.client > 0xffffffff) {
      throw new TypeError(`bad TCP client number: ${ipp.client}`);
    }
    out[0] = IPPORT_FAMILY.TCP_CLIENT;
    new DataView(out.buffer).setUint32(1, ipp.client);
    return out;
  }
  const raw = parseIp(ipp.addr.hostname);
  if (!raw) throw new TypeError(`not an IP address: ${ipp.addr.hostname}`);
  if (!Number.isInteger(ipp.addr.port) || ipp.addr.port < 0 || ipp.addr.port > 65535) {
    throw new TypeError(`bad port: ${ipp.addr.port}`);
  }
  const ip = unmapIpv4(raw);
  out[0] = ip.length === 4 ? IPPORT_FAMILY.UDP4 : IPPORT_FAMILY.UDP6;
  out.set(ip, 1);
  out[17] = ipp.addr.port >> 8;
  out[18] = ipp.addr.port & 0xff;
  return out;
}

/**
 * Unpacks the IP_Port at `offset`. Families 2 and 10 always; 11 only with `allowTcpClient`
 * (c-toxcore reads only the first four address bytes of an IPv4 entry, and so does this).
 *
 * @example
 * ```ts
 * import { decodeOnionIpPort } from "./ip_port.ts";
 * const b = new Uint8Array(19); b[0] = 2; b[1] = 10; b[18] = 80;
 * const r = decodeOnionIpPort(b, 0, false);
 * console.assert(r.type === "udp" && r.addr.hostname === "10.0.0.0" && r.addr.port === 80);
 * ```
 */
export function decodeOnionIpPort(
  bytes: Uint8Array,
  offset: number,
  allowTcpClient: boolean,
): OnionIpPort {
  if (offset < 0 || offset + SIZE_IPPORT > bytes.length) {
    throw new WireError("TRUNCATED", "IP_Port cut short");
  }
  const family = bytes[offset]!;
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, SIZE_IPPORT);
  if (family === IPPORT_FAMILY.TCP_CLIENT && allowTcpClient) {
    return { type: "tcp_client", client: view.getUint32(1) };
  }
  if (family !== IPPORT_FAMILY.UDP4 && family !== IPPORT_FAMILY.UDP6) {
    throw new WireError("BAD_FAMILY", `onion IP_Port family ${family}`);
  }
  const ipLen = family === IPPORT_FAMILY.UDP4 ? 4 : 16;
  const ip = unmapIpv4(bytes.subarray(offset + 1, offset + 1 + ipLen));
  return { type: "udp", addr: { hostname: formatIp(ip), port: view.getUint16(17) } };
}
