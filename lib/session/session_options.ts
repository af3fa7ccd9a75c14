/**
 * Options of a {@link Session} and the choice of pacer.
 *
 * @example
 * ```ts
 * import { LOSS_TOLERANCE, type Pacer } from "./session_options.ts";
 * const p: Pacer = "lossTolerant";
 * console.assert(p === "lossTolerant" && LOSS_TOLERANCE === 0.1);
 * ```
 * @module
 */
import type { CryptoBackend, KeyPair } from "../crypto/backend.ts";
import type { CookieJar } from "./cookie.ts";
/**
 * How a session paces lossless data: `"deliveryRate"` (the default) paces at the measured
 * delivery rate with a flight cap (BBR-like, see `delivery_rate.ts`); `"toxcore"` is
 * c-toxcore 0.2.18's rule, where any resend that exhausts the token bucket counts as
 * congestion; `"lossTolerant"` is that rule where only a 600 ms window whose resends exceed
 * 10 % of its sends counts. All three put the same valid bytes on the wire.
 */
export type Pacer = "deliveryRate" | "toxcore" | "lossTolerant";

/** Resend fraction above which the loss-tolerant pacer sees congestion. */
export const LOSS_TOLERANCE = 0.1;

/** What a {@link Session} needs. */
export interface SessionOptions {
  /** Crypto backend. */
  crypto: CryptoBackend;
  /** Random source; seed it for reproducible runs. */
  random: (n: number) => Uint8Array;
  /** Our cookie jar. */
  jar: CookieJar;
  /** Our real (long-term) key pair. */
  self: KeyPair;
  /** Our DHT key pair. */
  selfDht: KeyPair;
  /** The peer's real public key. */
  peerRealPublicKey: Uint8Array;
  /** The peer's DHT public key. */
  peerDhtPublicKey: Uint8Array;
  /** Lossless payloads waiting for the rate control before `send` refuses (default 8192). */
  outboxLimit?: number;
  /** Rate control (default `"deliveryRate"`). */
  pacer?: Pacer;
}
