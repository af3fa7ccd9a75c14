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
 * Where to probe: the address the peer answered us from, else the IP its close nodes agree
 * on ({@link ReportBook}: the majority of the fresh reports, at least `minReports` of them;
 * c-toxcore wants 4), fed from the node's events
 * ({@link DhtMeet.handleDhtEvent}). When the nodes saw different ports (the peer's NAT maps
 * per destination), the peer counts as hard and the probes guess ports around the reported
 * ones ({@link guessPorts}) before random ones.
 *
 * Two ways to probe:
 * - `punch` (default, peerkit to peerkit): a {@link PunchAttempt}, boxed with the two DHT
 *   keys, so the path opens only after a round trip that proves the peer's key;
 * - `dht-ping` (a c-toxcore peer): what c-toxcore's `punch_holes` sends, ordinary DHT ping
 *   requests to the peer's key at the agreed address (one, or 48 guessed ports per round
 *   when the ports differ), and the path is open when the peer's key answers a DHT ping from
 *   the address. A c-toxcore peer that reaches us already sends no NAT ping request of its
 *   own, so this mode starts on the answer to ours alone.
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
import type { DhtEvent } from "../dht/node_types.ts";
import { PunchAttempt, type Transmit } from "./attempt.ts";
import { ATTEMPT_ID_SIZE } from "./constants.ts";
import { type AgreedAddress, GUESSES_PER_ROUND, guessPorts, ReportBook } from "./dht_reports.ts";

/** c-toxcore `PUNCH_INTERVAL`: NAT pings (and punches) at most this often. */
export const NAT_PING_INTERVAL_MS = 3_000;
/** The peer's NAT ping request counts as "it searches for us" this long. */
export const NAT_PING_REQUEST_FRESH_MS = 6_000;
/** Attempts after which the meeting gives up. */
export const DHT_MEET_MAX_ATTEMPTS = 3;
/**
 * Close nodes that must report the peer's IP before it is probed (and they must be the
 * majority of the fresh reports, so a tie or a lone liar gives nothing): 1. c-toxcore waits
 * for 4 agreeing, which a small DHT gives only after several search rounds 20 s apart; in
 * the simulation, waiting for 2 made one side start late and miss the other's NAT pings.
 */
export const DHT_MEET_MIN_REPORTS = 1;
/** Rounds of DHT pings (`dht-ping` mode) after which the meeting gives up. */
export const DHT_PING_MAX_ROUNDS = 8;

/** How a {@link DhtMeet} probes: punch datagrams, or DHT pings as c-toxcore does. */
export type DhtMeetProbe = "punch" | "dht-ping";

/** The open path of a {@link DhtMeet}. */
export interface DhtMeetPath {
  /** The peer's address on it. */
  remote: Addr;
  /** Our address as the peer saw it, when it said. */
  seenAs?: Addr;
  /** When probing started (ms). */
  startedAt: number;
  /** When the first round trip completed (ms). */
  openedAt: number;
}

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
  /** How to probe (default `punch`). */
  probe?: DhtMeetProbe;
  /**
   * Reporting nodes that must agree on the peer's IP (default {@link DHT_MEET_MIN_REPORTS};
   * c-toxcore waits for 4, `MIN_AGREEING_REPORTS`).
   */
  minReports?: number;
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
  /** Attempts started (`dht-ping`: rounds of DHT pings). */
  attempts: number;
  /** DHT pings sent as probes (`dht-ping` mode). */
  probePings: number;
  /** DHT ping responses from the peer's key while probing (`dht-ping` mode). */
  pingAnswers: number;
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
    probePings: 0,
    pingAnswers: 0,
  };
  /** The reports of the peer's close nodes. */
  readonly reports: ReportBook = new ReportBook();
  readonly #o: DhtMeetOptions;
  readonly #random: (n: number) => Uint8Array;
  readonly #sharedKey: Uint8Array;
  #pingId: Uint8Array;
  #answered = false;
  #requestAt = -Infinity;
  #nextPing: number;
  #attempt: PunchAttempt | undefined;
  #failed = false;
  /** `dht-ping` mode: the rounds so far and the path once the peer answered. */
  #pings: { startedAt: number; lastRound: number; index: number; path?: DhtMeetPath } | undefined;

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
    if (this.#pings?.path) return "open";
    if (this.#failed) return "failed";
    if (this.#pings) return "probing";
    const s = this.#attempt?.state;
    if (s === "open") return "open";
    return s === "probing" ? "probing" : "pinging";
  }

  /** The current attempt, once probing started (`punch` mode). */
  get attempt(): PunchAttempt | undefined {
    return this.#attempt;
  }

  /** The open path (either mode), or `undefined`. */
  get path(): DhtMeetPath | undefined {
    if (this.#pings) return this.#pings.path;
    const at = this.#attempt, p = at?.path;
    if (!at || !p || at.state !== "open") return undefined;
    return { remote: p.remote, seenAs: p.seenAs, startedAt: at.startedAt, openedAt: p.openedAt };
  }

  /** When probing started (ms), once it did. */
  get probingSince(): number | undefined {
    return this.#pings?.startedAt ?? this.#attempt?.startedAt;
  }

  /** Probes sent (punch datagrams or DHT pings). */
  get probes(): number {
    return this.#pings ? this.stats.probePings : this.#attempt?.stats.probes ?? 0;
  }

  /**
   * Takes an event of the node (its `onEvent`): a nodes response that lists the peer is a
   * report of its address; in `dht-ping` mode, a DHT ping response from the peer's key while
   * probing opens the path. True when the event concerned the peer.
   */
  handleDhtEvent(e: DhtEvent, now: number): boolean {
    if (e.type !== "response") return false;
    if (e.kind === "nodes") {
      let seen = false;
      for (const n of e.nodes) {
        if (!keyEquals(n.publicKey, this.#o.peer) || keyEquals(e.publicKey, this.#o.peer)) continue;
        this.reports.add(e.publicKey, n.addr, now);
        seen = true;
      }
      return seen;
    }
    if (!keyEquals(e.publicKey, this.#o.peer) || !this.#pings) return false;
    this.stats.pingAnswers++;
    this.#pings.path ??= {
      remote: { hostname: e.addr.hostname, port: e.addr.port },
      startedAt: this.#pings.startedAt,
      openedAt: now,
    };
    return true;
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
    if (this.#pings) return this.#pingTimeout(now);
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
    if (now >= this.#nextPing && this.#attempt === undefined) this.#sendNatPing(now);
    this.#maybeStart(now);
  }

  /** When {@link handleTimeout} is due next (ms), or `undefined` once settled. */
  nextTimeout(): number | undefined {
    if (this.#failed || this.#pings?.path) return undefined;
    if (this.#pings) return this.#nextPing;
    const at = this.#attempt;
    if (at && at.state !== "probing") return at.state === "open" ? at.nextTimeout() : undefined;
    const t = at?.nextTimeout();
    return t === undefined ? this.#nextPing : Math.min(t, this.#nextPing);
  }

  /** The next punch datagram to send from the node's socket. */
  pollTransmit(): Transmit | undefined {
    return this.#attempt?.pollTransmit();
  }

  /** The address to probe: where the peer answered us, else what its close nodes agree on. */
  trustedAddress(now: number): AgreedAddress | undefined {
    const found = this.#o.node.searchResult(this.#o.peer);
    if (found?.addr) return { ip: found.addr.hostname, ports: [found.addr.port], reporters: 0 };
    const nodes = found?.nodes.filter((n) => !keyEquals(n.publicKey, this.#o.peer)).length ?? 0;
    const min = Math.min(this.#o.minReports ?? DHT_MEET_MIN_REPORTS, Math.max(1, nodes));
    return this.reports.agreed(now, min);
  }

  #sendNatPing(now: number): void {
    this.#nextPing = now + NAT_PING_INTERVAL_MS;
    const sent = this.#o.node.routeRequest(
      this.#o.peer,
      REQUEST_ID.NAT_PING,
      encodeNatPing({ response: false, pingId: this.#pingId }),
    );
    if (sent > 0) this.stats.pingsSent++;
  }

  /** `dht-ping` mode: NAT pings every 3 s until the path is open or the rounds are spent. */
  #pingTimeout(now: number): void {
    if (this.#pings?.path || this.#failed) return;
    if (this.stats.attempts >= DHT_PING_MAX_ROUNDS) {
      this.#failed = now - this.#pings!.lastRound >= NAT_PING_INTERVAL_MS;
      if (this.#failed) return;
    }
    if (now >= this.#nextPing) this.#sendNatPing(now);
  }

  /** One round of c-toxcore's `punch_holes`: DHT pings to the agreed address. */
  #pingRound(now: number, to: AgreedAddress): void {
    const p = this.#pings ??= { startedAt: now, lastRound: -Infinity, index: 0 };
    if (p.path || now - p.lastRound < NAT_PING_INTERVAL_MS) return;
    if (this.stats.attempts >= DHT_PING_MAX_ROUNDS) return;
    p.lastRound = now;
    this.stats.attempts++;
    let ports = to.ports.slice(0, 1);
    if (to.ports.length > 1) {
      ports = guessPorts(to.ports, p.index, GUESSES_PER_ROUND);
      p.index += GUESSES_PER_ROUND;
    }
    for (const port of new Set(ports)) {
      this.#o.node.ping({ hostname: to.ip, port }, this.#o.peer, now);
      this.stats.probePings++;
    }
  }

  #maybeStart(now: number): void {
    if (this.#attempt || this.#failed || !this.#answered) return;
    const dhtPing = this.#o.probe === "dht-ping";
    if (!dhtPing && now - this.#requestAt > NAT_PING_REQUEST_FRESH_MS) return;
    const to = this.trustedAddress(now);
    if (!to) return;
    this.#answered = false;
    if (dhtPing) return this.#pingRound(now, to);
    this.stats.attempts++;
    const hard = to.ports.length > 1;
    this.#attempt = new PunchAttempt({
      selfPublicKey: this.#o.node.publicKey,
      peerPublicKey: this.#o.peer,
      sharedKey: this.#sharedKey,
      attemptId: sharedAttemptId(this.#o.node.publicKey, this.#o.peer),
      peerEndpoints: to.ports.slice(0, 8).map((port) => ({ hostname: to.ip, port })),
      selfHard: this.#o.selfHard ?? false,
      peerHard: (this.#o.peerHard ?? false) || hard,
      sockets: 1,
      now,
      randomBytes: this.#random,
      // Guessed and random ports, but within a direct attempt's budget: the meeting retries.
      ...(hard ? { guessPorts: guessPorts(to.ports, 0, GUESSES_PER_ROUND), budgetMs: 5_000 } : {}),
    });
  }
}
