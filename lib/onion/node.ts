/**
 * The node side of the Tox onion as tox-bootstrapd runs it: hop A/B/C for other peers'
 * onion paths (UDP, and hop A for TCP relay clients) and announce node D. Sans-IO: the
 * caller feeds datagrams and TCP onion requests in and sends what comes out.
 *
 * @example
 * ```ts
 * import { OnionNode } from "./node.ts";
 * import { backend } from "../crypto/mod.ts";
 * const node = new OnionNode({ keyPair: backend().keyPair(), closestNodes: () => [] });
 * const out = node.handleUdp(new Uint8Array([0x80, 1, 2]), { hostname: "127.0.0.1", port: 9 }, 0);
 * console.assert(out.length === 0 && node.stats.dropped === 1);
 * ```
 * @module
 */
import type { Addr } from "../net/addr.ts";
import type { KeyPair } from "../crypto/backend.ts";
import type { NodeInfo } from "../dht/packed_node.ts";
import { backend } from "../crypto/backend.ts";
import { SharedKeyCache } from "../crypto/shared_key_cache.ts";
import {
  KEY_REFRESH_INTERVAL_MS,
  NONCE_SIZE,
  ONION_ANNOUNCE_MAX_ENTRIES,
  ONION_ANNOUNCE_TIMEOUT_MS,
  ONION_KIND,
  ONION_MAX_PACKET_SIZE,
  TCP_ONION_REQUEST_MIN_EXCLUSIVE,
} from "./constants.ts";
import { type AnnounceContext, handleAnnounceRequest, handleDataRequest } from "./announce.ts";
import { AnnounceStore } from "./announce_store.ts";
import { forwardRequest, type HopContext, type OnionSend, returnResponse, sendOne } from "./hop.ts";
import { decodeOnion } from "./wire.ts";
import type { KeyBudget } from "../crypto/key_budget.ts";

/** Onion requests (0x80-0x82) and announce requests (0x83): `[kind][nonce 24][sender pk 32]...`. */
const BUDGETED: ReadonlySet<number> = new Set([
  ONION_KIND.SEND_INITIAL,
  ONION_KIND.SEND_1,
  ONION_KIND.SEND_2,
  ONION_KIND.ANNOUNCE_REQUEST,
]);
/** End of the sender key in a budgeted packet. */
const SENDER_KEY_END = 1 + 24 + 32;

export type { OnionSend } from "./hop.ts";

/** Options of {@link OnionNode}. */
export interface OnionNodeOptions {
  /** The node's DHT key pair. */
  keyPair: KeyPair;
  /** Close nodes to a key, from the DHT close list (used in announce responses). */
  closestNodes: (target: Uint8Array, count: number) => NodeInfo[];
  /** Random bytes (nonces, keys); the crypto backend's by default. */
  random?: (n: number) => Uint8Array;
  /** Announce entries kept (default {@link ONION_ANNOUNCE_MAX_ENTRIES}, 160). */
  maxEntries?: number;
  /** Entry lifetime and ping id period, ms (default {@link ONION_ANNOUNCE_TIMEOUT_MS}, 300 s). */
  announceTimeoutMs?: number;
  /** Return-blob key lifetime, ms (default {@link KEY_REFRESH_INTERVAL_MS}, 2 h). */
  keyRefreshIntervalMs?: number;
  /** Shared keys cached (default 1024). */
  sharedKeyCacheSize?: number;
  /**
   * Budget for shared keys computed for onion (0x80-0x82) and announce (0x83) requests from
   * uncached keys; requests beyond it are dropped and counted as `overBudget`. Default: none.
   */
  keyBudget?: KeyBudget;
}

/** Counters of an {@link OnionNode}. */
export interface OnionStats {
  /** Onion packets passed on as a hop (requests and responses). */
  forwarded: number;
  /** Announce requests answered. */
  announces: number;
  /** Data requests delivered to an announced peer. */
  dataRouted: number;
  /** Packets dropped: malformed, bad MAC, unknown destination, size limits, budget. */
  dropped: number;
  /** Of those, requests from uncached keys beyond the shared-key budget. */
  overBudget: number;
}

const HANDLED = new Set<number>([
  ONION_KIND.SEND_INITIAL,
  ONION_KIND.SEND_1,
  ONION_KIND.SEND_2,
  ONION_KIND.ANNOUNCE_REQUEST,
  ONION_KIND.DATA_REQUEST,
  ONION_KIND.RECV_3,
  ONION_KIND.RECV_2,
  ONION_KIND.RECV_1,
]);

/**
 * A sans-IO onion node: hop (onion.c) and announce node (onion_announce.c). `now` is in ms
 * on any monotonic clock. Never throws on network input.
 */
export class OnionNode {
  /** Counters. */
  readonly stats: OnionStats = {
    forwarded: 0,
    announces: 0,
    dataRouted: 0,
    dropped: 0,
    overBudget: 0,
  };
  readonly #budget: KeyBudget | undefined;
  readonly #keys: SharedKeyCache;
  readonly #hop: HopContext;
  readonly #announce: AnnounceContext;
  readonly #store: AnnounceStore;
  readonly #random: (n: number) => Uint8Array;
  readonly #keyRefreshMs: number;
  #keyTime: number | undefined;

  /**
   * A node with an empty announce store and fresh return-blob and ping-id keys.
   *
   * @param opts key pair, close-node source, optional limits for tests
   */
  constructor(opts: OnionNodeOptions) {
    this.#random = opts.random ?? ((n) => backend().randomBytes(n));
    const timeout = opts.announceTimeoutMs ?? ONION_ANNOUNCE_TIMEOUT_MS;
    this.#keyRefreshMs = opts.keyRefreshIntervalMs ?? KEY_REFRESH_INTERVAL_MS;
    const keys = new SharedKeyCache(opts.keyPair.secretKey, opts.sharedKeyCacheSize ?? 1024);
    this.#keys = keys;
    this.#budget = opts.keyBudget;
    this.#store = new AnnounceStore(
      opts.keyPair.publicKey,
      opts.maxEntries ?? ONION_ANNOUNCE_MAX_ENTRIES,
      timeout,
    );
    this.#hop = { keys, symmetricKey: this.#random(32), random: this.#random };
    this.#announce = {
      keys,
      hmacKey: this.#random(32),
      store: this.#store,
      pingPeriodMs: timeout,
      closestNodes: opts.closestNodes,
      random: this.#random,
    };
  }

  /** Number of announce entries held. */
  get announceEntries(): number {
    return this.#store.size;
  }

  /** c-toxcore's `change_symmetric_key`: a new return-blob key once the interval passed. */
  #rotate(now: number): void {
    if (this.#keyTime === undefined) this.#keyTime = now;
    else if (now - this.#keyTime > this.#keyRefreshMs) {
      this.#hop.symmetricKey = this.#random(32);
      this.#keyTime = now;
    }
  }

  #result(out: OnionSend | null, counter: "forwarded"): OnionSend[] {
    if (!out) {
      this.stats.dropped++;
      return [];
    }
    this.stats[counter]++;
    return [out];
  }

  /**
   * Handles a UDP datagram of kind 0x80-0x83, 0x85 or 0x8c-0x8e; other kinds give `[]`
   * without counting. Never throws.
   */
  handleUdp(data: Uint8Array, from: Addr, now: number): OnionSend[] {
    const kind = data[0];
    if (kind === undefined || !HANDLED.has(kind)) return [];
    try {
      if (data.length > ONION_MAX_PACKET_SIZE) return this.#drop();
      if (this.#overBudget(kind, data, from, now)) return this.#drop();
      this.#rotate(now);
      if (kind === ONION_KIND.ANNOUNCE_REQUEST) {
        const out = handleAnnounceRequest(this.#announce, data, from, now);
        if (out.length === 0) return this.#drop();
        this.stats.announces++;
        return out;
      }
      if (kind === ONION_KIND.DATA_REQUEST) {
        const out = handleDataRequest(this.#announce, data, now);
        if (out.length === 0) return this.#drop();
        this.stats.dataRouted++;
        return out;
      }
      const p = decodeOnion(data);
      if (p.type === "onion_request") {
        return this.#result(forwardRequest(this.#hop, p, from), "forwarded");
      }
      if (p.type === "onion_response") {
        return this.#result(returnResponse(this.#hop, p), "forwarded");
      }
      return this.#drop();
    } catch {
      return this.#drop();
    }
  }

  /**
   * Handles a TCP relay client's onion request (relay packet id 8); `payload` is what
   * follows the id byte: `[nonce 24][IP_Port of B 19][temp pk 32][layer for B]`. The relay
   * is hop A; the eventual response comes back as `{ to: "tcp", client, data: [9][...] }`.
   * A payload of 158 bytes or less makes c-toxcore's relay close the connection: see
   * {@link isValidTcpOnionRequestLength}. Never throws.
   */
  handleTcpRequest(payload: Uint8Array, client: number, now: number): OnionSend[] {
    try {
      if (!isValidTcpOnionRequestLength(payload.length)) return this.#drop();
      this.#rotate(now);
      const out = sendOne(
        this.#hop,
        payload.subarray(NONCE_SIZE),
        { type: "tcp_client", client },
        payload.slice(0, NONCE_SIZE),
      );
      return this.#result(out, "forwarded");
    } catch {
      return this.#drop();
    }
  }

  /** Expires announce entries and rotates the return-blob key; call about once a second. */
  handleTimeout(now: number): void {
    this.#rotate(now);
    this.#store.expire(now);
  }

  /** True (counted) for a 0x80-0x83 from an uncached key beyond the key budget. */
  #overBudget(kind: number, data: Uint8Array, from: Addr, now: number): boolean {
    if (!this.#budget || data.length < SENDER_KEY_END) return false;
    if (!BUDGETED.has(kind)) return false;
    if (this.#keys.has(data.subarray(SENDER_KEY_END - 32, SENDER_KEY_END))) return false;
    if (this.#budget.take(from.hostname, now)) return false;
    this.stats.overBudget++;
    return true;
  }

  #drop(): OnionSend[] {
    this.stats.dropped++;
    return [];
  }
}

/**
 * True when a TCP onion request payload (after the id byte) has a length c-toxcore's relay
 * accepts (more than 158 bytes); the relay should close the connection otherwise.
 *
 * @example
 * ```ts
 * import { isValidTcpOnionRequestLength } from "./node.ts";
 * console.assert(!isValidTcpOnionRequestLength(158) && isValidTcpOnionRequestLength(159));
 * ```
 */
export function isValidTcpOnionRequestLength(payloadLength: number): boolean {
  return payloadLength > TCP_ONION_REQUEST_MIN_EXCLUSIVE;
}
