/**
 * One accepted connection of the relay server core and its route slots: the record
 * {@link RelayServer} keeps per socket, from the handshake to the close.
 *
 * @example
 * ```ts
 * import { newConn } from "./server_conn.ts";
 * const c = newConn(1, { hostname: "127.0.0.1", port: 5000 }, 0);
 * console.assert(c.state === "handshake" && c.out.length === 0);
 * ```
 * @module
 */
import type { Addr } from "../net/addr.ts";
import { type FrameCodec, FrameReader } from "./framing.ts";
import type { TokenBucket } from "./rate.ts";

/** One route slot of a connection: the key it asked for and, once both ends ask, the other end. */
export interface Slot {
  /** The key the client asked to be routed to. */
  key: Uint8Array;
  /** `key` in hex. */
  hex: string;
  /** True once the other client asked for us too. */
  online: boolean;
  /** The other end while online. */
  other: Conn | null;
  /** Our slot index in the other end's slots. */
  otherSlot: number;
}

/** An accepted socket as the server core sees it. */
export interface Conn {
  /** The number the driver knows the socket by. */
  id: number;
  /** The peer's IP (for per-IP caps). */
  ip: string;
  /** Handshake not done, done but no packet yet, or in use. */
  state: "handshake" | "unconfirmed" | "confirmed";
  /** When the socket was accepted (ms). */
  opened: number;
  /** Handshake bytes gathered so far. */
  hs: Uint8Array | null;
  /** How many of `hs` are filled. */
  hsLen: number;
  /** Splits the byte stream into frames. */
  reader: FrameReader;
  /** Seals and opens frames once the handshake is done. */
  codec: FrameCodec | null;
  /** The client's public key once the handshake is done. */
  key: Uint8Array | null;
  /** `key` in hex once confirmed. */
  hex: string;
  /** Route slots, made on the first routing request. */
  slots: (Slot | null)[] | null;
  /** Slots in use. */
  slotCount: number;
  /** When we last sent a keep-alive ping (ms). */
  lastPinged: number;
  /** The ping id we wait a pong for. */
  pingId: Uint8Array | null;
  /** Sealed frames waiting for the driver. */
  out: Uint8Array[];
  /** Bytes in `out`. */
  outBytes: number;
  /** Since when the queue is full (slow-reader clock). */
  fullSince: number | null;
  /** The client's rate limit, when one is set. */
  bucket: TokenBucket | null;
}

/**
 * A connection just accepted from `from` at `now`.
 *
 * @example
 * ```ts
 * import { newConn } from "./server_conn.ts";
 * console.assert(newConn(7, { hostname: "10.0.0.1", port: 1 }, 5).ip === "10.0.0.1");
 * ```
 */
export function newConn(id: number, from: Addr, now: number): Conn {
  return {
    id,
    ip: from.hostname,
    state: "handshake",
    opened: now,
    hs: null,
    hsLen: 0,
    reader: new FrameReader(),
    codec: null,
    key: null,
    hex: "",
    slots: null,
    slotCount: 0,
    lastPinged: now,
    pingId: null,
    out: [],
    outBytes: 0,
    fullSince: null,
    bucket: null,
  };
}

/**
 * Takes every queued frame of `c` as one buffer (`null` when none) and empties the queue.
 *
 * @example
 * ```ts
 * import { newConn, takeQueued } from "./server_conn.ts";
 * const c = newConn(1, { hostname: "127.0.0.1", port: 1 }, 0);
 * c.out.push(new Uint8Array([1]), new Uint8Array([2, 3]));
 * c.outBytes = 3;
 * console.assert(takeQueued(c)?.length === 3 && takeQueued(c) === null);
 * ```
 */
export function takeQueued(c: Conn): Uint8Array | null {
  if (c.out.length === 0) return null;
  let out: Uint8Array;
  if (c.out.length === 1) out = c.out[0]!;
  else {
    out = new Uint8Array(c.outBytes);
    let off = 0;
    for (const f of c.out) {
      out.set(f, off);
      off += f.length;
    }
  }
  c.out = [];
  c.outBytes = 0;
  c.fullSince = null;
  return out;
}
