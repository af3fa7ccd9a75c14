/**
 * The send side of a session (tox-protocol §6.6-6.8): the outbox of lossless payloads
 * waiting for the rate control, the send ring of sent, unacknowledged packets, the walk of
 * the peer's packet requests (acknowledgements and resends), the minimum RTT and the pump
 * that lets packets out as the pacer allows. It seals nothing itself: `emit(payload,
 * number)` turns a payload into a datagram.
 *
 * @example
 * ```ts
 * import { Congestion } from "./congestion.ts";
 * import { Sender } from "./sender.ts";
 * const out: number[] = [];
 * const s = new Sender(new Congestion(), (_p, n) => out.push(n));
 * s.enqueue(new Uint8Array([160]));
 * s.pump(0);
 * console.assert(out.join() === "0" && s.inFlight === 1);
 * s.acked(1, 10);
 * console.assert(s.inFlight === 0 && s.rtt === 10);
 * ```
 * @module
 */
import { type SendEntry, SendRing } from "./buffers.ts";
import { DEFAULT_RTT_MS } from "./constants.ts";
import type { SendSnapshot } from "./delivery_rate.ts";
import { walkRequest } from "./request.ts";

/** What the send side needs of a rate control (c-toxcore's, or the delivery-rate pacer). */
export interface RateControl {
  /** Current pacing rate, packets/s. */
  readonly rate: number;
  /** Recomputes the rate and adds tokens; `ringSize` is the send ring's span. */
  tick(now: number, ringSize: number, rttMs: number, srttMs: number): void;
  /** When {@link RateControl.tick} next has work, given what waits to be sent. */
  nextTimeout(resends: boolean, fresh: boolean, inFlight: number): number;
  /** Resends that may leave now. */
  resendBudget(): number;
  /** Counts `n` resends made at `now`. */
  resent(n: number, now: number): void;
  /** New packets that may leave now, with `inFlight` unacknowledged. */
  newBudget(inFlight: number): number;
  /** Counts one new packet. */
  sentNew(): void;
  /**
   * `n` packets were acknowledged at `now`; `from` is the newest of them that was sent
   * once (its delivery snapshot), if any.
   */
  delivered(n: number, now: number, from?: SendSnapshot): void;
  /** Packets delivered so far (recorded in each packet at its send). */
  readonly deliveredTotal: number;
  /** When a delivery was last seen, ms (recorded likewise). */
  readonly deliveredAt: number;
  /** When the newest acknowledged packet had been sent, ms (recorded likewise). */
  readonly firstSentAt: number;
  /** The outbox ran dry while tokens were left. */
  appLimited(): void;
}

/**
 * Outbox, send ring, requests and pacing of one session.
 *
 * @example
 * ```ts
 * import { DeliveryRate } from "./delivery_rate.ts";
 * import { Sender } from "./sender.ts";
 * const s = new Sender(new DeliveryRate(), () => {});
 * for (let i = 0; i < 100; i++) s.enqueue(new Uint8Array([160]));
 * s.pump(0);
 * console.assert(s.inFlight === 64 && s.queued === 36); // the first burst is 64
 * ```
 */
export class Sender {
  /** Sent, unacknowledged packets. */
  readonly ring: SendRing = new SendRing();
  /** The rate control. */
  readonly pacer: RateControl;
  /** Minimum RTT measured from acknowledgements, ms. */
  rtt: number = DEFAULT_RTT_MS;
  /** Smoothed RTT (7/8 of the last value, 1/8 of each sample), ms. */
  srtt: number = DEFAULT_RTT_MS;
  /** Smoothed RTT deviation, ms. */
  rttvar = 0;
  /** Resends made. */
  resentTotal = 0;
  /**
   * True while the path refuses datagrams (a relay link's queue is full): nothing is
   * sent, new or resent, so no packet counts as sent that never left.
   */
  blocked = false;
  readonly #emit: (payload: Uint8Array, number: number) => void;
  #outbox: Uint8Array[] = [];
  #outHead = 0;
  #resend: number[] = [];
  #resendHead = 0;

  /** A send side paced by `pacer`, sending through `emit`. */
  constructor(pacer: RateControl, emit: (payload: Uint8Array, number: number) => void) {
    this.pacer = pacer;
    this.#emit = emit;
  }

  /** Payloads waiting to be sent once. */
  get queued(): number {
    return this.#outbox.length - this.#outHead;
  }

  /** Sent packets not yet acknowledged. */
  get inFlight(): number {
    return this.ring.held;
  }

  /** Queues a payload. */
  enqueue(data: Uint8Array): void {
    this.#outbox.push(data);
  }

  /**
   * Takes the peer's `buffer_start`: everything below it is acknowledged. `false` when
   * it lies outside the ring (a bogus acknowledgement; nothing changed).
   */
  acked(bufferStart: number, now: number): boolean {
    const r = this.ring;
    // The newest packet this acknowledges was the last to arrive: its age is the RTT plus
    // the peer's acknowledgement delay, and the minimum over many is close to the RTT.
    const last = bufferStart !== r.start ? r.get((bufferStart - 1) >>> 0) : undefined;
    const newest = last !== undefined && last.resends === 0 ? last : undefined;
    const before = r.held;
    if (!r.ackUntil(bufferStart)) return false;
    if (newest !== undefined) this.#sampleRtt(now - newest.sentAt);
    this.pacer.delivered(before - r.held, now, newest);
    return true;
  }

  /**
   * Walks a packet request (its body, without the id byte): numbers the peer has are
   * freed, requested ones older than one RTT (and than `minResendAfter`, ms) are queued
   * for resending. `false` when the request is malformed (what was walked before the
   * fault stays walked).
   */
  request(body: Uint8Array, now: number, minResendAfter = 0): boolean {
    const s = this.ring;
    const after = Math.max(this.resendAfter, minResendAfter);
    let newest: SendEntry | undefined;
    const before = s.held;
    const ok = walkRequest(body, s.start, s.end, (n, requested) => {
      const e = s.get(n);
      if (e === undefined) return;
      if (requested) {
        if (!e.queued && e.sentAt + after < now) {
          e.queued = true;
          this.#resend.push(n);
        }
      } else {
        if (e.resends === 0 && (newest === undefined || e.sentAt > newest.sentAt)) newest = e;
        s.free(n);
      }
    });
    if (newest !== undefined) this.#sampleRtt(now - newest.sentAt);
    this.pacer.delivered(before - s.held, now, newest);
    return ok;
  }

  /**
   * Queues every sent, unacknowledged packet for resending (the path they took died: the
   * new path gets the whole flight at once instead of one packet request at a time).
   * Returns how many were queued.
   */
  resendFlight(): number {
    const r = this.ring;
    let n = 0;
    for (let i = r.start; i !== r.end; i = (i + 1) >>> 0) {
      const e = r.get(i);
      if (e === undefined || e.queued) continue;
      e.queued = true;
      this.#resend.push(i);
      n++;
    }
    return n;
  }

  /** When {@link Sender.pump} next has work (ms). */
  nextTimeout(): number {
    if (this.blocked) return Infinity;
    return this.pacer.nextTimeout(
      this.#resendHead < this.#resend.length,
      this.queued > 0 && !this.ring.full,
      this.ring.held,
    );
  }

  /** Sends the resends and new packets the pacer allows at `now`. */
  pump(now: number): void {
    if (this.blocked) return;
    const cc = this.pacer;
    cc.tick(now, this.ring.size, this.rtt, this.srtt);
    const budget = cc.resendBudget();
    let resent = 0;
    while (this.#resendHead < this.#resend.length && resent < budget) {
      const n = this.#resend[this.#resendHead++]!;
      const e = this.ring.get(n);
      if (e === undefined || !e.queued) continue;
      e.queued = false;
      e.sentAt = now;
      e.resends++;
      this.#emit(e.data, n);
      resent++;
    }
    if (this.#resendHead >= this.#resend.length) {
      this.#resend = [];
      this.#resendHead = 0;
    }
    this.resentTotal += resent;
    cc.resent(resent, now);
    let fresh = cc.newBudget(this.ring.held);
    while (fresh > 0 && this.queued > 0 && !this.ring.full) {
      const data = this.#outbox[this.#outHead]!;
      this.#outbox[this.#outHead++] = undefined as unknown as Uint8Array;
      const n = this.ring.push(data, now, cc.deliveredTotal, cc.deliveredAt, cc.firstSentAt);
      this.#emit(data, n);
      cc.sentNew();
      fresh--;
    }
    if (this.queued === 0 && fresh > 0) cc.appLimited();
    if (this.#outHead > 1024 && this.#outHead * 2 > this.#outbox.length) {
      this.#outbox = this.#outbox.slice(this.#outHead);
      this.#outHead = 0;
    }
  }

  /**
   * How long after its last send a requested packet is sent again: the smoothed RTT plus
   * twice its deviation (at least the minimum RTT), so neither a packet merely reordered
   * nor a resend still on its way behind a grown queue is sent again.
   */
  get resendAfter(): number {
    return Math.max(this.rtt, this.srtt + 2 * this.rttvar);
  }

  /** Takes an RTT sample from a packet sent once (Karn's rule: never from a resend). */
  #sampleRtt(ms: number): void {
    const x = Math.max(0, ms);
    if (this.rtt === DEFAULT_RTT_MS) {
      this.srtt = x;
      this.rttvar = x / 2;
    } else {
      this.rttvar = 0.75 * this.rttvar + 0.25 * Math.abs(this.srtt - x);
      this.srtt = 0.875 * this.srtt + 0.125 * x;
    }
    this.rtt = Math.min(this.rtt, x);
  }
}
