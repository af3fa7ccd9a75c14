/**
 * A sans-IO STUN Binding responder (RFC 8489, RFC 5780 §6, and RFC 3489 requests for old
 * clients). It answers from up to four local addresses, the primary and alternate IPs
 * crossed with the primary and alternate ports; the driver owns those sockets and sends
 * each reply from the address it names.
 *
 * Amplification bound: an answer goes to an unverified address, so it never exceeds twice
 * the request, except that the one mapped address is always sent (a bare 20-byte IPv6
 * request gets 44 bytes). Attributes are added in this order while they fit:
 * XOR-MAPPED-ADDRESS, OTHER-ADDRESS, RESPONSE-ORIGIN, FINGERPRINT (when the request had
 * one), MAPPED-ADDRESS, SOFTWARE. RFC 3489 requests get MAPPED-ADDRESS, SOURCE-ADDRESS and
 * CHANGED-ADDRESS.
 *
 * @example
 * ```ts
 * import { StunResponder } from "./responder.ts";
 * import { decodeStun, encodeStun } from "./wire.ts";
 * const r = new StunResponder({ primary: { hostname: "127.0.0.1", port: 3478 } });
 * const req = encodeStun({ class: "request", method: 1, transactionId: new Uint8Array(12), attributes: [] });
 * const reply = r.handleDatagram({ hostname: "127.0.0.1", port: 5000 }, req, 0);
 * console.assert(reply !== null && decodeStun(reply.data).class === "success");
 * ```
 * @module
 */
import type { Addr } from "../net/addr.ts";
import { parseIp, unmapIpv4 } from "../net/ip.ts";
import { toHex } from "../util/bytes.ts";
import { WireError } from "../util/wire_error.ts";
import type { StunAttribute } from "./attributes.ts";
import { ATTR, FINGERPRINT_ATTR_SIZE, METHOD_BINDING, STUN_HEADER_SIZE } from "./constants.ts";
import { sameIp } from "./endpoint.ts";
import { type RateLimitOptions, SourceRateLimiter } from "./rate.ts";
import { decodeStun, encodedLength, encodeStun, findAttribute, type StunMessage } from "./wire.ts";

/** Options of {@link StunResponder}. */
export interface StunResponderOptions {
  /** The primary address (IP and port) the responder serves on. */
  primary: Addr;
  /** Alternate IP and port; enables OTHER-ADDRESS and CHANGE-REQUEST. */
  alternate?: Addr;
  /** SOFTWARE text; empty for none (default "peerkit"). */
  software?: string;
  /** Per-source rate limit. */
  rate?: RateLimitOptions;
  /** Answer RFC 3489 requests without the magic cookie (default true). */
  legacy?: boolean;
}

/** A reply for the driver to send. */
export interface StunReply {
  /** Destination (the request's source). */
  to: Addr;
  /** Which of the responder's local addresses to send from. */
  from: Addr;
  /** Bytes. */
  data: Uint8Array;
}

/** Counters of a {@link StunResponder}. */
export interface StunResponderStats {
  /** Binding requests answered with a success response. */
  answered: number;
  /** Error responses sent (420 Unknown Attribute). */
  errors: number;
  /** Datagrams that did not decode as STUN. */
  malformed: number;
  /** STUN messages that are not Binding requests. */
  ignored: number;
  /** Requests dropped by the per-source rate limit. */
  rateLimited: number;
  /** Replies not sent because even the smallest would exceed the amplification bound. */
  tooLarge: number;
}

const MAX_UNKNOWN_LISTED = 4;

/**
 * The rate-limit key of a source: the IPv4 address, or the /64 prefix of an IPv6 address
 * (one host usually holds a whole /64, so per-address buckets would be free to multiply).
 */
function sourceKey(hostname: string): string {
  const ip = parseIp(hostname);
  if (!ip) return hostname;
  const v4 = unmapIpv4(ip);
  return v4.length === 4 ? v4.join(".") : toHex(v4.subarray(0, 8)) + "::/64";
}

function isWildcardIp(hostname: string): boolean {
  const ip = parseIp(hostname);
  return ip !== null && ip.every((b) => b === 0);
}

/** The responder core (see the module notes). */
export class StunResponder {
  readonly #primary: Addr;
  readonly #alternate: Addr | null;
  readonly #software: string;
  readonly #legacy: boolean;
  readonly #limiter: SourceRateLimiter;
  /** Counters. */
  readonly stats: StunResponderStats = {
    answered: 0,
    errors: 0,
    malformed: 0,
    ignored: 0,
    rateLimited: 0,
    tooLarge: 0,
  };

  /** A responder; see {@link StunResponderOptions}. */
  constructor(opts: StunResponderOptions) {
    this.#primary = opts.primary;
    this.#alternate = opts.alternate ?? null;
    if (this.#alternate) {
      if (sameIp(this.#alternate.hostname, this.#primary.hostname)) {
        throw new RangeError("the alternate address needs a different IP");
      }
      if (this.#alternate.port === this.#primary.port) {
        throw new RangeError("the alternate address needs a different port");
      }
    }
    this.#software = opts.software ?? "peerkit";
    this.#legacy = opts.legacy ?? true;
    this.#limiter = new SourceRateLimiter(opts.rate);
  }

  /** The local addresses a driver must bind: the primary, and with an alternate all four. */
  get addresses(): Addr[] {
    const p = this.#primary, a = this.#alternate;
    if (!a) return [p];
    return [
      p,
      { hostname: p.hostname, port: a.port },
      { hostname: a.hostname, port: p.port },
      a,
    ];
  }

  /**
   * Answers one datagram that arrived from `from` on local address `at` (default the
   * primary). `null` when nothing is to be sent (counted in {@link stats}).
   */
  handleDatagram(from: Addr, bytes: Uint8Array, now: number, at?: Addr): StunReply | null {
    let req: StunMessage;
    try {
      req = decodeStun(bytes, { legacy: this.#legacy });
    } catch (e) {
      if (!(e instanceof WireError)) throw e;
      this.stats.malformed++;
      return null;
    }
    if (req.class !== "request" || req.method !== METHOD_BINDING) {
      this.stats.ignored++;
      return null;
    }
    if (!this.#limiter.allow(sourceKey(from.hostname), now)) {
      this.stats.rateLimited++;
      return null;
    }
    const local = this.#localAddress(at);
    const budget = 2 * bytes.length;
    const change = findAttribute(req, "changeRequest");
    const wantsChange = (change?.changeIp || change?.changePort) ?? false;
    const unknown = [...(req.unknownRequired ?? [])];
    if (wantsChange && !this.#alternate) unknown.push(ATTR.CHANGE_REQUEST);
    if (unknown.length > 0) return this.#unknownAttributes(req, from, local, unknown, budget);

    const alt = this.#alternate;
    const src: Addr = {
      hostname: change?.changeIp && alt ? this.#otherIp(local.hostname) : local.hostname,
      port: change?.changePort && alt ? this.#otherPort(local.port) : local.port,
    };
    const other: Addr | null = alt
      ? { hostname: this.#otherIp(local.hostname), port: this.#otherPort(local.port) }
      : null;
    const legacy = req.transactionId.length !== 12;
    // On a wildcard socket (`[::]` taking IPv4 too) the address the request arrived on is
    // unknown: say nothing rather than `[::]`, which an RFC 3489 client cannot even parse.
    const origin = isWildcardIp(src.hostname) ? [] : [src];
    const wanted: StunAttribute[] = legacy
      ? [
        { type: "mappedAddress", addr: from },
        ...origin.map((addr) => ({ type: "sourceAddress", addr }) as const),
        ...(other ? [{ type: "changedAddress", addr: other } as const] : []),
      ]
      : [
        { type: "xorMappedAddress", addr: from },
        ...(other ? [{ type: "otherAddress", addr: other } as const] : []),
        ...origin.map((addr) => ({ type: "responseOrigin", addr }) as const),
      ];
    const reply = this.#fit(
      req,
      wanted,
      legacy ? [] : [{ type: "mappedAddress", addr: from }],
      budget,
    );
    this.stats.answered++;
    return { to: from, from: src, data: reply };
  }

  /** Builds a success response: the first attribute always, the rest while they fit. */
  #fit(
    req: StunMessage,
    first: StunAttribute[],
    later: StunAttribute[],
    budget: number,
  ): Uint8Array {
    const msg: StunMessage = {
      class: "success",
      method: METHOD_BINDING,
      transactionId: req.transactionId,
      attributes: first.slice(0, 1),
    };
    const attrs = [...msg.attributes];
    const tryAdd = (a: StunAttribute) => {
      if (encodedLength({ ...msg, attributes: [...attrs, a] }) <= budget) attrs.push(a);
      msg.attributes = attrs;
    };
    for (const a of first.slice(1)) tryAdd(a);
    if (req.fingerprint && encodedLength(msg) + FINGERPRINT_ATTR_SIZE <= budget) {
      msg.fingerprint = true;
    }
    for (const a of later) tryAdd(a);
    // RFC 3489 clients (Debian's stun 0.97) reject a SERVER text whose length is not a
    // multiple of 4, so they get none.
    const legacy = req.transactionId.length !== 12;
    if (this.#software && !legacy) tryAdd({ type: "software", text: this.#software });
    return encodeStun(msg);
  }

  #unknownAttributes(
    req: StunMessage,
    from: Addr,
    local: Addr,
    codes: number[],
    budget: number,
  ): StunReply | null {
    const msg: StunMessage = {
      class: "error",
      method: METHOD_BINDING,
      transactionId: req.transactionId,
      attributes: [
        { type: "errorCode", code: 420, reason: "Unknown Attribute" },
        { type: "unknownAttributes", codes: codes.slice(0, MAX_UNKNOWN_LISTED) },
      ],
    };
    if (encodedLength(msg) > Math.max(budget, STUN_HEADER_SIZE)) {
      this.stats.tooLarge++;
      return null;
    }
    this.stats.errors++;
    return { to: from, from: local, data: encodeStun(msg) };
  }

  /**
   * The address a request arrived on: `at` itself, or with an alternate one of our four by
   * port when `at` is a wildcard or unknown IP.
   */
  #localAddress(at: Addr | undefined): Addr {
    if (!at) return this.#primary;
    if (!this.#alternate) {
      return isWildcardIp(at.hostname) ? { hostname: this.#primary.hostname, port: at.port } : at;
    }
    const ours = this.addresses;
    const exact = ours.find((a) => a.port === at.port && sameIp(a.hostname, at.hostname));
    return exact ?? ours.find((a) => a.port === at.port) ?? this.#primary;
  }

  #otherIp(ip: string): string {
    const alt = this.#alternate!;
    return sameIp(ip, alt.hostname) ? this.#primary.hostname : alt.hostname;
  }

  #otherPort(port: number): number {
    const alt = this.#alternate!;
    return port === alt.port ? this.#primary.port : alt.port;
  }
}
