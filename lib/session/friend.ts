/**
 * Friend-connection packets on top of a session (tox-protocol §6.10, friend_connection.c):
 * an alive packet `[16]` every 8 s, the connection dead after 32 s with nothing received,
 * and the share-relays packet `[17][packed TCP relays, up to 3]`, sent every 120 s.
 *
 * @example
 * ```ts
 * import { FriendLiveness } from "./friend.ts";
 * const f = new FriendLiveness(0);
 * console.assert(f.poll(0).sendAlive && !f.poll(8000).sendAlive && f.poll(8001).sendAlive);
 * console.assert(f.poll(32_001).dead);
 * ```
 * @module
 */
import { type NodeInfo, packNodes, unpackNodes } from "../dht/packed_node.ts";
import { concat } from "../util/bytes.ts";
import { WireError } from "../util/wire_error.ts";
import {
  FRIEND_ALIVE,
  FRIEND_CONNECTION_TIMEOUT_MS,
  FRIEND_PING_INTERVAL_MS,
  FRIEND_SHARE_RELAYS,
  MAX_SHARED_RELAYS,
} from "./constants.ts";

/** The alive payload. */
export const ALIVE_PACKET: Uint8Array = new Uint8Array([FRIEND_ALIVE]);

/** What the owner should do now. */
export interface LivenessAction {
  /** Send {@link ALIVE_PACKET} (lossless) now. */
  sendAlive: boolean;
  /** Nothing was heard for 32 s: end the session. */
  dead: boolean;
}

/**
 * The alive / timeout clock of one friend connection, sans-IO.
 *
 * @example
 * ```ts
 * import { FriendLiveness } from "./friend.ts";
 * const f = new FriendLiveness(0);
 * f.received(20_000);
 * console.assert(!f.poll(40_000).dead && f.poll(52_001).dead);
 * ```
 */
export class FriendLiveness {
  #lastReceived: number;
  #lastSent = -Infinity;

  /** A clock for a connection that came up at `now`. */
  constructor(now: number) {
    this.#lastReceived = now;
  }

  /** Something arrived from the friend at `now`. */
  received(now: number): void {
    this.#lastReceived = Math.max(this.#lastReceived, now);
  }

  /** What is due at `now`; when `sendAlive` is true the send is counted as done. */
  poll(now: number): LivenessAction {
    const dead = this.#lastReceived + FRIEND_CONNECTION_TIMEOUT_MS < now;
    const sendAlive = !dead && this.#lastSent + FRIEND_PING_INTERVAL_MS < now;
    if (sendAlive) this.#lastSent = now;
    return { sendAlive, dead };
  }

  /** When {@link poll} next has something to say (ms). */
  nextTimeout(): number {
    return Math.min(
      this.#lastSent + FRIEND_PING_INTERVAL_MS + 1,
      this.#lastReceived + FRIEND_CONNECTION_TIMEOUT_MS + 1,
    );
  }
}

/**
 * Encodes a share-relays payload; relays are written with the TCP families (130/138).
 * Throws `RangeError` for more than 3 relays.
 *
 * @example
 * ```ts
 * import { encodeShareRelays } from "./friend.ts";
 * const b = encodeShareRelays([{ publicKey: new Uint8Array(32), addr: { hostname: "127.0.0.1", port: 33445 } }]);
 * console.assert(b[0] === 17 && b[1] === 130 && b.length === 40);
 * ```
 */
export function encodeShareRelays(relays: readonly NodeInfo[]): Uint8Array {
  if (relays.length > MAX_SHARED_RELAYS) throw new RangeError("at most 3 relays");
  return concat(
    new Uint8Array([FRIEND_SHARE_RELAYS]),
    packNodes(relays.map((r) => ({ ...r, tcp: true }))),
  );
}

/**
 * Decodes a share-relays payload (up to 3 relays; bytes after them are ignored, as
 * c-toxcore ignores them). Throws only `WireError`.
 *
 * @example
 * ```ts
 * import { decodeShareRelays, encodeShareRelays } from "./friend.ts";
 * const r = { publicKey: new Uint8Array(32).fill(1), addr: { hostname: "::1", port: 3389 } };
 * console.assert(decodeShareRelays(encodeShareRelays([r]))[0]!.addr.port === 3389);
 * ```
 */
export function decodeShareRelays(b: Uint8Array): NodeInfo[] {
  if (b.length === 0) throw new WireError("TRUNCATED", "empty share-relays packet");
  if (b[0] !== FRIEND_SHARE_RELAYS) throw new WireError("BAD_TYPE", `not share-relays: ${b[0]}`);
  return unpackNodes(b.subarray(1), { max: MAX_SHARED_RELAYS, allowTcp: true }).nodes;
}
