/**
 * c-toxcore 0.2.18's send-rate control (tox-protocol §6.8), without I/O: every 50 ms the
 * packets sent in a 600 ms window (shifted back by the RTT) give `minSpeed`; the rate grows
 * by 1.2x while there was no congestion event for 1 s, shrinks to 0.9x after one, and is cut
 * when the send queue holds more than 2 s worth. A token bucket (`packetsLeft`, start 64)
 * gates new packets; a second budget gates resends, and running out of it with resends
 * pending is a congestion event.
 *
 * One deliberate difference, invisible on the wire: the oldest send-queue sample is taken
 * as `(pos + 1) % 12`, where c-toxcore's unsigned arithmetic picks a different slot.
 *
 * @example
 * ```ts
 * import { Congestion } from "./congestion.ts";
 * const c = new Congestion();
 * c.refill(0);
 * console.assert(c.packetsLeft === 64 && c.rate === 4);
 * ```
 * @module
 */
import {
  CONGESTION_EVENT_TIMEOUT_MS,
  CONGESTION_HISTORY_SAMPLES,
  CONGESTION_QUEUE_SAMPLES,
  COUNTER_INTERVAL_MS,
  MIN_QUEUE_LENGTH,
  MIN_RATE,
  SEND_QUEUE_RATIO,
} from "./constants.ts";
import type { RateControl } from "./sender.ts";

/** Per-sample growth of the loss-tolerant pacer while it is not app-limited. */
export const FAST_GROWTH = 1.25;
/** Ceiling of the loss-tolerant pacer's growth, packets/s (about 1.4 GB/s). */
export const MAX_RATE = 1_000_000;
/** Per-sample growth of the loss-tolerant pacer before its first congestion event. */
export const SLOW_START_GROWTH = 2;

/**
 * The rate controller of one session.
 *
 * @example
 * ```ts
 * import { Congestion } from "./congestion.ts";
 * const c = new Congestion();
 * c.refill(0);
 * for (let i = 0; i < 64; i++) c.sentNew();
 * console.assert(c.packetsLeft === 0);
 * ```
 */
export class Congestion implements RateControl {
  /**
   * 0 for c-toxcore's rule (a resend that exhausts the token bucket is a congestion
   * event); above 0, a congestion event is instead a window whose resends exceed this
   * fraction of its sends, so random loss below it does not throttle the sender.
   */
  readonly lossTolerance: number;
  /** Current send rate, packets/s. */
  rate: number = MIN_RATE;
  /** Current resend rate, packets/s. */
  rateRequested: number = MIN_RATE;
  /** Tokens for new packets. */
  packetsLeft = 0;
  /** Tokens for resends. */
  packetsLeftRequested = 0;
  /** Time of the last congestion event, ms. */
  lastCongestion = -Infinity;
  #setAt: number | null = null;
  #rem = 0;
  #reqSetAt = 0;
  #reqRem = 0;
  #sent = 0;
  #resent = 0;
  #sampledAt: number | null = null;
  readonly #queue = new Array<number>(CONGESTION_QUEUE_SAMPLES).fill(0);
  #queueCounter = 0;
  readonly #histSent = new Array<number>(CONGESTION_HISTORY_SAMPLES).fill(0);
  readonly #histResent = new Array<number>(CONGESTION_HISTORY_SAMPLES).fill(0);

  /** A controller; `lossTolerance` 0 (default) follows c-toxcore exactly. */
  constructor(lossTolerance = 0) {
    if (!(lossTolerance >= 0 && lossTolerance < 1)) throw new RangeError("lossTolerance in [0, 1)");
    this.lossTolerance = lossTolerance;
  }

  /** Counts a new packet sent (uses a token of each kind). */
  sentNew(): void {
    this.packetsLeft = Math.max(0, this.packetsLeft - 1);
    this.packetsLeftRequested = Math.max(0, this.packetsLeftRequested - 1);
    this.#sent++;
  }

  /** Counts `n` resends made at `now`; running out of new-packet tokens is congestion. */
  resent(n: number, now: number): void {
    if (n === 0) return;
    this.packetsLeftRequested = Math.max(0, this.packetsLeftRequested - n);
    this.#resent += n;
    if (n < this.packetsLeft) this.packetsLeft -= n;
    else if (this.lossTolerance > 0) this.packetsLeft = 0;
    else {
      this.lastCongestion = now;
      this.packetsLeft = 0;
    }
  }

  /** When {@link sample} is next due. */
  nextSample(): number {
    return this.#sampledAt === null ? 0 : this.#sampledAt + COUNTER_INTERVAL_MS + 1;
  }

  /** When the next token refill may add a packet. */
  nextRefill(): number {
    if (this.#setAt === null) return 0;
    return this.#setAt + Math.round(1000 / this.rate);
  }

  /**
   * Every >50 ms: recomputes the rate from the send history, the send-ring size `queued`
   * and the RTT (ms).
   */
  sample(now: number, queued: number, rttMs: number): void {
    if (this.#sampledAt === null) {
      this.#sampledAt = now;
      return;
    }
    if (now <= this.#sampledAt + COUNTER_INTERVAL_MS) return;
    const dt = now - this.#sampledAt;
    const lastSent = this.#sent;
    this.#sampledAt = now;
    const pos = this.#queueCounter % CONGESTION_QUEUE_SAMPLES;
    this.#queue[pos] = queued;
    this.#queueCounter++;
    const growth = queued - this.#queue[(pos + 1) % CONGESTION_QUEUE_SAMPLES]!;
    const hp = this.#queueCounter % CONGESTION_HISTORY_SAMPLES;
    this.#histSent[hp] = this.#sent;
    this.#histResent[hp] = this.#resent;
    this.#sent = 0;
    this.#resent = 0;
    const room = CONGESTION_HISTORY_SAMPLES - CONGESTION_QUEUE_SAMPLES;
    const delay = Math.min(room, Math.round(rttMs / COUNTER_INTERVAL_MS));
    let sent = 0;
    let resent = 0;
    for (let j = 0; j < CONGESTION_QUEUE_SAMPLES; j++) {
      const i = (j + room - delay + hp) % CONGESTION_HISTORY_SAMPLES;
      sent += this.#histSent[i]!;
      resent += this.#histResent[i]!;
    }
    if (this.lossTolerance > 0 && resent > this.lossTolerance * Math.max(sent, 1)) {
      this.lastCongestion = now;
    }
    if (growth > 0) sent -= growth;
    else if (resent > -growth) resent = -growth;
    const windowS = (CONGESTION_QUEUE_SAMPLES * COUNTER_INTERVAL_MS) / 1000;
    const minSpeed = Math.max(MIN_RATE, sent / windowS);
    const minSpeedRequest = (sent + resent) / windowS;
    const ratio = queued / minSpeed;
    const prevRate = this.rate;
    if (ratio > SEND_QUEUE_RATIO && queued > MIN_QUEUE_LENGTH) {
      this.rate = minSpeed / (ratio / SEND_QUEUE_RATIO);
    } else if (this.lastCongestion + CONGESTION_EVENT_TIMEOUT_MS < now) {
      this.rate = minSpeed * 1.2;
    } else {
      this.rate = minSpeed * 0.9;
    }
    if (
      this.lossTolerance > 0 && this.lastCongestion + CONGESTION_EVENT_TIMEOUT_MS < now &&
      !(ratio > SEND_QUEUE_RATIO && queued > MIN_QUEUE_LENGTH)
    ) {
      // Loss-tolerant pacer: while the sender used (nearly) all it was allowed in the last
      // sample and there was no congestion, grow from the current rate, not from the
      // 600 ms average (doubling until the first congestion event), so the start-up ramp
      // takes a fraction of a second, not ten.
      const allowed = (prevRate * dt) / 1000;
      const growth = this.lastCongestion === -Infinity ? SLOW_START_GROWTH : FAST_GROWTH;
      const limited = lastSent >= 0.8 * allowed || this.packetsLeft === 0;
      if (limited) this.rate = Math.min(MAX_RATE, Math.max(this.rate, prevRate * growth));
    }
    this.rate = Math.max(MIN_RATE, this.rate);
    this.rateRequested = Math.max(this.rate, minSpeedRequest * 1.2);
  }

  /** {@link RateControl}: {@link sample} then {@link refill}. */
  tick(now: number, ringSize: number, rttMs: number, _srttMs?: number): void {
    this.sample(now, ringSize, rttMs);
    this.refill(now);
  }

  /** {@link RateControl}: the next sample, or the next refill while packets wait. */
  nextTimeout(resends: boolean, fresh: boolean, _inFlight: number): number {
    const t = this.nextSample();
    return resends || fresh ? Math.min(t, this.nextRefill()) : t;
  }

  /** {@link RateControl}: the resend budget. */
  resendBudget(): number {
    return this.packetsLeftRequested;
  }

  /** {@link RateControl}: the token bucket (c-toxcore has no flight cap). */
  newBudget(_inFlight: number): number {
    return this.packetsLeft;
  }

  /** {@link RateControl}: c-toxcore learns nothing from acknowledgements. */
  delivered(_n: number, _now: number): void {}

  /** {@link RateControl}: not tracked (always 0). */
  readonly deliveredTotal = 0;

  /** {@link RateControl}: not tracked (always 0). */
  readonly deliveredAt = 0;

  /** {@link RateControl}: c-toxcore's rule does not track it. */
  appLimited(): void {}

  /** Adds tokens for the time passed since the last refill. */
  refill(now: number): void {
    if (this.#setAt === null) {
      this.#setAt = now;
      this.#reqSetAt = now;
      this.packetsLeft = MIN_QUEUE_LENGTH;
      this.packetsLeftRequested = MIN_QUEUE_LENGTH;
      return;
    }
    if (this.#setAt + Math.round(1000 / this.rate) <= now) {
      const n = this.rate * (now - this.#setAt) / 1000 + this.#rem;
      const whole = Math.floor(n);
      this.#rem = n - whole;
      const cap = whole * 4 + MIN_QUEUE_LENGTH;
      this.packetsLeft = this.packetsLeft > cap ? cap : this.packetsLeft + whole;
      this.#setAt = now;
    }
    if (this.#reqSetAt + Math.round(1000 / this.rateRequested) <= now) {
      const n = this.rateRequested * (now - this.#reqSetAt) / 1000 + this.#reqRem;
      const whole = Math.floor(n);
      this.#reqRem = n - whole;
      this.packetsLeftRequested = whole;
      this.#reqSetAt = now;
    }
    if (this.packetsLeft > this.packetsLeftRequested) {
      this.packetsLeftRequested = this.packetsLeft;
    }
  }
}
