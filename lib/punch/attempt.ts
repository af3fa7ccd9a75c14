/**
 * One hole-punching attempt between two peers that already know each other's public
 * endpoints, as a sans-IO state machine: it takes `now`, is fed datagrams with the index of
 * the local socket they arrived on, and returns what to send (socket index, destination,
 * optional TTL). Crypto (the shared key) and randomness are passed in.
 *
 * Modes, chosen from the two NAT verdicts:
 * - `direct` (neither side hard): both sides probe every known endpoint of the peer at once,
 *   every 50 ms; the first two probes to each endpoint go with a low TTL so they open our
 *   own NAT but die before the far router.
 * - `birthday-hard` (we are hard, the peer easy): probes from every one of the driver's
 *   sockets (256) to the peer's endpoints, once a second, so 256 mappings wait on our NAT.
 * - `birthday-easy` (we are easy, the peer hard): direct probes plus random ports on the
 *   peer's IP, 10 per 20 ms (500/s), at most 2500 of them, none twice.
 * - `relay` (both hard): no probe at all; the attempt is over at once, with the reason.
 *
 * A path opens only after a round trip that proves the peer's key: our probe's token comes
 * back in an ack (which only the peer's key can seal), from the very address and to the very
 * socket the probe used; or our ack's token comes back in a confirm. An open path is kept
 * with a probe every 10 s (well under the 30 s unreplied conntrack timeout) and reported
 * `lost` after 35 s of silence.
 *
 * @example
 * ```ts
 * import { PunchAttempt } from "./attempt.ts";
 * import { backend } from "../crypto/mod.ts";
 * const a = backend().keyPair(), b = backend().keyPair();
 * const id = new Uint8Array(8);
 * const mk = (me: typeof a, peer: typeof a, ep: string) => new PunchAttempt({
 *   selfPublicKey: me.publicKey, peerPublicKey: peer.publicKey,
 *   sharedKey: backend().sharedKey(peer.publicKey, me.secretKey), attemptId: id,
 *   peerEndpoints: [{ hostname: ep, port: 1 }], selfHard: false, peerHard: false, now: 0,
 * });
 * const pa = mk(a, b, "10.0.0.2"), pb = mk(b, a, "10.0.0.1");
 * for (let i = 0; i < 4; i++) {
 *   for (let t; (t = pa.pollTransmit());) pb.handleDatagram(0, { hostname: "10.0.0.1", port: 1 }, t.data, 0);
 *   for (let t; (t = pb.pollTransmit());) pa.handleDatagram(0, { hostname: "10.0.0.2", port: 1 }, t.data, 0);
 * }
 * console.assert(pa.state === "open" && pb.state === "open");
 * ```
 * @module
 */
import { backend } from "../crypto/backend.ts";
import { type Addr, formatAddr } from "../net/addr.ts";
import { WireError } from "../util/wire_error.ts";
import {
  BIRTHDAY_BUDGET_MS,
  BIRTHDAY_RESEND_MS,
  BIRTHDAY_SOCKETS,
  DIRECT_BUDGET_MS,
  KEEPALIVE_MS,
  LOW_TTL,
  LOW_TTL_PROBES,
  MAX_CLOCK_SKEW_MS,
  PATH_LOST_MS,
  PROBE_INTERVAL_MS,
  PunchType,
  SPRAY_BURST,
  SPRAY_INTERVAL_MS,
  SPRAY_MAX_PROBES,
  SPRAY_PORT_MIN,
  TOKEN_SIZE,
  TOKENS_KEPT,
} from "./constants.ts";
import { decodePunchHeader, encodePunch, openPunch } from "./wire.ts";

/** Addresses learned from the peer's probes, at most (each probed every 50 ms). */
export const LEARNED_MAX = 16;

/** A datagram the driver must send. */
export interface Transmit {
  /** Index of the local socket to send from (0 is the main socket). */
  socket: number;
  /** Destination. */
  to: Addr;
  /** The datagram. */
  data: Uint8Array;
  /** IP TTL for this datagram, when the driver can set one (otherwise the default). */
  ttl?: number;
}

/** How an attempt probes. */
export type PunchMode = "direct" | "birthday-hard" | "birthday-easy" | "relay";
/** Where an attempt stands. */
export type AttemptState = "probing" | "open" | "failed" | "relay" | "lost";

/** Options of a {@link PunchAttempt}. */
export interface AttemptOptions {
  /** Our long-term public key. */
  selfPublicKey: Uint8Array;
  /** The peer's long-term public key (only its datagrams are accepted). */
  peerPublicKey: Uint8Array;
  /** Shared key of our secret and the peer's public key. */
  sharedKey: Uint8Array;
  /** The attempt id both sides agreed on (8 bytes). */
  attemptId: Uint8Array;
  /** The peer's public endpoints (from the relay or its STUN report). */
  peerEndpoints: Addr[];
  /** Our mapping depends on the destination. */
  selfHard: boolean;
  /** The peer's mapping depends on the destination. */
  peerHard: boolean;
  /** Start time. */
  now: number;
  /** Local sockets the driver opened (default: {@link PunchAttempt.socketsNeeded}). */
  sockets?: number;
  /** Give up after this long (default 5 s direct, 8 s birthday). */
  budgetMs?: number;
  /** Random source in [0, 1) for sprayed ports (default `Math.random`). */
  random?: () => number;
  /**
   * Ports on the peer's IP that `birthday-easy` sprays before random ones (port guessing
   * around what the DHT's nodes reported); they count against the same bound.
   */
  guessPorts?: readonly number[];
  /** Random bytes for nonces and tokens (default the crypto backend's). */
  randomBytes?: (n: number) => Uint8Array;
}

/** Counters of an attempt. */
export interface AttemptStats {
  /** Probes sent (known endpoints and birthday rounds, keep-alives excluded). */
  probes: number;
  /** Of those, random-port probes of the birthday method. */
  sprayed: number;
  /** Acks and confirms sent. */
  answers: number;
  /** Keep-alive probes sent on the open path. */
  keepalives: number;
  /** Valid datagrams received. */
  received: number;
  /** Datagrams dropped: malformed, from another key, forged, other attempt, stale, unknown token. */
  dropped: {
    malformed: number;
    stranger: number;
    forged: number;
    otherAttempt: number;
    stale: number;
    unknownToken: number;
  };
}

/** The open path. */
export interface PunchPath {
  /** Local socket index. */
  socket: number;
  /** The peer's address on this path. */
  remote: Addr;
  /** When the first round trip completed. */
  openedAt: number;
  /** Our address as the peer saw it (from its ack), when known. */
  seenAs?: Addr;
}

interface SentToken {
  socket: number;
  to: string;
}

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
const ZERO_TOKEN = new Uint8Array(TOKEN_SIZE);

/**
 * The attempt state machine.
 *
 * @example
 * ```ts
 * import { PunchAttempt } from "./attempt.ts";
 * const a = new PunchAttempt({
 *   selfPublicKey: new Uint8Array(32), peerPublicKey: new Uint8Array(32).fill(1),
 *   sharedKey: new Uint8Array(32), attemptId: new Uint8Array(8), peerEndpoints: [],
 *   selfHard: true, peerHard: true, now: 0,
 * });
 * console.assert(a.state === "relay" && a.pollTransmit() === undefined);
 * ```
 */
export class PunchAttempt {
  /** How this attempt probes. */
  readonly mode: PunchMode;
  /** Counters. */
  readonly stats: AttemptStats = {
    probes: 0,
    sprayed: 0,
    answers: 0,
    keepalives: 0,
    received: 0,
    dropped: { malformed: 0, stranger: 0, forged: 0, otherAttempt: 0, stale: 0, unknownToken: 0 },
  };
  /** When the attempt started. */
  readonly startedAt: number;
  /** Why the attempt is in its state, in one line. */
  why: string;
  #state: AttemptState;
  #path: PunchPath | undefined;
  readonly #o: AttemptOptions;
  readonly #sockets: number;
  readonly #deadline: number;
  readonly #random: () => number;
  readonly #randomBytes: (n: number) => Uint8Array;
  readonly #out: Transmit[] = [];
  readonly #tokens = new Map<string, SentToken>();
  readonly #perDest = new Map<string, number>();
  readonly #sprayed = new Set<number>();
  readonly #guesses: number[];
  readonly #endpoints: Addr[];
  /** Where the peer's probes came from (socket and address), probed too while probing. */
  readonly #learned: { socket: number; to: Addr }[] = [];
  #nextProbe: number;
  #nextRound: number;
  #nextSpray: number;
  #nextKeepalive = Infinity;
  #lastHeard = 0;

  /**
   * Sockets the driver should open for these verdicts: 256 when we are the hard side of a
   * birthday attempt, otherwise 1.
   *
   * @example
   * ```ts
   * import { PunchAttempt } from "./attempt.ts";
   * console.assert(PunchAttempt.socketsNeeded(true, false) === 256);
   * console.assert(PunchAttempt.socketsNeeded(false, true) === 1);
   * ```
   */
  static socketsNeeded(selfHard: boolean, peerHard: boolean): number {
    return selfHard && !peerHard ? BIRTHDAY_SOCKETS : 1;
  }

  /** Starts the attempt at `opts.now`; the first probes are ready in {@link pollTransmit}. */
  constructor(opts: AttemptOptions) {
    if (opts.attemptId.length !== 8) throw new RangeError("attempt id must be 8 bytes");
    this.#o = opts;
    this.startedAt = opts.now;
    this.mode = opts.selfHard && opts.peerHard
      ? "relay"
      : opts.selfHard
      ? "birthday-hard"
      : opts.peerHard
      ? "birthday-easy"
      : "direct";
    this.#sockets = Math.max(
      1,
      opts.sockets ?? PunchAttempt.socketsNeeded(opts.selfHard, opts.peerHard),
    );
    const budget = opts.budgetMs ??
      (this.mode === "direct" ? DIRECT_BUDGET_MS : BIRTHDAY_BUDGET_MS);
    this.#deadline = opts.now + budget;
    this.#random = opts.random ?? Math.random;
    this.#randomBytes = opts.randomBytes ?? ((n) => backend().randomBytes(n));
    this.#endpoints = [...opts.peerEndpoints];
    this.#guesses = (opts.guessPorts ?? []).filter((p) => p >= 1 && p <= 65535).reverse();
    this.#nextProbe = this.#nextRound = this.#nextSpray = opts.now;
    if (this.mode === "relay") {
      this.#state = "relay";
      this.why = "both NATs map per destination: no direct path to punch, use the relay";
      return;
    }
    this.#state = "probing";
    this.why = `probing (${this.mode})`;
    this.handleTimeout(opts.now);
  }

  /** Where the attempt stands. */
  get state(): AttemptState {
    return this.#state;
  }

  /** The open path, once a round trip proved the peer's key. */
  get path(): PunchPath | undefined {
    return this.#path;
  }

  /** Time from the start to the first round trip, once open. */
  get timeToOpenMs(): number | undefined {
    return this.#path ? this.#path.openedAt - this.startedAt : undefined;
  }

  /** Next datagram to send, or `undefined`. */
  pollTransmit(): Transmit | undefined {
    return this.#out.shift();
  }

  /** When {@link handleTimeout} should next run, or `undefined` when nothing is scheduled. */
  nextTimeout(): number | undefined {
    switch (this.#state) {
      case "probing": {
        let t = Math.min(this.#deadline, this.#nextProbe);
        if (this.mode === "birthday-hard") t = Math.min(t, this.#nextRound);
        if (this.mode === "birthday-easy" && this.stats.sprayed < SPRAY_MAX_PROBES) {
          t = Math.min(t, this.#nextSpray);
        }
        return t;
      }
      case "open":
        return Math.min(this.#nextKeepalive, this.#lastHeard + PATH_LOST_MS);
      default:
        return undefined;
    }
  }

  /** Runs due probes, keep-alives and the deadline. */
  handleTimeout(now: number): void {
    if (this.#state === "open") {
      if (now - this.#lastHeard >= PATH_LOST_MS) {
        this.#state = "lost";
        this.why = `nothing heard on the path for ${Math.round((now - this.#lastHeard) / 1000)} s`;
        return;
      }
      if (now >= this.#nextKeepalive && this.#path) {
        this.#probe(this.#path.socket, this.#path.remote, now, false);
        this.stats.keepalives++;
        this.#nextKeepalive = now + KEEPALIVE_MS;
      }
      return;
    }
    if (this.#state !== "probing") return;
    if (now >= this.#deadline) {
      this.#state = "failed";
      this.why = `no round trip within ${this.#deadline - this.startedAt} ms (${this.mode})`;
      this.#out.length = 0;
      return;
    }
    if (now >= this.#nextProbe) {
      for (const ep of this.#endpoints) this.#probe(0, ep, now, true);
      for (const l of this.#learned) this.#probe(l.socket, l.to, now, true);
      this.#nextProbe = now + PROBE_INTERVAL_MS;
    }
    if (this.mode === "birthday-hard" && now >= this.#nextRound) {
      for (let s = 1; s < this.#sockets; s++) {
        for (const ep of this.#endpoints) this.#probe(s, ep, now, true);
      }
      this.#nextRound = now + BIRTHDAY_RESEND_MS;
    }
    if (this.mode === "birthday-easy" && now >= this.#nextSpray) {
      this.#spray(now);
      this.#nextSpray = now + SPRAY_INTERVAL_MS;
    }
  }

  /**
   * Handles a datagram that arrived on local socket `socket` from `from`. Returns false when
   * it was dropped (and counted); never throws.
   */
  handleDatagram(socket: number, from: Addr, data: Uint8Array, now: number): boolean {
    let h;
    try {
      h = decodePunchHeader(data);
    } catch (e) {
      if (!(e instanceof WireError)) throw e;
      this.stats.dropped.malformed++;
      return false;
    }
    const d = this.stats.dropped;
    if (!equal(h.sender, this.#o.peerPublicKey)) return d.stranger++, false;
    const m = openPunch(h, this.#o.sharedKey, this.#o.peerPublicKey);
    if (!m) return d.forged++, false;
    if (!equal(m.attemptId, this.#o.attemptId)) return d.otherAttempt++, false;
    if (Math.abs(m.timestamp - now) > MAX_CLOCK_SKEW_MS) return d.stale++, false;
    if (this.#state === "failed" || this.#state === "relay") return false;
    const key = formatAddr(from);
    if (m.type === PunchType.PROBE) {
      this.stats.received++;
      this.#send(socket, from, PunchType.ACK, m.token, from, now, true);
      this.stats.answers++;
      this.#learn(socket, from, key);
      if (this.#path && this.#path.socket === socket && formatAddr(this.#path.remote) === key) {
        this.#heard(now);
      }
      return true;
    }
    const sent = this.#tokens.get(hex(m.echo));
    if (!sent || sent.socket !== socket || sent.to !== key) return d.unknownToken++, false;
    this.stats.received++;
    if (m.type === PunchType.ACK) {
      this.#send(socket, from, PunchType.CONFIRM, m.token, from, now, false);
      this.stats.answers++;
      this.#open(socket, from, now, m.endpoint);
    } else this.#open(socket, from, now, undefined);
    return true;
  }

  #open(socket: number, remote: Addr, now: number, seenAs: Addr | undefined): void {
    this.#heard(now);
    if (this.#path) {
      if (seenAs && !this.#path.seenAs) this.#path.seenAs = seenAs;
      return;
    }
    this.#path = seenAs
      ? { socket, remote, openedAt: now, seenAs }
      : { socket, remote, openedAt: now };
    this.#state = "open";
    this.why = `round trip with the peer's key at ${formatAddr(remote)} after ${
      Math.round(now - this.startedAt)
    } ms`;
    this.#nextKeepalive = now + KEEPALIVE_MS;
    // Probes still queued to other endpoints would only open more NAT state.
    for (let i = this.#out.length - 1; i >= 0; i--) {
      const t = this.#out[i]!;
      if (t.data[1] === PunchType.PROBE) this.#out.splice(i, 1);
    }
  }

  /**
   * The peer's probe came from `from`: that address reaches it from this socket, so probe it
   * too (its ack opens our side even when the confirm to our ack is lost, and the peer may
   * stop probing once its own side is open). At most {@link LEARNED_MAX} addresses.
   */
  #learn(socket: number, from: Addr, key: string): void {
    if (this.#state !== "probing" || this.#learned.length >= LEARNED_MAX) return;
    if (this.#learned.some((l) => l.socket === socket && formatAddr(l.to) === key)) return;
    if (socket === 0 && this.#endpoints.some((e) => formatAddr(e) === key)) return;
    this.#learned.push({ socket, to: { hostname: from.hostname, port: from.port } });
  }

  #heard(now: number): void {
    this.#lastHeard = now;
    if (this.#state === "lost") this.#state = "open";
  }

  #probe(socket: number, to: Addr, now: number, count: boolean): void {
    const dest = `${socket}/${formatAddr(to)}`;
    const n = this.#perDest.get(dest) ?? 0;
    this.#perDest.set(dest, n + 1);
    this.#send(
      socket,
      to,
      PunchType.PROBE,
      ZERO_TOKEN,
      to,
      now,
      true,
      n < LOW_TTL_PROBES ? LOW_TTL : undefined,
    );
    if (count) this.stats.probes++;
  }

  #spray(now: number): void {
    const ip = this.#endpoints[0]?.hostname;
    if (!ip) return;
    const span = 65536 - SPRAY_PORT_MIN;
    for (let i = 0; i < SPRAY_BURST && this.stats.sprayed < SPRAY_MAX_PROBES; i++) {
      let port = this.#nextGuess() ?? SPRAY_PORT_MIN + Math.floor(this.#random() * span);
      // A port already sprayed: the next free one (bounded by the span).
      for (let k = 0; k < span && this.#sprayed.has(port); k++) {
        port = port === 65535 ? SPRAY_PORT_MIN : port + 1;
      }
      this.#sprayed.add(port);
      this.#probe(0, { hostname: ip, port }, now, true);
      this.stats.sprayed++;
    }
  }

  /** The next port guess not sprayed yet, if any is left. */
  #nextGuess(): number | undefined {
    for (let p = this.#guesses.pop(); p !== undefined; p = this.#guesses.pop()) {
      if (!this.#sprayed.has(p)) return p;
    }
    return undefined;
  }

  #send(
    socket: number,
    to: Addr,
    type: PunchType,
    echo: Uint8Array,
    endpoint: Addr,
    now: number,
    remember: boolean,
    ttl?: number,
  ): void {
    const r = this.#randomBytes(24 + TOKEN_SIZE);
    const token = r.slice(24);
    if (remember) {
      this.#tokens.set(hex(token), { socket, to: formatAddr(to) });
      if (this.#tokens.size > TOKENS_KEPT) {
        const oldest = this.#tokens.keys().next().value;
        if (oldest !== undefined) this.#tokens.delete(oldest);
      }
    }
    const data = encodePunch(
      {
        type,
        sender: this.#o.selfPublicKey,
        attemptId: this.#o.attemptId,
        timestamp: Math.max(0, Math.floor(now)),
        token,
        echo,
        endpoint,
      },
      this.#o.sharedKey,
      r.subarray(0, 24),
    );
    this.#out.push(ttl === undefined ? { socket, to, data } : { socket, to, data, ttl });
  }
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}
