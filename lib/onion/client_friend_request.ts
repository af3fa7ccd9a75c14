/**
 * Friend requests as onion data (friend_requests.c): `[0x20][nospam 4][message 1..1016]`,
 * and the receiver's filter, which checks the nospam and ignores the last 32 senders it
 * already saw.
 *
 * @example
 * ```ts
 * import { decodeFriendRequest, encodeFriendRequest } from "./client_friend_request.ts";
 * const nospam = new Uint8Array([1, 2, 3, 4]);
 * const b = encodeFriendRequest({ nospam, message: new TextEncoder().encode("hi") });
 * console.assert(b.length === 7 && decodeFriendRequest(b).message.length === 2);
 * ```
 * @module
 */
import { WireError } from "../util/wire_error.ts";
import { keyEquals } from "../dht/distance.ts";

/** Onion data id of a friend request (32). */
export const FRIEND_REQUEST_ID = 0x20;
/** Longest friend request message (TOX_MAX_FRIEND_REQUEST_LENGTH). */
export const MAX_FRIEND_REQUEST_MESSAGE = 1016;
/** Senders a receiver remembers to drop repeats (MAX_RECEIVED_STORED). */
export const FRIEND_REQUEST_SENDERS_KEPT = 32;

/** A friend request body. */
export interface FriendRequest {
  /** The 4 nospam bytes of the receiver's Tox ID. */
  nospam: Uint8Array;
  /** 1..1016 bytes, UTF-8 text in Tox clients. */
  message: Uint8Array;
}

/**
 * Encodes a friend request; `RangeError` for an empty or too long message.
 *
 * @example
 * ```ts
 * import { encodeFriendRequest } from "./client_friend_request.ts";
 * const b = encodeFriendRequest({ nospam: new Uint8Array(4), message: new Uint8Array([65]) });
 * console.assert(b[0] === 0x20 && b[5] === 65);
 * ```
 */
export function encodeFriendRequest(r: FriendRequest): Uint8Array {
  if (r.nospam.length !== 4) throw new TypeError("nospam must be 4 bytes");
  if (r.message.length < 1 || r.message.length > MAX_FRIEND_REQUEST_MESSAGE) {
    throw new RangeError(`a friend request message is 1..${MAX_FRIEND_REQUEST_MESSAGE} bytes`);
  }
  const out = new Uint8Array(5 + r.message.length);
  out[0] = FRIEND_REQUEST_ID;
  out.set(r.nospam, 1);
  out.set(r.message, 5);
  return out;
}

/**
 * Decodes a friend request; {@link WireError} on a wrong id, no message or a too long one.
 *
 * @example
 * ```ts
 * import { decodeFriendRequest } from "./client_friend_request.ts";
 * console.assert(decodeFriendRequest(new Uint8Array([0x20, 0, 0, 0, 9, 65])).nospam[3] === 9);
 * ```
 */
export function decodeFriendRequest(b: Uint8Array): FriendRequest {
  if (b.length < 6) throw new WireError("TRUNCATED", "friend request too short");
  if (b[0] !== FRIEND_REQUEST_ID) throw new WireError("BAD_TYPE", `friend request id ${b[0]}`);
  if (b.length > 5 + MAX_FRIEND_REQUEST_MESSAGE) {
    throw new WireError("TOO_LARGE", "friend request message too long");
  }
  return { nospam: b.slice(1, 5), message: b.slice(5) };
}

/** What {@link FriendRequestFilter.check} decided. */
export type FriendRequestVerdict = "accept" | "bad_nospam" | "repeat";

/**
 * The receiver's checks: the nospam must be ours and a sender among the last 32 accepted is
 * ignored (a ring, as c-toxcore keeps it).
 *
 * @example
 * ```ts
 * import { FriendRequestFilter } from "./client_friend_request.ts";
 * const f = new FriendRequestFilter(new Uint8Array(4)), pk = new Uint8Array(32);
 * const req = { nospam: new Uint8Array(4), message: new Uint8Array([1]) };
 * console.assert(f.check(pk, req) === "accept" && f.check(pk, req) === "repeat");
 * ```
 */
export class FriendRequestFilter {
  /** Our current nospam. */
  nospam: Uint8Array;
  readonly #seen: Uint8Array[] = [];
  readonly #size: number;
  #next = 0;

  /** A filter for `nospam`, remembering `size` senders (default 32). */
  constructor(nospam: Uint8Array, size = FRIEND_REQUEST_SENDERS_KEPT) {
    this.nospam = nospam;
    this.#size = size;
  }

  /** Checks a request from `sender` (its real pk) and remembers accepted senders. */
  check(sender: Uint8Array, req: FriendRequest): FriendRequestVerdict {
    if (req.nospam.length !== 4 || req.nospam.some((b, i) => b !== this.nospam[i])) {
      return "bad_nospam";
    }
    if (this.#seen.some((k) => keyEquals(k, sender))) return "repeat";
    this.#seen[this.#next] = sender.slice();
    this.#next = (this.#next + 1) % this.#size;
    return "accept";
  }

  /** Forgets a sender so it may ask again (c-toxcore `remove_request_received`). */
  forget(sender: Uint8Array): void {
    const i = this.#seen.findIndex((k) => keyEquals(k, sender));
    if (i >= 0) this.#seen[i] = new Uint8Array(0);
  }
}
