/**
 * Sizes, packet ids and limits of the transfer protocol (`peerkit send`), carried on a
 * {@link import("../link/channel.ts").PeerChannel} in the ids 168-175.
 *
 * @example
 * ```ts
 * import { DATA_CHUNK, TRANSFER } from "./constants.ts";
 * console.assert(TRANSFER.DATA === 171 && DATA_CHUNK === 1372);
 * ```
 * @module
 */
import { MAX_MESSAGE } from "../link/channel.ts";

/** Packet ids of the transfer protocol. */
export const TRANSFER = {
  /** Sender → receiver: what is coming (kind, name, size, hash, transfer id). */
  OFFER: 168,
  /** Receiver → sender: go ahead from this offset; the hash of the prefix already held. */
  ACCEPT: 169,
  /** Receiver → sender: not taken, with a reason code and text. */
  REFUSE: 170,
  /** Sender → receiver: `[171][bytes]`, the content in order. */
  DATA: 171,
  /** Sender → receiver: the content is complete (total size and SHA-256). */
  END: 172,
  /** Receiver → sender: stored or failed, the hash of what was stored, the final name. */
  RESULT: 173,
  /** Receiver → sender: bytes held so far (every {@link PROGRESS_EVERY} bytes), for the bar. */
  PROGRESS: 174,
  /** Either side: the transfer is abandoned, with a reason. */
  ABORT: 175,
} as const;

/** A transfer packet id. */
export type TransferId = typeof TRANSFER[keyof typeof TRANSFER];

/** Bytes of content in one data message (a channel message less its packet id). */
export const DATA_CHUNK = MAX_MESSAGE - 1;

/** Bytes of a transfer id. */
export const XFER_ID_SIZE = 8;

/** Bytes of a SHA-256. */
export const HASH_SIZE = 32;

/** The size field's value for "size not known in advance" (a stream from stdin). */
export const UNKNOWN_SIZE = 2 ** 53 - 1;

/** Longest file name, in UTF-8 bytes (the common file-system limit). */
export const MAX_NAME_BYTES = 255;

/** Longest reason text carried in a refuse, abort or failed result, in UTF-8 bytes. */
export const MAX_REASON_BYTES = 512;

/** Largest message (`kind` message) a receiver prints, in bytes. */
export const MAX_TEXT_BYTES = 1 << 20;

/** What is offered. */
export const KIND = {
  /** A text message, printed on the receiver's stdout. */
  MESSAGE: 1,
  /** A file of known size and hash, saved under its base name; resumable. */
  FILE: 2,
  /** A stream of unknown size (stdin), saved under a name; not resumable. */
  STREAM: 3,
} as const;

/** Why a receiver refuses. */
export const REFUSE_CODE = {
  /** The name is not a plain base name (`/`, `..`, control characters, empty, too long). */
  BAD_NAME: 1,
  /** The receiver saves no files (no `--save-dir`). */
  NO_FILES: 2,
  /** Too large (a message over {@link MAX_TEXT_BYTES}). */
  TOO_LARGE: 3,
  /** The name is taken and the receiver does not number names. */
  EXISTS: 4,
  /** The receiver cannot store it (disk, permissions). */
  STORE: 5,
  /** Anything else (a second transfer while one runs, a malformed offer). */
  OTHER: 6,
} as const;

/** A receiver reports progress each time this many more content bytes have arrived. */
export const PROGRESS_EVERY = 256 * 1024;

/** The offer's kind byte with this bit set: drop any held prefix, start from 0. */
export const FRESH_BIT = 0x80;

/** Ms without a message from the sender after which a receiver gives a transfer up. */
export const IDLE_TIMEOUT_MS = 30_000;
