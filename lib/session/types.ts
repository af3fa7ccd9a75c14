/**
 * Shared types of the session layer: states, events, counters.
 *
 * @example
 * ```ts
 * import type { SessionEvent } from "./types.ts";
 * const e: SessionEvent = { type: "established", peer: "ab" };
 * console.assert(e.type === "established");
 * ```
 * @module
 */

/** A session's state (tox-protocol §6.5). */
export type SessionState =
  | "cookieRequesting"
  | "handshakeSent"
  | "notConfirmed"
  | "established"
  | "closed";

/** Why a session ended. */
export type CloseReason = "killed" | "timeout" | "local" | "dhtKeyChanged";

/** What a session tells its owner; `peer` is the peer's real public key in hex. */
export type SessionEvent =
  | { type: "established"; peer: string }
  | { type: "data"; peer: string; data: Uint8Array }
  | { type: "lossy"; peer: string; data: Uint8Array }
  | { type: "closed"; peer: string; reason: CloseReason }
  | { type: "incoming"; peer: string; dhtPublicKey: Uint8Array };

/** Why an incoming datagram was dropped. */
export type DropReason =
  | "malformed"
  | "badBox"
  | "badEcho"
  | "badCookie"
  | "wrongState"
  | "unknownPeer"
  | "notFriend"
  | "replay"
  | "badAck"
  | "badRequest"
  | "duplicate"
  | "reservedId";

/** Counters of one session or host. */
export interface SessionStats {
  /** Datagrams emitted. */
  sent: number;
  /** Lossless packets resent on request. */
  resent: number;
  /** Valid data packets received. */
  received: number;
  /** Drops by reason. */
  dropped: Record<DropReason, number>;
}

/**
 * Fresh zeroed counters.
 *
 * @example
 * ```ts
 * import { newStats } from "./types.ts";
 * console.assert(newStats().dropped.replay === 0);
 * ```
 */
export function newStats(): SessionStats {
  return {
    sent: 0,
    resent: 0,
    received: 0,
    dropped: {
      malformed: 0,
      badBox: 0,
      badEcho: 0,
      badCookie: 0,
      wrongState: 0,
      unknownPeer: 0,
      notFriend: 0,
      replay: 0,
      badAck: 0,
      badRequest: 0,
      duplicate: 0,
      reservedId: 0,
    },
  };
}
