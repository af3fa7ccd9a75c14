/**
 * A delivery-rate pacer for lossless data (BBR-like), without I/O. It changes only when
 * packets leave, never what they look like, so the wire stays what c-toxcore expects.
 *
 * - **Bandwidth**: each send records the count of packets delivered so far and when the
 *   last delivery was seen. When an acknowledgement (a `buffer_start` advance, or the
 *   packets a request shows as received) covers a packet sent once, the rate sample is
 *   the packets delivered since its send over the time since then (BBR's rate sample), so
 *   a filled hole that acknowledges many old packets at once does not inflate it. The
 *   estimate is the maximum sample of the last {@link BW_ROUNDS} rounds (a round: the
 *   smoothed RTT, at least {@link MIN_ROUND_MS}), so random loss and app-limited spells do
 *   not pull it down at once.
 * - **Pacing**: tokens at `gain × bandwidth`; the gain is 2 while the estimate still grows
 *   by 25 % a round (start-up), then cycles 1.25, 0.85, 1, 1 per round.
 * - **In flight**: new packets stop while the unacknowledged ones exceed twice the
 *   bandwidth times (minimum RTT + the mean gap between acknowledgements).
 * - **Loss**: resends take tokens first; random loss does not lower the rate. A round
 *   whose resends exceed {@link HEAVY_LOSS} of its sends is taken as a congested path and
 *   the estimate is cut by {@link LOSS_CUT}.
 *
 * @example
 * ```ts
 * import { DeliveryRate } from "./delivery_rate.ts";
 * const p = new DeliveryRate();
 * p.tick(0, 0, 1000);
 * console.assert(p.newBudget(0) === 64);
 * ```
 * @module
 */
import { MIN_QUEUE_LENGTH } from "./constants.ts";
import type { RateControl } from "./sender.ts";

/** Initial pacing rate before any sample, packets/s (about 2.7 MB/s of payload). */
export const INITIAL_RATE = 2000;
/** Shortest round, ms. */
export const MIN_ROUND_MS = 20;
/** Rounds the bandwidth max filter spans. */
export const BW_ROUNDS = 8;
/** Start-up pacing gain (until the estimate stops growing by 25 % a round). */
export const STARTUP_GAIN = 2;
/** Pacing gains of the probe cycle after start-up, one per round. */
export const CYCLE_GAINS: readonly number[] = [1.25, 0.85, 1, 1];
/** Flight cap as a multiple of bandwidth × (RTT + acknowledgement gap). */
export const CWND_GAIN = 2;
/** Resend share of a round above which the estimate is cut. */
export const HEAVY_LOSS = 0.15;
/** Factor applied to the bandwidth estimate after a heavy-loss round. */
export const LOSS_CUT = 0.85;
/** Burst the token bucket may hold, ms of the pacing rate. */
export const BURST_MS = 8;
/** Highest pacing rate, packets/s. */
export const MAX_PACING_RATE = 1_000_000;

/** What a packet carried from its send: the delivery count and time then. */
export interface SendSnapshot {
  /** {@link DeliveryRate.deliveredTotal} at the send. */
  delivered: number;
  /** {@link DeliveryRate.deliveredAt} at the send. */
  deliveredAt: number;
}

/**
 * The pacer of one session.
 *
 * @example
 * ```ts
 * import { DeliveryRate } from "./delivery_rate.ts";
 * const p = new DeliveryRate();
 * p.tick(0, 0, 5);
 * // 40 packets acknowledged every 10 ms, each sample spanning 10 ms: 4000 packets/s.
 * for (let t = 10; t <= 300; t += 10) p.delivered(40, t, { delivered: p.deliveredTotal, deliveredAt: t - 10 });
 * console.assert(Math.round(p.bandwidth) === 4000);
 * ```
 */
export class DeliveryRate implements RateControl {
  /** Pacing rate, packets/s. */
  rate: number = INITIAL_RATE;
  /** Bandwidth estimate, packets/s (0 before the first sample). */
  bandwidth = 0;
  /** True until the estimate stops growing. */
  startup = true;
  /** Packets delivered so far. */
  deliveredTotal = 0;
  /** When a delivery was last seen, ms. */
  deliveredAt = 0;
  #tokens = 0;
  #refilledAt: number | null = null;
  /** Max of the samples of each of the last rounds (newest last). */
  #rounds: number[] = [0];
  #roundStart = 0;
  #roundSent = 0;
  #roundResent = 0;
  #roundLimited = false;
  #lastAck = -1;
  #ackGap = 0;
  #rtt = 1000;
  #srtt = 0;
  #plateau = 0;
  #plateauBw = 0;
  #cycle = 0;

  /** Tokens for packets of either kind. */
  get packetsLeft(): number {
    return Math.floor(this.#tokens);
  }

  /** The flight cap in packets (at least 128). */
  get cwnd(): number {
    const bdp = (this.bandwidth * (this.#rtt + this.#ackGap)) / 1000;
    return Math.max(MIN_QUEUE_LENGTH * 2, CWND_GAIN * bdp + (this.rate * BURST_MS) / 1000);
  }

  /**
   * `n` packets were acknowledged at `now`; `from` is the snapshot of the newest of them
   * that was sent once (none when all were resends).
   */
  delivered(n: number, now: number, from?: SendSnapshot): void {
    if (n <= 0) return;
    this.deliveredTotal += n;
    this.deliveredAt = now;
    if (this.#lastAck >= 0) {
      const gap = now - this.#lastAck;
      this.#ackGap = this.#ackGap === 0 ? gap : 0.875 * this.#ackGap + 0.125 * gap;
    }
    this.#lastAck = now;
    if (from) {
      const span = now - from.deliveredAt;
      if (span > 0) this.#sample((this.deliveredTotal - from.delivered) / (span / 1000));
    }
    this.#maybeEndRound(now);
  }

  /** The sender ran out of data with tokens to spare: this round's samples may be low. */
  appLimited(): void {
    this.#roundLimited = true;
  }

  #sample(bw: number): void {
    const i = this.#rounds.length - 1;
    // A sample taken while the application had nothing to send says nothing of the path
    // unless it beats the estimate (BBR's app-limited rule).
    if (this.#roundLimited && bw < this.bandwidth) return;
    if (bw > this.#rounds[i]!) this.#rounds[i] = bw;
    if (bw > this.bandwidth) this.bandwidth = bw;
  }

  #maybeEndRound(now: number): void {
    const round = Math.max(MIN_ROUND_MS, this.#srtt);
    if (now - this.#roundStart < round) return;
    const heavy = this.#roundResent > HEAVY_LOSS * Math.max(this.#roundSent, 1);
    this.#roundStart = now;
    this.#roundSent = 0;
    this.#roundResent = 0;
    this.#roundLimited = false;
    this.#rounds.push(0);
    if (this.#rounds.length > BW_ROUNDS) this.#rounds.shift();
    if (heavy) this.#rounds = this.#rounds.map((x) => x * LOSS_CUT);
    this.bandwidth = Math.max(...this.#rounds);
    if (this.startup) {
      if (this.bandwidth >= 1.25 * this.#plateauBw) {
        this.#plateauBw = this.bandwidth;
        this.#plateau = 0;
      } else if (++this.#plateau >= 3 || heavy) this.startup = false;
    } else this.#cycle = (this.#cycle + 1) % CYCLE_GAINS.length;
    const gain = this.startup ? STARTUP_GAIN : CYCLE_GAINS[this.#cycle]!;
    if (this.bandwidth > 0) {
      this.rate = Math.min(MAX_PACING_RATE, Math.max(INITIAL_RATE / 4, gain * this.bandwidth));
    }
  }

  /** Adds tokens for the time since the last call; `rttMs` is the minimum RTT. */
  tick(now: number, _ringSize: number, rttMs: number, srttMs = rttMs): void {
    this.#rtt = rttMs;
    this.#srtt = srttMs;
    if (this.#refilledAt === null) {
      this.#refilledAt = now;
      this.#roundStart = now;
      this.#tokens = MIN_QUEUE_LENGTH;
      return;
    }
    const cap = Math.max(MIN_QUEUE_LENGTH, (this.rate * BURST_MS) / 1000);
    this.#tokens = Math.min(cap, this.#tokens + (this.rate * (now - this.#refilledAt)) / 1000);
    this.#refilledAt = now;
  }

  /** When the next token is due (ms). */
  nextRefill(): number {
    if (this.#refilledAt === null) return 0;
    return this.#refilledAt + Math.max(1, (1 - (this.#tokens % 1)) * 1000 / this.rate);
  }

  /**
   * When packets wait: the next token, unless only new packets wait and the flight cap
   * holds them (an acknowledgement will wake the sender then).
   */
  nextTimeout(resends: boolean, fresh: boolean, inFlight: number): number {
    if (resends || (fresh && inFlight < this.cwnd)) return this.nextRefill();
    return Infinity;
  }

  /** How many resends may leave now. */
  resendBudget(): number {
    return this.packetsLeft;
  }

  /** Counts `n` resends. */
  resent(n: number, _now?: number): void {
    this.#tokens = Math.max(0, this.#tokens - n);
    this.#roundResent += n;
  }

  /** How many new packets may leave now, with `inFlight` unacknowledged. */
  newBudget(inFlight: number): number {
    return Math.max(0, Math.min(this.packetsLeft, Math.floor(this.cwnd - inFlight)));
  }

  /** Counts one new packet. */
  sentNew(): void {
    this.#tokens = Math.max(0, this.#tokens - 1);
    this.#roundSent++;
  }
}
