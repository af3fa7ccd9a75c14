/**
 * A sans-IO STUN Binding client: builds requests, retransmits them on the RFC 8489 §6.2.1
 * schedule (RTO doubling, Rc requests, then Rm × RTO of waiting), and matches answers by
 * transaction id and source address. No sockets, no timers: the caller passes `now`, sends
 * what {@link StunClient.pollTransmit} returns and calls {@link StunClient.handleTimeout}
 * at {@link StunClient.nextTimeout}.
 *
 * @example
 * ```ts
 * import { StunClient } from "./client.ts";
 * const c = new StunClient({ rto: 100, attempts: 2, rm: 2 });
 * c.start({ server: { hostname: "127.0.0.1", port: 3478 } }, 0);
 * console.assert(c.pollTransmit().length === 1 && c.nextTimeout() === 100);
 * console.assert(c.handleTimeout(100).length === 0 && c.pollTransmit().length === 1);
 * console.assert(c.handleTimeout(400)[0]?.type === "timeout");
 * ```
 * @module
 */
import type { Addr } from "../net/addr.ts";
import { toHex } from "../util/bytes.ts";
import { WireError } from "../util/wire_error.ts";
import { METHOD_BINDING, RC, RM, RTO_MS, TRANSACTION_ID_SIZE } from "./constants.ts";
import { sameEndpoint } from "./endpoint.ts";
import {
  decodeStun,
  encodeStun,
  findAttribute,
  type StunAttribute,
  type StunMessage,
} from "./wire.ts";

/** Options of {@link StunClient}. */
export interface StunClientOptions {
  /** Initial retransmission timeout in ms (RFC 8489: 500). */
  rto?: number;
  /** Requests sent in all, Rc (RFC 8489: 7). */
  attempts?: number;
  /** Multiple of RTO to wait after the last request, Rm (RFC 8489: 16). */
  rm?: number;
  /** SOFTWARE attribute on requests; empty string for none. */
  software?: string;
  /** Most transactions in flight (bounded table). */
  maxTransactions?: number;
  /** Random bytes for transaction ids (defaults to `crypto.getRandomValues`). */
  randomBytes?: (n: number) => Uint8Array;
}

/** One Binding transaction to start. */
export interface BindingRequest {
  /** Where to send the request. */
  server: Addr;
  /** CHANGE-REQUEST flags (RFC 5780). */
  changeIp?: boolean;
  /** CHANGE-REQUEST flags (RFC 5780). */
  changePort?: boolean;
  /** Addresses an answer may come from (default: `server`); `"any"` accepts every source. */
  expectFrom?: readonly Addr[] | "any";
  /** Free text carried to the outcome, for the caller's bookkeeping. */
  tag?: string;
}

/** The end of a transaction. */
export type StunOutcome =
  | {
    type: "answer";
    /** Transaction id in hex. */
    id: string;
    /** The request's tag. */
    tag: string;
    /** Where the request went. */
    server: Addr;
    /** Where the answer came from. */
    from: Addr;
    /** The answer: a success or error response, or our own request when it hairpinned. */
    message: StunMessage;
    /** XOR-MAPPED-ADDRESS, else MAPPED-ADDRESS, else `null`. */
    mapped: Addr | null;
    /** ms from the first request to the answer. */
    rtt: number;
    /** Requests sent before the answer came. */
    sent: number;
  }
  | { type: "timeout"; id: string; tag: string; server: Addr; sent: number };

/** A datagram to send. */
export interface Transmit {
  /** Destination. */
  to: Addr;
  /** Bytes. */
  data: Uint8Array;
}

/** Counters of a {@link StunClient}. */
export interface StunClientStats {
  /** Requests sent, retransmissions included. */
  sent: number;
  /** Retransmissions. */
  retransmits: number;
  /** Transactions answered. */
  answered: number;
  /** Transactions that timed out. */
  timeouts: number;
  /** Datagrams that did not decode as STUN. */
  malformed: number;
  /** STUN messages with no matching transaction. */
  unmatched: number;
  /** Matching id from an address the transaction does not expect. */
  badSource: number;
}

interface Pending {
  id: string;
  req: BindingRequest;
  bytes: Uint8Array;
  first: number;
  sent: number;
  next: number;
  rto: number;
}

function positive(name: string, v: number | undefined, dflt: number): number {
  const x = v ?? dflt;
  if (!Number.isFinite(x) || x <= 0) throw new RangeError(`${name} must be positive`);
  return x;
}

/** A sans-IO STUN Binding client (see the module notes). */
export class StunClient {
  readonly #rto: number;
  readonly #attempts: number;
  readonly #rm: number;
  readonly #software: string;
  readonly #max: number;
  readonly #random: (n: number) => Uint8Array;
  readonly #pending = new Map<string, Pending>();
  #out: Transmit[] = [];
  /** Counters. */
  readonly stats: StunClientStats = {
    sent: 0,
    retransmits: 0,
    answered: 0,
    timeouts: 0,
    malformed: 0,
    unmatched: 0,
    badSource: 0,
  };

  /** A client; see {@link StunClientOptions} for the defaults. */
  constructor(opts: StunClientOptions = {}) {
    this.#rto = positive("rto", opts.rto, RTO_MS);
    this.#attempts = Math.floor(positive("attempts", opts.attempts, RC));
    this.#rm = positive("rm", opts.rm, RM);
    this.#software = opts.software ?? "peerkit";
    this.#max = Math.floor(positive("maxTransactions", opts.maxTransactions, 64));
    this.#random = opts.randomBytes ?? ((n) => crypto.getRandomValues(new Uint8Array(n)));
  }

  /** Transactions in flight. */
  get pending(): number {
    return this.#pending.size;
  }

  /** Starts a Binding transaction and queues its first request; returns its id (hex). */
  start(req: BindingRequest, now: number): string {
    if (this.#pending.size >= this.#max) {
      throw new RangeError(`more than ${this.#max} STUN transactions in flight`);
    }
    let transactionId = this.#random(TRANSACTION_ID_SIZE);
    while (this.#pending.has(toHex(transactionId))) {
      transactionId = this.#random(TRANSACTION_ID_SIZE);
    }
    const attributes: StunAttribute[] = [];
    if (req.changeIp || req.changePort) {
      attributes.push({
        type: "changeRequest",
        changeIp: req.changeIp ?? false,
        changePort: req.changePort ?? false,
      });
    }
    if (this.#software) attributes.push({ type: "software", text: this.#software });
    const bytes = encodeStun({
      class: "request",
      method: METHOD_BINDING,
      transactionId,
      attributes,
      fingerprint: true,
    });
    const id = toHex(transactionId);
    const p: Pending = { id, req, bytes, first: now, sent: 0, next: now, rto: this.#rto };
    this.#pending.set(id, p);
    this.#send(p, now);
    return id;
  }

  /** Drops a transaction without an outcome. */
  cancel(id: string): void {
    this.#pending.delete(id);
  }

  #send(p: Pending, now: number): void {
    this.#out.push({ to: p.req.server, data: p.bytes });
    this.stats.sent++;
    if (p.sent > 0) this.stats.retransmits++;
    p.sent++;
    p.next = p.sent < this.#attempts ? now + p.rto : now + this.#rto * this.#rm;
    p.rto *= 2;
  }

  /**
   * Feeds one received datagram; returns the outcome it completes, or `null` when it is
   * not an answer to a transaction of ours (counted in {@link stats}).
   */
  handleDatagram(from: Addr, bytes: Uint8Array, now: number): StunOutcome | null {
    let message: StunMessage;
    try {
      message = decodeStun(bytes);
    } catch (e) {
      if (!(e instanceof WireError)) throw e;
      this.stats.malformed++;
      return null;
    }
    const id = toHex(message.transactionId);
    const p = this.#pending.get(id);
    if (!p || message.class === "indication" || message.method !== METHOD_BINDING) {
      this.stats.unmatched++;
      return null;
    }
    const expect = p.req.expectFrom ?? [p.req.server];
    if (expect !== "any" && !expect.some((a) => sameEndpoint(a, from))) {
      this.stats.badSource++;
      return null;
    }
    this.#pending.delete(id);
    this.stats.answered++;
    const mapped = findAttribute(message, "xorMappedAddress")?.addr ??
      findAttribute(message, "mappedAddress")?.addr ?? null;
    return {
      type: "answer",
      id,
      tag: p.req.tag ?? "",
      server: p.req.server,
      from,
      message,
      mapped,
      rtt: now - p.first,
      sent: p.sent,
    };
  }

  /** Retransmits what is due and returns the transactions that gave up. */
  handleTimeout(now: number): StunOutcome[] {
    const done: StunOutcome[] = [];
    for (const p of [...this.#pending.values()]) {
      if (p.next > now) continue;
      if (p.sent < this.#attempts) {
        this.#send(p, now);
        continue;
      }
      this.#pending.delete(p.id);
      this.stats.timeouts++;
      done.push({
        type: "timeout",
        id: p.id,
        tag: p.req.tag ?? "",
        server: p.req.server,
        sent: p.sent,
      });
    }
    return done;
  }

  /** Datagrams queued since the last call. */
  pollTransmit(): Transmit[] {
    const out = this.#out;
    this.#out = [];
    return out;
  }

  /** When {@link handleTimeout} must next run, or `null` with nothing in flight. */
  nextTimeout(): number | null {
    let t: number | null = null;
    for (const p of this.#pending.values()) if (t === null || p.next < t) t = p.next;
    return t;
  }
}
