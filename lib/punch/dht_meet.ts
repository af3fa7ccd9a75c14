/**
 * The DHT-coordinated meeting: no relay. Each peer searches the other's DHT key (so the
 * nodes closest to it report the address they see it at), sends c-toxcore's NAT ping
 * (routed request 254, `[0 request | 1 response][ping id 8]`, tox-protocol.md §4) through
 * the nodes of that search every 3 s, and starts probing once both hold of the other:
 * a response to our current ping id came back (the peer is reachable through its close
 * nodes) _and_ the peer's own request reached us within the last 6 s (it searches for us
 * too). Probing is a {@link PunchAttempt} at the address the DHT reported, boxed with the
 * two DHT keys, so the path opens only after a round trip that proves the peer's key.
 *
 * Sans-IO on top of a {@link DhtNode}: the caller passes the node's routed requests to
 * {@link DhtMeet.handleRoutedRequest}, punch datagrams (kind 0xe5) to
 * {@link DhtMeet.handleDatagram}, calls {@link DhtMeet.handleTimeout} at
 * {@link DhtMeet.nextTimeout}, and sends what {@link DhtMeet.pollTransmit} returns from the
 * node's socket. NAT pings leave through the node's own queue (`DhtNode.pollTransmit`).
 *
 * Differences from c-toxcore: it needs one reported address, not four agreeing ones (the
 * node keeps the last report only), and it probes with authenticated punch datagrams rather
 * than DHT pings, so c-toxcore peers do not take part (their NAT pings are still answered by
 * the node).
 *
 * @example
 * ```ts
 * import { DhtMeet } from "./dht_meet.ts";
 * import { DhtNode } from "../dht/node.ts";
 * import { backend } from "../crypto/mod.ts";
 * const me = backend().keyPair(), peer = backend().keyPair().publicKey;
 * const node = new DhtNode({ keyPair: me }); // with onRoutedRequest: meet.handleRoutedRequest
 * const meet = new DhtMeet({ node, secretKey: me.secretKey, peer, now: 0 });
 * meet.handleTimeout(0); // no close nodes known yet: nothing routed, still pinging
 * console.assert(meet.state === "pinging" && node.searchResult(peer) !== undefined);
 * ```
 * @module
 */
import { backend } from "../crypto/backend.ts";
import type { Addr } from "../net/addr.ts";
import { REQUEST_ID } from "../dht/constants.ts";
import type { DhtNode } from "../dht/node.ts";
import type { RoutedRequest } from "../dht/node_types.ts";
import { decodeNatPing, encodeNatPing } from "../dht/wire.ts";
import { equals as bytesEqual } from "../util/bytes.ts";
import { keyEquals } from "../dht/distance.ts";
import { WireError } from "../util/wire_error.ts";
import { PunchAttempt, type Transmit } from "./attempt.ts";
import { ATTEMPT_ID_SIZE } from "./constants.ts";

/** c-toxcore `PUNCH_INTERVAL`: NAT pings (and punches) at most this often. */
export const NAT_PING_INTERVAL_MS = 3_000;
/** The peer's NAT ping request counts as "it searches for us" this long. */
export const NAT_PING_REQUEST_FRESH_MS = 6_000;
/** Attempts after which the meeting gives up. */
export const DHT_MEET_MAX_ATTEMPTS = 3;

/** Where a {@link DhtMeet} stands. */
export type DhtMeetState = "pinging" | "probing" | "open" | "failed";

/** Options of a {@link DhtMeet}. */
export interface DhtMeetOptions {
  /** Our DHT node (its key is the identity the probes prove). */
  node: DhtNode;
  /** The node's secret key (for the probes' box). */
  secretKey: Uint8Array;
  /** The peer's DHT public key. */
  peer: Uint8Array;
  /** Start time (ms). */
  now: number;
  /** Our mapping depends on the destination (default false). */
  selfHard?: boolean;
  /** The peer's mapping depends on the destination (default false). */
  peerHard?: boolean;
  /** Random bytes (ping ids, nonces, tokens); default the crypto backend's. */
  randomBytes?: (n: number) => Uint8Array;
}

/** Counters of a {@link DhtMeet}. */
export interface DhtMeetStats {
  /** NAT ping requests sent (each through every node of the search). */
  pingsSent: number;
  /** NAT ping requests from the peer. */
  requestsSeen: number;
  /** Responses carrying our current ping id. */
  responsesMatched: number;
  /** NAT pings from the peer dropped: malformed, or a response to an older id (the copies through the other nodes). */
  dropped: number;
  /** Attempts started. */
  attempts: number;
}

/** The attempt id both sides derive alike: the XOR of the two keys' first 8 bytes. */
function sharedAttemptId(a: Uint8Array, b: Uint8Array): Uint8Array {
  const id = new Uint8Array(ATTEMPT_ID_SIZE);
  for (let i = 0; i < ATTEMPT_ID_SIZE; i++) id[i] = a[i]! ^ b[i]!;
  return id;
}

/**
 * One DHT-coordinated meeting and punch with one peer.
 *
 * @example
 * ```ts
 * import { DhtMeet } from "./dht_meet.ts";
 * import { DhtNode } from "../dht/node.ts";
 * import { backend } from "../crypto/mod.ts";
 * const me = backend().keyPair();
 * const meet = new DhtMeet({ node: new DhtNode({ keyPair: me }), secretKey: me.secretKey, peer: new Uint8Array(32).fill(9), now: 0 });
 * console.assert(meet.nextTimeout() === 0 && meet.attempt === undefined);
 * ```
 */
export class DhtMeet {
  /** Counters. */
  readonly stats: DhtMeetStats = {
    pingsSent: 0,
    requestsSeen: 0,
    responsesMatched: 0,
    dropped: 0,
    attempts: 0,
  };
  readonly #o: DhtMeetOptions;
  readonly #random: (n: number) => Uint8Array;
  readonly #sharedKey: Uint8Array;
  #pingId: Uint8Array;
  #answered = false;
  #requestAt = -Infinity;
  #nextPing: number;
  #attempt: PunchAttempt | undefined;
  #failed = false;

  /** Starts searching the peer's key on the node. @param opts node, keys, peer, time */
  constructor(opts: DhtMeetOptions) {
    this.#o = opts;
    this.#random = opts.randomBytes ?? ((n) => backend().randomBytes(n));
    this.#sharedKey = backend().sharedKey(opts.peer, opts.secretKey);
    this.#pingId = this.#random(8);
    this.#nextPing = opts.now;
    opts.node.addSearch(opts.peer);
  }

  /** Where the meeting stands. */
  get state(): DhtMeetState {
    if (this.#failed) return "failed";
    const s = this.#attempt?.state;
    if (s === "open") return "open";
    return s === "probing" ? "probing" : "pinging";
  }

  /** The current attempt, once probing started. */
  get attempt(): PunchAttempt | undefined {
    return this.#attempt;
  }

  /**
   * Takes a routed request the node delivered (its `onRoutedRequest`); true when it was a
   * NAT ping from the peer. The node has already answered a request.
   */
  handleRoutedRequest(r: RoutedRequest, now: number): boolean {
    if (r.requestId !== REQUEST_ID.NAT_PING) return false;
    if (!keyEquals(r.senderPublicKey, this.#o.peer)) return false;
    let ping;
    try {
      ping = decodeNatPing(r.data);
    } catch (e) {
      if (!(e instanceof WireError)) throw e;
      this.stats.dropped++;
      return false;
    }
    if (!ping.response) {
      this.stats.requestsSeen++;
      this.#requestAt = now;
    } else if (bytesEqual(ping.pingId, this.#pingId)) {
      this.stats.responsesMatched++;
      this.#answered = true;
      this.#pingId = this.#random(8);
    } else {
      this.stats.dropped++;
      return false;
    }
    this.#maybeStart(now);
    return true;
  }

  /** Takes a punch datagram (kind 0xe5) from the node's socket; false when not ours. */
  handleDatagram(from: Addr, data: Uint8Array, now: number): boolean {
    return this.#attempt?.handleDatagram(0, from, data, now) ?? false;
  }

  /** Runs timers: the attempt's, and the NAT ping every 3 s while no path is open. */
  handleTimeout(now: number): void {
    this.#attempt?.handleTimeout(now);
    const s = this.#attempt?.state;
    if (s === "open" || s === "lost" || this.#failed) return;
    if (s !== undefined && s !== "probing") {
      if (this.stats.attempts >= DHT_MEET_MAX_ATTEMPTS) {
        this.#failed = true;
        return;
      }
      this.#attempt = undefined;
    }
    if (now >= this.#nextPing && this.#attempt === undefined) {
      this.#nextPing = now + NAT_PING_INTERVAL_MS;
      const sent = this.#o.node.routeRequest(
        this.#o.peer,
        REQUEST_ID.NAT_PING,
        encodeNatPing({ response: false, pingId: this.#pingId }),
      );
      if (sent > 0) this.stats.pingsSent++;
    }
    this.#maybeStart(now);
  }

  /** When {@link handleTimeout} is due next (ms), or `undefined` once settled. */
  nextTimeout(): number | undefined {
    if (this.#failed) return undefined;
    const at = this.#attempt;
    if (at && at.state !== "probing") return at.state === "open" ? at.nextTimeout() : undefined;
    const t = at?.nextTimeout();
    return t === undefined ? this.#nextPing : Math.min(t, this.#nextPing);
  }

  /** The next punch datagram to send from the node's socket. */
  pollTransmit(): Transmit | undefined {
    return this.#attempt?.pollTransmit();
  }

  #maybeStart(now: number): void {
    if (this.#attempt || this.#failed || !this.#answered) return;
    if (now - this.#requestAt > NAT_PING_REQUEST_FRESH_MS) return;
    const found = this.#o.node.searchResult(this.#o.peer);
    const endpoint = found?.addr ?? found?.reported;
    if (!endpoint) return;
    this.#answered = false;
    this.stats.attempts++;
    this.#attempt = new PunchAttempt({
      selfPublicKey: this.#o.node.publicKey,
      peerPublicKey: this.#o.peer,
      sharedKey: this.#sharedKey,
      attemptId: sharedAttemptId(this.#o.node.publicKey, this.#o.peer),
      peerEndpoints: [endpoint],
      selfHard: this.#o.selfHard ?? false,
      peerHard: this.#o.peerHard ?? false,
      sockets: 1,
      now,
      randomBytes: this.#random,
    });
  }
}
