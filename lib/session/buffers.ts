/**
 * The two lossless rings of a session (tox-protocol §6.6-6.7): 32768 slots indexed by
 * packet number (u32, wrapping). The send ring holds what the peer has not acknowledged;
 * the receive ring holds what arrived out of order until the gap is filled.
 *
 * @example
 * ```ts
 * import { RecvRing } from "./buffers.ts";
 * const r = new RecvRing();
 * r.put(1, new Uint8Array([17]));
 * console.assert(r.pop() === undefined); // 0 is still missing
 * r.put(0, new Uint8Array([16]));
 * console.assert(r.pop()?.[0] === 16 && r.pop()?.[0] === 17);
 * ```
 * @module
 */
import { PACKET_BUFFER_SIZE } from "./constants.ts";

const MASK = PACKET_BUFFER_SIZE - 1;

/** One packet in the send ring. */
export interface SendEntry {
  /** The payload. */
  data: Uint8Array;
  /** When it was last sent, ms. */
  sentAt: number;
  /** Waiting in the resend queue. */
  queued: boolean;
  /** Times it was sent again (an acknowledgement of a resent packet times nothing). */
  resends: number;
  /** The pacer's count of delivered packets when this one was sent. */
  delivered: number;
  /** When the pacer last saw a delivery, as of this packet's send, ms. */
  deliveredAt: number;
}

/**
 * Sent, not yet acknowledged lossless packets.
 *
 * @example
 * ```ts
 * import { SendRing } from "./buffers.ts";
 * const s = new SendRing();
 * s.push(new Uint8Array([16]), 0);
 * s.push(new Uint8Array([17]), 0);
 * s.free(0);
 * console.assert(s.size === 2 && s.held === 1);
 * s.ackUntil(2);
 * console.assert(s.size === 0 && s.held === 0 && s.start === 2);
 * ```
 */
export class SendRing {
  readonly #slots: (SendEntry | undefined)[] = new Array(PACKET_BUFFER_SIZE);
  /** Oldest unacknowledged number. */
  start = 0;
  /** Next number to assign. */
  end = 0;
  /** Packets held (the span minus those a request already freed). */
  held = 0;

  /** Numbers between start and end (held or freed by a request). */
  get size(): number {
    return (this.end - this.start) >>> 0;
  }

  /** True when no slot is free. */
  get full(): boolean {
    return this.size >= PACKET_BUFFER_SIZE;
  }

  /**
   * Stores a packet sent at `now` (with the pacer's delivery count and time then);
   * returns its number. Throws `RangeError` when full.
   */
  push(data: Uint8Array, now: number, delivered = 0, deliveredAt = now): number {
    if (this.full) throw new RangeError("send ring full");
    const n = this.end;
    this.#slots[n & MASK] = {
      data,
      sentAt: now,
      queued: false,
      resends: 0,
      delivered,
      deliveredAt,
    };
    this.end = (n + 1) >>> 0;
    this.held++;
    return n;
  }

  /** The entry for `n`, if held. */
  get(n: number): SendEntry | undefined {
    if (((n - this.start) >>> 0) >= this.size) return undefined;
    return this.#slots[n & MASK];
  }

  /** Frees `n` (acknowledged by a request). */
  free(n: number): void {
    if (((n - this.start) >>> 0) < this.size && this.#slots[n & MASK] !== undefined) {
      this.#slots[n & MASK] = undefined;
      this.held--;
    }
  }

  /**
   * Frees every number below `n`; `false` (nothing changed) when `n` is outside
   * `[start, end]`, which marks a bogus acknowledgement.
   */
  ackUntil(n: number): boolean {
    if (((n - this.start) >>> 0) > this.size) return false;
    while (this.start !== n) {
      if (this.#slots[this.start & MASK] !== undefined) this.held--;
      this.#slots[this.start & MASK] = undefined;
      this.start = (this.start + 1) >>> 0;
    }
    return true;
  }
}

/**
 * Lossless packets received, delivered in order.
 *
 * @example
 * ```ts
 * import { RecvRing } from "./buffers.ts";
 * const r = new RecvRing();
 * console.assert(r.put(0, new Uint8Array([16])) && !r.put(0, new Uint8Array([16])));
 * ```
 */
export class RecvRing {
  readonly #slots: (Uint8Array | undefined)[] = new Array(PACKET_BUFFER_SIZE);
  /** Next number to deliver. */
  start = 0;
  /** One past the highest number known to exist. */
  end = 0;

  /** Numbers between start and end (held or missing). */
  get span(): number {
    return (this.end - this.start) >>> 0;
  }

  /** True when `n` is held (or already delivered). */
  has(n: number): boolean {
    if (((n - this.start) >>> 0) >= PACKET_BUFFER_SIZE) return true;
    return this.#slots[n & MASK] !== undefined;
  }

  /** Stores `n`; `false` for a duplicate or a number outside the window. */
  put(n: number, data: Uint8Array): boolean {
    const off = (n - this.start) >>> 0;
    if (off >= PACKET_BUFFER_SIZE || this.#slots[n & MASK] !== undefined) return false;
    this.#slots[n & MASK] = data;
    if (off >= this.span) this.end = (n + 1) >>> 0;
    return true;
  }

  /** Raises `end` to `n` (the sender's next number) when it lies inside the window. */
  setEnd(n: number): void {
    const off = (n - this.start) >>> 0;
    if (off <= PACKET_BUFFER_SIZE && off > this.span) this.end = n >>> 0;
  }

  /** The next in-order packet, if it has arrived. */
  pop(): Uint8Array | undefined {
    const d = this.#slots[this.start & MASK];
    if (d === undefined || this.span === 0) return undefined;
    this.#slots[this.start & MASK] = undefined;
    this.start = (this.start + 1) >>> 0;
    return d;
  }
}
