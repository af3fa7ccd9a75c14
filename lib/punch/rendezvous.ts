/**
 * The relay side of the relay-coordinated meeting (PTTH_DIREC as a peerkit extension),
 * sans-IO. A peer asks the relay to meet another peer with a control message sent as an
 * out-of-band packet addressed to **the relay's own key** (a c-toxcore relay has no client
 * with its own key and drops it silently; no c-toxcore client sends one). The relay:
 *
 * 1. creates an attempt id and a 16-byte cookie per side, and tells each side (an
 *    out-of-band packet from the relay's key) the id, its cookie, the peer's key and the
 *    relay's UDP address;
 * 2. receives each side's cookie on its UDP port (kind 0xe6), so learns both WAN addresses;
 * 3. once both arrived, sends each side the other's WAN address and NAT level (the second
 *    `introDelayMs` after the first).
 *
 * Control messages: magic `PKRV` | version 1 | UTF-8 JSON, at most 900 bytes:
 * `{"t":"meet","peer":hex,"nat":level}` (peer → relay), `{"t":"attempt","id","peer","cookie","udp","role"}`
 * (relay → peer), `{"t":"ready","id","nat"}` (peer → relay, the far side's NAT level),
 * `{"t":"intro","id","peer","addr","nat"}` and `{"t":"refused","peer","why"}` (relay → peer).
 * Bounded: 1024 attempts, 8 per client, each forgotten after 30 s.
 *
 * @example
 * ```ts
 * import { Rendezvous, encodeControl, decodeControl, COOKIE_KIND } from "./rendezvous.ts";
 * const a = "aa".repeat(32), b = "bb".repeat(32);
 * const rv = new Rendezvous({ udp: { hostname: "203.0.113.10", port: 33445 }, online: () => true });
 * const out = rv.handleControl(a, encodeControl({ t: "meet", peer: b, nat: "easy" }), 0);
 * console.assert(out.length === 2 && decodeControl(out[0]!.data).t === "attempt");
 * ```
 * @module
 */
import { type Addr, formatAddr, parseAddr } from "../net/addr.ts";
import { WireError } from "../util/wire_error.ts";
import type { NatLevel } from "./hello.ts";

/** UDP kind of a cookie datagram: 0xe6 | cookie [16]. Unused by c-toxcore 0.2.18. */
export const COOKIE_KIND = 0xe6;
/** Bytes of a cookie datagram. */
export const COOKIE_PACKET_SIZE = 17;
/** Magic of the control messages. */
export const CONTROL_MAGIC = new Uint8Array([0x50, 0x4b, 0x52, 0x56]); // "PKRV"
const MAX_BODY = 900;
const MAX_ATTEMPTS = 1024;
const MAX_PER_CLIENT = 8;
/** An attempt not introduced within this is forgotten. */
export const ATTEMPT_TTL_MS = 30_000;
const LEVELS: readonly string[] = ["open", "easy", "hard", "blocked", "unknown"];

/** A control message. */
export type Control =
  | { t: "meet"; peer: string; nat: NatLevel }
  | { t: "attempt"; id: string; peer: string; cookie: string; udp: string; role: "start" | "join" }
  | { t: "ready"; id: string; nat: NatLevel }
  | { t: "intro"; id: string; peer: string; addr: string; nat: NatLevel }
  | { t: "refused"; peer: string; why: string };

/** An out-of-band packet the relay must send from its own key. */
export interface RendezvousSend {
  /** Client key, hex. */
  to: string;
  /** Control message bytes. */
  data: Uint8Array;
  /** Send at this time (intro delay), or now when absent. */
  at?: number;
}

/**
 * Encodes a control message.
 *
 * @example
 * ```ts
 * import { encodeControl } from "./rendezvous.ts";
 * console.assert(encodeControl({ t: "refused", peer: "00", why: "x" })[4] === 1);
 * ```
 */
export function encodeControl(m: Control): Uint8Array {
  const body = new TextEncoder().encode(JSON.stringify(m));
  if (body.length > MAX_BODY) throw new TypeError("control message too long");
  const out = new Uint8Array(5 + body.length);
  out.set(CONTROL_MAGIC);
  out[4] = 1;
  out.set(body, 5);
  return out;
}

const hex64 = (v: unknown) => typeof v === "string" && /^[0-9a-f]{64}$/.test(v);
const hexN = (v: unknown, n: number) =>
  typeof v === "string" && v.length === n && /^[0-9a-f]*$/.test(v);
const level = (v: unknown) => typeof v === "string" && LEVELS.includes(v);
const addrText = (v: unknown) => {
  if (typeof v !== "string") return false;
  try {
    parseAddr(v);
    return true;
  } catch {
    return false;
  }
};

/**
 * Decodes a control message; throws only `WireError`.
 *
 * @example
 * ```ts
 * import { decodeControl } from "./rendezvous.ts";
 * try { decodeControl(new Uint8Array(2)); } catch (e) { console.assert((e as Error).name === "WireError"); }
 * ```
 */
export function decodeControl(data: Uint8Array): Control {
  if (data.length < 5) throw new WireError("TRUNCATED", "control message too short");
  if (!CONTROL_MAGIC.every((b, i) => data[i] === b)) throw new WireError("BAD_TYPE", "not PKRV");
  if (data[4] !== 1) throw new WireError("BAD_VALUE", "control version");
  if (data.length - 5 > MAX_BODY) throw new WireError("TOO_LARGE", "control body too long");
  let j: Record<string, unknown>;
  try {
    j = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(data.subarray(5)));
  } catch {
    throw new WireError("BAD_VALUE", "control body is not JSON");
  }
  if (!j || typeof j !== "object" || Array.isArray(j)) {
    throw new WireError("BAD_VALUE", "not an object");
  }
  const bad = () => new WireError("BAD_VALUE", `bad ${String(j.t)} message`);
  switch (j.t) {
    case "meet":
      if (!hex64(j.peer) || !level(j.nat)) throw bad();
      return { t: "meet", peer: j.peer as string, nat: j.nat as NatLevel };
    case "attempt":
      if (
        !hexN(j.id, 16) || !hex64(j.peer) || !hexN(j.cookie, 32) || !addrText(j.udp) ||
        (j.role !== "start" && j.role !== "join")
      ) throw bad();
      return {
        t: "attempt",
        id: j.id as string,
        peer: j.peer as string,
        cookie: j.cookie as string,
        udp: j.udp as string,
        role: j.role,
      };
    case "ready":
      if (!hexN(j.id, 16) || !level(j.nat)) throw bad();
      return { t: "ready", id: j.id as string, nat: j.nat as NatLevel };
    case "intro":
      if (!hexN(j.id, 16) || !hex64(j.peer) || !addrText(j.addr) || !level(j.nat)) throw bad();
      return {
        t: "intro",
        id: j.id as string,
        peer: j.peer as string,
        addr: j.addr as string,
        nat: j.nat as NatLevel,
      };
    case "refused":
      if (!hex64(j.peer) || typeof j.why !== "string" || j.why.length > 200) throw bad();
      return { t: "refused", peer: j.peer as string, why: j.why };
    default:
      throw new WireError("BAD_TYPE", "unknown control message");
  }
}

/** Options of a {@link Rendezvous}. */
export interface RendezvousOptions {
  /** The relay's UDP address peers send cookies to (as they can reach it). */
  udp: Addr;
  /** Whether a client key (hex, lower case) is connected to the relay. */
  online: (key: string) => boolean;
  /** Delay between the two introductions, ms (default 0). */
  introDelayMs?: number;
  /** Random bytes (default `crypto.getRandomValues`). */
  randomBytes?: (n: number) => Uint8Array;
}

interface Side {
  key: string;
  cookie: string;
  nat: NatLevel;
  /** The side said where it stands (the starting side with its "meet"). */
  ready: boolean;
  wan?: Addr;
}

interface Attempt {
  id: string;
  sides: [Side, Side];
  created: number;
  introduced: boolean;
}

const toHex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

/** The relay-side coordinator (see the module notes). */
export class Rendezvous {
  /** Counters. */
  readonly stats = { attempts: 0, introduced: 0, refused: 0, badControl: 0, badCookie: 0 };
  readonly #o: RendezvousOptions;
  readonly #attempts = new Map<string, Attempt>();
  readonly #byCookie = new Map<string, { a: Attempt; side: 0 | 1 }>();

  /** A coordinator for a relay whose UDP port is `opts.udp`. */
  constructor(opts: RendezvousOptions) {
    this.#o = opts;
  }

  /** Attempts alive. */
  get size(): number {
    return this.#attempts.size;
  }

  #random(n: number): Uint8Array {
    return this.#o.randomBytes?.(n) ?? crypto.getRandomValues(new Uint8Array(n));
  }

  /** A control message from client `from` (hex key) to the relay's own key. */
  handleControl(from: string, data: Uint8Array, now: number): RendezvousSend[] {
    this.#expire(now);
    let m: Control;
    try {
      m = decodeControl(data);
    } catch {
      this.stats.badControl++;
      return [];
    }
    const me = from.toLowerCase();
    if (m.t === "meet") {
      const peer = m.peer;
      const refuse = (why: string) => {
        this.stats.refused++;
        return [{ to: me, data: encodeControl({ t: "refused", peer, why }) }];
      };
      if (peer === me) return refuse("cannot meet yourself");
      if (!this.#o.online(peer)) return refuse("peer not connected to this relay");
      if (this.#attempts.size >= MAX_ATTEMPTS) return refuse("relay busy");
      let mine = 0;
      for (const a of this.#attempts.values()) if (a.sides[0].key === me) mine++;
      if (mine >= MAX_PER_CLIENT) return refuse("too many attempts");
      const id = toHex(this.#random(8));
      const a: Attempt = {
        id,
        sides: [
          { key: me, cookie: toHex(this.#random(16)), nat: m.nat, ready: true },
          { key: peer, cookie: toHex(this.#random(16)), nat: "unknown", ready: false },
        ],
        created: now,
        introduced: false,
      };
      this.#attempts.set(id, a);
      a.sides.forEach((s, i) => this.#byCookie.set(s.cookie, { a, side: i as 0 | 1 }));
      this.stats.attempts++;
      const udp = formatAddr(this.#o.udp);
      return [0, 1].map((i) => ({
        to: a.sides[i]!.key,
        data: encodeControl({
          t: "attempt",
          id,
          peer: a.sides[1 - i]!.key,
          cookie: a.sides[i]!.cookie,
          udp,
          role: i === 0 ? "start" : "join",
        }),
      }));
    }
    if (m.t === "ready") {
      const a = this.#attempts.get(m.id);
      if (!a || a.sides[1].key !== me) {
        this.stats.badControl++;
        return [];
      }
      a.sides[1].nat = m.nat;
      a.sides[1].ready = true;
      return this.#introduce(a, now);
    }
    this.stats.badControl++;
    return [];
  }

  /** A cookie datagram (kind 0xe6) from `from` on the relay's UDP port. */
  handleCookie(from: Addr, data: Uint8Array, now: number): RendezvousSend[] {
    if (data.length !== COOKIE_PACKET_SIZE || data[0] !== COOKIE_KIND) {
      this.stats.badCookie++;
      return [];
    }
    const hit = this.#byCookie.get(toHex(data.subarray(1)));
    if (!hit) {
      this.stats.badCookie++;
      return [];
    }
    hit.a.sides[hit.side].wan ??= from;
    return this.#introduce(hit.a, now);
  }

  #introduce(a: Attempt, now: number): RendezvousSend[] {
    const [s0, s1] = a.sides;
    // The joining side's NAT level arrives with its "ready"; both WANs with the cookies.
    if (a.introduced || !s0.wan || !s1.wan || !s1.ready) return [];
    a.introduced = true;
    this.stats.introduced++;
    const intro = (other: Side) =>
      encodeControl({
        t: "intro",
        id: a.id,
        peer: other.key,
        addr: formatAddr(other.wan!),
        nat: other.nat,
      });
    const out: RendezvousSend[] = [
      { to: s0.key, data: intro(s1) },
      { to: s1.key, data: intro(s0), at: now + (this.#o.introDelayMs ?? 0) },
    ];
    this.#forget(a);
    return out;
  }

  #forget(a: Attempt): void {
    this.#attempts.delete(a.id);
    for (const s of a.sides) this.#byCookie.delete(s.cookie);
  }

  #expire(now: number): void {
    for (const a of this.#attempts.values()) {
      if (now - a.created > ATTEMPT_TTL_MS) this.#forget(a);
    }
  }
}
