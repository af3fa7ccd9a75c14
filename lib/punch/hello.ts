/**
 * The meeting messages two peers exchange over a TCP relay before they punch: each says
 * which attempt it is, where it can be reached (its STUN-learned public endpoint and its
 * local addresses) and what its NAT looks like. They travel as out-of-band relay packets
 * addressed to the peer's key, which every TCP relay forwards (tox-bootstrapd as well as
 * `peerkit relay serve`), so the meeting needs nothing from the relay but its standard
 * service; a c-toxcore client never receives one, because it is only ever sent to a peerkit
 * peer's key.
 *
 * Layout: magic `PKPH` | version 1 | type (1 hello, 2 reply) | UTF-8 JSON body of at most
 * 900 bytes: `{"id":"<16 hex>","endpoints":["ip:port",...],"nat":"easy|hard|open|unknown|blocked"}`.
 * `decodeHello` throws only `WireError`.
 *
 * @example
 * ```ts
 * import { decodeHello, encodeHello } from "./hello.ts";
 * const m = { type: "hello" as const, id: "00112233445566aa", endpoints: [{ hostname: "203.0.113.1", port: 9 }], nat: "easy" as const };
 * console.assert(decodeHello(encodeHello(m)).endpoints[0]!.port === 9);
 * ```
 * @module
 */
import { type Addr, formatAddr, parseAddr } from "../net/addr.ts";
import { parseIp } from "../net/ip.ts";
import { WireError } from "../util/wire_error.ts";

/** Magic that starts every meeting message. */
export const HELLO_MAGIC = new Uint8Array([0x50, 0x4b, 0x50, 0x48]); // "PKPH"
/** Version byte. */
export const HELLO_VERSION = 1;
/** Longest JSON body. */
export const HELLO_MAX_BODY = 900;
/** Most endpoints in one message. */
export const HELLO_MAX_ENDPOINTS = 8;

/** A NAT verdict level, as `lib/nat` reports it. */
export type NatLevel = "open" | "easy" | "hard" | "blocked" | "unknown";
const LEVELS: readonly NatLevel[] = ["open", "easy", "hard", "blocked", "unknown"];

/** One meeting message. */
export interface Hello {
  /** `hello` from the side that starts, `reply` from the one that answers. */
  type: "hello" | "reply";
  /** Attempt id, 16 hex digits. */
  id: string;
  /** Where the sender listens for probes (public endpoint first). */
  endpoints: Addr[];
  /** The sender's NAT verdict. */
  nat: NatLevel;
}

/**
 * True when `data` starts with the meeting magic (cheap test before decoding).
 *
 * @example
 * ```ts
 * import { isHello } from "./hello.ts";
 * console.assert(isHello(new Uint8Array([0x50, 0x4b, 0x50, 0x48, 1, 1])) && !isHello(new Uint8Array(3)));
 * ```
 */
export function isHello(data: Uint8Array): boolean {
  return data.length >= 6 && HELLO_MAGIC.every((b, i) => data[i] === b);
}

/**
 * Encodes a meeting message; `TypeError` when it would not decode (bad id, too many
 * endpoints, too long).
 *
 * @example
 * ```ts
 * import { encodeHello } from "./hello.ts";
 * const b = encodeHello({ type: "reply", id: "0000000000000000", endpoints: [], nat: "hard" });
 * console.assert(b[5] === 2);
 * ```
 */
export function encodeHello(m: Hello): Uint8Array {
  if (!/^[0-9a-f]{16}$/.test(m.id)) throw new TypeError("attempt id must be 16 lower-case hex");
  if (m.endpoints.length > HELLO_MAX_ENDPOINTS) throw new TypeError("too many endpoints");
  const body = new TextEncoder().encode(JSON.stringify({
    id: m.id,
    endpoints: m.endpoints.map(formatAddr),
    nat: m.nat,
  }));
  if (body.length > HELLO_MAX_BODY) throw new TypeError("meeting message too long");
  const out = new Uint8Array(6 + body.length);
  out.set(HELLO_MAGIC);
  out[4] = HELLO_VERSION;
  out[5] = m.type === "hello" ? 1 : 2;
  out.set(body, 6);
  return out;
}

/**
 * Decodes a meeting message; throws `WireError` on anything malformed.
 *
 * @example
 * ```ts
 * import { decodeHello } from "./hello.ts";
 * try { decodeHello(new Uint8Array([1, 2])); } catch (e) { console.assert((e as Error).name === "WireError"); }
 * ```
 */
export function decodeHello(data: Uint8Array): Hello {
  if (data.length < 6) throw new WireError("TRUNCATED", "meeting message too short");
  if (!isHello(data)) throw new WireError("BAD_TYPE", "not a meeting message");
  if (data[4] !== HELLO_VERSION) throw new WireError("BAD_VALUE", `meeting version ${data[4]}`);
  const t = data[5];
  if (t !== 1 && t !== 2) throw new WireError("BAD_TYPE", `meeting type ${t}`);
  if (data.length - 6 > HELLO_MAX_BODY) throw new WireError("TOO_LARGE", "meeting body too long");
  let j: unknown;
  try {
    j = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(data.subarray(6)));
  } catch {
    throw new WireError("BAD_VALUE", "meeting body is not JSON");
  }
  if (!j || typeof j !== "object") throw new WireError("BAD_VALUE", "meeting body not an object");
  const o = j as Record<string, unknown>;
  if (typeof o.id !== "string" || !/^[0-9a-f]{16}$/.test(o.id)) {
    throw new WireError("BAD_VALUE", "bad attempt id");
  }
  if (typeof o.nat !== "string" || !LEVELS.includes(o.nat as NatLevel)) {
    throw new WireError("BAD_VALUE", "bad NAT level");
  }
  if (!Array.isArray(o.endpoints) || o.endpoints.length > HELLO_MAX_ENDPOINTS) {
    throw new WireError("BAD_VALUE", "bad endpoint list");
  }
  const endpoints: Addr[] = [];
  for (const e of o.endpoints) {
    if (typeof e !== "string") throw new WireError("BAD_VALUE", "bad endpoint");
    let a: Addr;
    try {
      a = parseAddr(e);
    } catch {
      throw new WireError("BAD_VALUE", "bad endpoint");
    }
    if (!parseIp(a.hostname) || !(a.port > 0 && a.port < 65536)) {
      throw new WireError("BAD_VALUE", "bad endpoint");
    }
    endpoints.push(a);
  }
  return { type: t === 1 ? "hello" : "reply", id: o.id, endpoints, nat: o.nat as NatLevel };
}
