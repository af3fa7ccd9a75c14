/**
 * The receive side of a session (tox-protocol §6.6-6.7): the peer's base nonce and its
 * reconstruction from the 2-byte suffix (moved on by 21845 once a packet more than twice
 * that far ahead opened), the anti-replay window, opening and decoding data packets, the
 * receive ring that puts lossless packets back in order, the receive rate and the packet
 * request (id 1) with c-toxcore's interval.
 *
 * @example
 * ```ts
 * import { Receiver } from "./receiver.ts";
 * const r = new Receiver(new Uint8Array(24));
 * console.assert(r.requestInterval(false) === 1000 && r.request().length === 1);
 * ```
 * @module
 */
import type { CryptoBackend } from "../crypto/backend.ts";
import { MAC_SIZE } from "../crypto/constants.ts";
import { incrementNonceBy } from "../crypto/nonce.ts";
import { WireError } from "../util/wire_error.ts";
import { RecvRing } from "./buffers.ts";
import {
  COUNTER_INTERVAL_MS,
  DATA_NUM_THRESHOLD,
  MAX_DATA_PACKET_SIZE,
  MIN_RATE,
  REQUEST_COMPARE_CONSTANT,
  SEND_PACKET_INTERVAL_MS,
} from "./constants.ts";
import { type DataPlain, decodeDataPlain } from "./plain.ts";
import { ReplayWindow } from "./replay.ts";
import { encodeRequest } from "./request.ts";
import type { DataPacket } from "./wire.ts";

/** Request interval while lossless data flows in, with fast acknowledgements, ms. */
export const FAST_ACK_INTERVAL_MS = 10;

/** Why {@link Receiver.open} refused a packet. */
export type OpenFailure = "replay" | "badBox" | "malformed";

/**
 * Nonces, replay window, receive ring and request timing of one session.
 *
 * @example
 * ```ts
 * import { Receiver } from "./receiver.ts";
 * const r = new Receiver(new Uint8Array(24));
 * r.ring.put(0, new Uint8Array([160]));
 * console.assert(r.ring.pop()?.[0] === 160);
 * ```
 */
export class Receiver {
  /** Lossless packets waiting for a gap to fill. */
  readonly ring: RecvRing = new RecvRing();
  /** Lossless packets received per second, measured every 50 ms. */
  rate = 0;
  readonly #nonce: Uint8Array;
  readonly #scratchNonce = new Uint8Array(24);
  readonly #plain = new Uint8Array(MAX_DATA_PACKET_SIZE);
  #index = 0;
  #replay = new ReplayWindow();
  #counter = 0;
  #counterAt = 0;
  readonly #fastAcks: boolean;
  #unacked = 0;

  /** A receive side for the peer's base nonce; `fastAcks` see {@link requestInterval}. */
  constructor(baseNonce: Uint8Array, fastAcks = false) {
    this.#nonce = baseNonce.slice();
    this.#fastAcks = fastAcks;
  }

  /**
   * Opens a data packet with `key`: its plaintext (a view into a buffer reused by the next
   * call, so take what you keep) or why it was refused. The nonce moves on only for a
   * packet that opened and decoded.
   */
  open(p: DataPacket, crypto: CryptoBackend, key: Uint8Array): DataPlain | OpenFailure {
    const n = this.#nonce;
    const diff = (p.nonceLow - ((n[22]! << 8) | n[23]!)) & 0xffff;
    const index = this.#index + diff;
    if (this.#replay.seen(index)) return "replay";
    const nonce = this.#scratchNonce;
    nonce.set(n);
    incrementNonceBy(nonce, diff);
    let plain: Uint8Array | null;
    if (crypto.openInto && p.box.length >= MAC_SIZE) {
      const out = this.#plain.subarray(0, p.box.length - MAC_SIZE);
      plain = crypto.openInto(out, p.box, nonce, key) ? out : null;
    } else plain = crypto.open(p.box, nonce, key);
    if (plain === null) return "badBox";
    let d;
    try {
      d = decodeDataPlain(plain);
    } catch (e) {
      if (e instanceof WireError) return "malformed";
      throw e;
    }
    this.#replay.mark(index);
    if (diff > 2 * DATA_NUM_THRESHOLD) {
      incrementNonceBy(n, DATA_NUM_THRESHOLD);
      this.#index += DATA_NUM_THRESHOLD;
    }
    return d;
  }

  /** Counts a lossless packet that went into the ring. */
  countLossless(): void {
    this.#counter++;
    this.#unacked++;
  }

  /** Starts the receive-rate clock (when the session becomes established). */
  startClock(now: number): void {
    this.#counterAt = now;
  }

  /** Recomputes the receive rate when 50 ms have passed. */
  tick(now: number): void {
    if (now > this.#counterAt + COUNTER_INTERVAL_MS) {
      this.rate = this.#counter / ((now - this.#counterAt) / 1000);
      this.#counter = 0;
      this.#counterAt = now;
    }
  }

  /**
   * c-toxcore's request interval: 50-1000 ms from the receive rate and ring fill; with
   * `fastAcks`, {@link FAST_ACK_INTERVAL_MS} while lossless data arrived since the last
   * request or packets are missing, so that a delivery-rate sender sees its
   * acknowledgements, and its losses, soon.
   */
  requestInterval(established: boolean): number {
    if (this.#fastAcks && established && (this.#unacked > 0 || this.ring.span > 0)) {
      return FAST_ACK_INTERVAL_MS;
    }
    if (!established || this.rate <= MIN_RATE) return SEND_PACKET_INTERVAL_MS;
    const a = REQUEST_COMPARE_CONSTANT / ((this.ring.span + 1) / (this.rate + 1));
    const b = (MIN_RATE / this.rate) * SEND_PACKET_INTERVAL_MS + COUNTER_INTERVAL_MS;
    return Math.min(SEND_PACKET_INTERVAL_MS, Math.max(COUNTER_INTERVAL_MS, Math.min(a, b)));
  }

  /** The packet-request payload for what the ring is missing. */
  request(): Uint8Array {
    this.#unacked = 0;
    const r = this.ring;
    return encodeRequest(r.start, r.end, (n) => r.has(n));
  }
}
