/**
 * The seam between the link (sessions on the best path, `lib/link`) and what runs on it
 * (`connect`'s byte stream, `send`'s transfers): a reliable, ordered channel of messages to
 * one authenticated peer. A message is one lossless net_crypto payload: its first byte is a
 * packet id in the custom lossless range 160-191, the whole message at most
 * {@link MAX_MESSAGE} bytes.
 *
 * Packet ids used by peerkit on a channel:
 *
 * | id      | name            | layout                   | owner          |
 * | ------- | --------------- | ------------------------ | -------------- |
 * | 160     | stream data     | `[160][bytes]`           | connect        |
 * | 161     | stream end      | `[161]` (half-close)     | connect        |
 * | 162     | refused         | `[162][utf-8 reason]`    | link listener  |
 * | 163     | bye             | `[163][utf-8 reason]`    | link           |
 * | 164     | peerkit hello   | `[164]`                  | link           |
 * | 168-175 | transfer        | see `lib/transfer`       | send / receive |
 *
 * The link sends `[164]` as its first message on every session and Messenger's online
 * packet `[24]` right after it, so a Tox client (c-toxcore) counts us online. A peer whose
 * first message is `[164]` is peerkit; one whose first is a Messenger id (24-159) is a Tox
 * client: its text messages `[64]` and actions `[65]` reach the channel, its other
 * Messenger packets (nickname, status, typing…) are counted and dropped. A Tox client takes
 * `[64][utf-8 text]`, text at most {@link TOX_MAX_MESSAGE_TEXT} bytes, once it has our `[24]`.
 *
 * @example
 * ```ts
 * import { MAX_MESSAGE, PACKET, isChannelId } from "./channel.ts";
 * console.assert(MAX_MESSAGE === 1373 && PACKET.STREAM_DATA === 160);
 * console.assert(isChannelId(170) && !isChannelId(16));
 * ```
 * @module
 */

/** Largest channel message, packet id included (net_crypto's `MAX_CRYPTO_DATA_SIZE`). */
export const MAX_MESSAGE = 1373;

/** Packet ids peerkit uses on a channel (the custom lossless range of net_crypto). */
export const PACKET = {
  /** `[160][bytes]`: bytes of `connect`'s stream. */
  STREAM_DATA: 160,
  /** `[161]`: the sender's stream ended (half-close). */
  STREAM_END: 161,
  /** `[162][utf-8 reason]`: the listener refuses this peer; a kill follows. */
  REFUSED: 162,
  /** `[163][utf-8 reason]`: a clean close with a reason; a kill follows. */
  BYE: 163,
  /** `[164]`: the first message of a peerkit link (a Tox client never sends it). */
  HELLO: 164,
  /** First id of the transfer protocol (`lib/transfer`). */
  TRANSFER_FIRST: 168,
  /** Last id of the transfer protocol. */
  TRANSFER_LAST: 175,
} as const;

/**
 * True for a packet id in the custom lossless range (160-191).
 *
 * @example
 * ```ts
 * import { isChannelId } from "./channel.ts";
 * console.assert(isChannelId(160) && isChannelId(191) && !isChannelId(192));
 * ```
 */
export function isChannelId(id: number): boolean {
  return id >= 160 && id <= 191;
}

/** Messenger packet ids of a Tox client (c-toxcore's `PACKET_ID_*`). */
export const MESSENGER = {
  /** `[24]`: the friend is online; a Tox client takes messages only after it. */
  ONLINE: 24,
  /** `[64][utf-8 text]`: a text message. */
  MESSAGE: 64,
  /** `[65][utf-8 text]`: an action ("/me …"). */
  ACTION: 65,
} as const;

/** Most text bytes in one Tox message (`TOX_MAX_MESSAGE_LENGTH`). */
export const TOX_MAX_MESSAGE_TEXT = 1372;

/**
 * True for a Messenger packet id (24-159: online, nickname, status, messages, files…).
 *
 * @example
 * ```ts
 * import { isMessengerId } from "./channel.ts";
 * console.assert(isMessengerId(24) && isMessengerId(64) && !isMessengerId(16) && !isMessengerId(160));
 * ```
 */
export function isMessengerId(id: number): boolean {
  return id >= MESSENGER.ONLINE && id < 160;
}

/** What kind of peer is on a channel: peerkit (sent `[164]`) or a Tox client. */
export type PeerKind = "peerkit" | "tox" | "unknown";

/** Which path carries a peer's traffic. */
export type PathKind = "relay" | "direct";

/** A change of path, reported on stderr and as a JSON line (`{"event":"path",…}`). */
export interface PathEvent {
  /** Always `"path"`. */
  event: "path";
  /** The peer's real key, upper-case hex. */
  peer: string;
  /** The path now carrying traffic, or `"none"` when no path is left. */
  path: PathKind | "none";
  /** The peer's UDP address on a direct path (`IP:PORT`). */
  remote?: string;
  /** The relay on a relay path (`IP:PORT`). */
  relay?: string;
  /** Why the path changed, in a few words. */
  why: string;
  /** ms since the link started. */
  atMs: number;
}

/** Why a channel ended. */
export type ChannelEnd =
  /** We closed it. */
  | { reason: "local" }
  /** The peer closed it cleanly (a bye or kill packet). */
  | { reason: "peer"; message?: string }
  /** The listener refused us, with its reason. */
  | { reason: "refused"; message: string }
  /** Nothing heard from the peer for too long (the friend connection timed out). */
  | { reason: "timeout" }
  /** The session could not be kept (every path lost). */
  | { reason: "lost"; message: string };

/**
 * A reliable, ordered, end-to-end encrypted message channel to one peer whose key the
 * session handshake proved. Backpressure: `send` resolves once the message is queued in
 * the session's send ring, waiting while the ring is full.
 */
export interface PeerChannel {
  /** The peer's real public key, upper-case hex. */
  readonly peer: string;
  /**
   * Queues one message (`msg[0]` a packet id 160-191, at most {@link MAX_MESSAGE} bytes).
   * Resolves when queued; rejects once the channel has ended.
   */
  send(msg: Uint8Array): Promise<void>;
  /** Subscribes to the peer's messages, in order; returns the unsubscribe function. */
  onMessage(fn: (msg: Uint8Array) => void): () => void;
  /** Resolves when every message queued so far has been acknowledged by the peer's session. */
  drained(): Promise<void>;
  /** Ends the channel: optionally a bye with a reason, then the kill packet. Idempotent. */
  close(reason?: string): Promise<void>;
  /** Resolves, never rejects, when the channel ends, with why. */
  readonly ended: Promise<ChannelEnd>;
  /** Paths used so far, in order (for reports: `["relay", "direct"]`). */
  readonly pathsUsed: readonly PathKind[];
  /**
   * Resolves with the peer's kind once its first message told it (`"unknown"` after
   * `timeoutMs` or when the channel ends). On a Tox client's channel `send` also takes
   * `[64]`/`[65]` messages.
   */
  peerKind?(timeoutMs: number): Promise<PeerKind>;
}

/**
 * A message `[id][utf-8 text]` (a refusal or a bye), the text cut to fit {@link MAX_MESSAGE}.
 *
 * @example
 * ```ts
 * import { PACKET, reasonMessage } from "./channel.ts";
 * const m = reasonMessage(PACKET.REFUSED, "busy");
 * console.assert(m[0] === 162 && m.length === 5);
 * ```
 */
export function reasonMessage(id: number, text: string): Uint8Array {
  const t = new TextEncoder().encode(text).subarray(0, MAX_MESSAGE - 1);
  const m = new Uint8Array(1 + t.length);
  m[0] = id;
  m.set(t, 1);
  return m;
}
