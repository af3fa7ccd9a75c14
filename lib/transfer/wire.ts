/**
 * The transfer codec: one tagged union, {@link TransferMessage}, for the packet ids 168-175
 * a `send` and its receiver exchange on a channel. Integers are big-endian; a `u64` holds at
 * most 2^53 - 1. `text` is UTF-8 running to the end of the message.
 *
 * ```
 * offer    [168][id 8][kind 1][size u64][sha256 32][name text ≤ 255]  stream: size all ones, hash zeros;
 *                                                                      kind | 0x80: fresh (no resume)
 * accept   [169][id 8][offset u64][sha256 of the receiver's first `offset` bytes 32]
 * refuse   [170][id 8][code 1][reason text]
 * data     [171][bytes 1..1372]                                      the content from the offset on
 * end      [172][size u64][sha256 32]
 * result   [173][id 8][ok 1][size u64][sha256 of what was stored 32][final name or reason text]
 * progress [174][id 8][bytes held u64]
 * abort    [175][reason text]
 * ```
 *
 * `decodeTransfer` throws only {@link WireError}.
 *
 * @example
 * ```ts
 * import { decodeTransfer, encodeTransfer } from "./wire.ts";
 * const bytes = encodeTransfer({ type: "data", bytes: new Uint8Array([1, 2]) });
 * console.assert(bytes[0] === 171);
 * const m = decodeTransfer(bytes);
 * console.assert(m.type === "data" && m.bytes.length === 2);
 * ```
 * @module
 */
import { WireError } from "../util/wire_error.ts";
import {
  DATA_CHUNK,
  FRESH_BIT,
  HASH_SIZE,
  KIND,
  MAX_NAME_BYTES,
  MAX_REASON_BYTES,
  TRANSFER,
  UNKNOWN_SIZE,
  XFER_ID_SIZE,
} from "./constants.ts";

/** What an offer carries. */
export type OfferKind = "message" | "file" | "stream";

/** One transfer message. */
export type TransferMessage =
  | {
    type: "offer";
    id: Uint8Array;
    kind: OfferKind;
    name: string;
    /** Bytes of content; `null` for a stream of unknown size. */
    size: number | null;
    /** SHA-256 of the whole content; `null` for a stream. */
    hash: Uint8Array | null;
    /** Drop any bytes held from an earlier run (the sender's prefix differs). */
    fresh?: boolean;
  }
  | { type: "accept"; id: Uint8Array; offset: number; prefixHash: Uint8Array }
  | { type: "refuse"; id: Uint8Array; code: number; reason: string }
  | { type: "data"; bytes: Uint8Array }
  | { type: "end"; size: number; hash: Uint8Array }
  | { type: "result"; id: Uint8Array; ok: boolean; size: number; hash: Uint8Array; text: string }
  | { type: "progress"; id: Uint8Array; held: number }
  | { type: "abort"; reason: string };

const KIND_CODE: Record<OfferKind, number> = {
  message: KIND.MESSAGE,
  file: KIND.FILE,
  stream: KIND.STREAM,
};
const KIND_NAME = new Map<number, OfferKind>(
  Object.entries(KIND_CODE).map(([k, v]) => [v, k as OfferKind]),
);

const enc = new TextEncoder();
const dec = new TextDecoder("utf-8", { fatal: true });

/** Fixed bytes (packet id included) before each message's variable tail. */
const FIXED: Record<TransferMessage["type"], number> = {
  offer: 1 + XFER_ID_SIZE + 1 + 8 + HASH_SIZE,
  accept: 1 + XFER_ID_SIZE + 8 + HASH_SIZE,
  refuse: 1 + XFER_ID_SIZE + 1,
  data: 1,
  end: 1 + 8 + HASH_SIZE,
  result: 1 + XFER_ID_SIZE + 1 + 8 + HASH_SIZE,
  progress: 1 + XFER_ID_SIZE + 8,
  abort: 1,
};

function tail(m: TransferMessage): Uint8Array {
  switch (m.type) {
    case "offer":
      return enc.encode(m.name);
    case "refuse":
    case "abort":
      return enc.encode(m.reason);
    case "result":
      return enc.encode(m.text);
    case "data":
      return m.bytes;
    default:
      return new Uint8Array(0);
  }
}

/**
 * Bytes of `m` once encoded.
 *
 * @example
 * ```ts
 * import { encodedTransferLength, encodeTransfer } from "./wire.ts";
 * const m = { type: "abort" as const, reason: "stop" };
 * console.assert(encodedTransferLength(m) === encodeTransfer(m).length);
 * ```
 */
export function encodedTransferLength(m: TransferMessage): number {
  return FIXED[m.type] + tail(m).length;
}

function putU64(out: DataView, at: number, v: number, what: string): void {
  if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`${what} must be 0..2^53-1`);
  out.setUint32(at, Math.floor(v / 2 ** 32));
  out.setUint32(at + 4, v >>> 0);
}

function getU64(b: DataView, at: number, what: string): number {
  const hi = b.getUint32(at), lo = b.getUint32(at + 4);
  if (hi >= 2 ** 21) throw new WireError("BAD_VALUE", `${what} above 2^53-1`);
  return hi * 2 ** 32 + lo;
}

function checkLen(a: Uint8Array, n: number, what: string): void {
  if (a.length !== n) throw new RangeError(`${what} must be ${n} bytes`);
}

function checkTail(t: Uint8Array, max: number, what: string): void {
  if (t.length > max) throw new RangeError(`${what} longer than ${max} bytes`);
}

/**
 * Encodes one message. Throws `RangeError` on fields out of range (a wrong-sized id or hash,
 * a name over 255 bytes, data empty or over 1372 bytes).
 *
 * @example
 * ```ts
 * import { encodeTransfer } from "./wire.ts";
 * const b = encodeTransfer({ type: "progress", id: new Uint8Array(8), held: 5 });
 * console.assert(b.length === 17 && b[16] === 5);
 * ```
 */
export function encodeTransfer(m: TransferMessage): Uint8Array {
  const t = tail(m);
  const out = new Uint8Array(FIXED[m.type] + t.length);
  const v = new DataView(out.buffer);
  out[0] = TRANSFER[m.type.toUpperCase() as Uppercase<TransferMessage["type"]>];
  if ("id" in m) {
    checkLen(m.id, XFER_ID_SIZE, "transfer id");
    out.set(m.id, 1);
  }
  const at = 1 + XFER_ID_SIZE;
  switch (m.type) {
    case "offer":
      checkTail(t, MAX_NAME_BYTES, "name");
      out[at] = KIND_CODE[m.kind] | (m.fresh ? FRESH_BIT : 0);
      putU64(v, at + 1, m.size ?? UNKNOWN_SIZE, "size");
      if (m.hash) {
        checkLen(m.hash, HASH_SIZE, "hash");
        out.set(m.hash, at + 9);
      }
      break;
    case "accept":
      putU64(v, at, m.offset, "offset");
      checkLen(m.prefixHash, HASH_SIZE, "prefix hash");
      out.set(m.prefixHash, at + 8);
      break;
    case "refuse":
      checkTail(t, MAX_REASON_BYTES, "reason");
      if (!Number.isInteger(m.code) || m.code < 0 || m.code > 255) throw new RangeError("code");
      out[at] = m.code;
      break;
    case "data":
      if (t.length === 0 || t.length > DATA_CHUNK) throw new RangeError("data must be 1..1372");
      break;
    case "end":
      putU64(v, 1, m.size, "size");
      checkLen(m.hash, HASH_SIZE, "hash");
      out.set(m.hash, 9);
      break;
    case "result":
      checkTail(t, MAX_REASON_BYTES, "text");
      out[at] = m.ok ? 1 : 0;
      putU64(v, at + 1, m.size, "size");
      checkLen(m.hash, HASH_SIZE, "hash");
      out.set(m.hash, at + 9);
      break;
    case "progress":
      putU64(v, at, m.held, "held");
      break;
    case "abort":
      checkTail(t, MAX_REASON_BYTES, "reason");
      break;
  }
  out.set(t, FIXED[m.type]);
  return out;
}

function text(b: Uint8Array, max: number, what: string): string {
  if (b.length > max) throw new WireError("TOO_LARGE", `${what} longer than ${max} bytes`);
  try {
    return dec.decode(b);
  } catch {
    throw new WireError("BAD_VALUE", `${what} is not UTF-8`);
  }
}

const TYPE_OF = new Map<number, TransferMessage["type"]>(
  Object.entries(TRANSFER).map(([k, v]) => [v, k.toLowerCase() as TransferMessage["type"]]),
);

/**
 * True when `msg` is a transfer message (packet id 168-175).
 *
 * @example
 * ```ts
 * import { isTransferMessage } from "./wire.ts";
 * console.assert(isTransferMessage(new Uint8Array([168])) && !isTransferMessage(new Uint8Array([160])));
 * ```
 */
export function isTransferMessage(msg: Uint8Array): boolean {
  return msg.length > 0 && TYPE_OF.has(msg[0]!);
}

/**
 * Decodes one transfer message (bytes from the network). Throws only {@link WireError}:
 * `BAD_TYPE` for another packet id, `TRUNCATED`/`BAD_LENGTH` for wrong sizes, `BAD_VALUE`
 * for an unknown kind, a u64 over 2^53 - 1 or text that is not UTF-8, `TOO_LARGE` for a
 * name or reason over its limit. Fields are copies, not views of `bytes`.
 *
 * @example
 * ```ts
 * import { decodeTransfer } from "./wire.ts";
 * import { WireError } from "../util/wire_error.ts";
 * try { decodeTransfer(new Uint8Array([169, 1])); } catch (e) { console.assert(e instanceof WireError); }
 * ```
 */
export function decodeTransfer(bytes: Uint8Array): TransferMessage {
  const type = bytes.length > 0 ? TYPE_OF.get(bytes[0]!) : undefined;
  if (type === undefined) throw new WireError("BAD_TYPE", "not a transfer message");
  const fixed = FIXED[type];
  if (bytes.length < fixed) throw new WireError("TRUNCATED", `${type} shorter than ${fixed}`);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const id = bytes.slice(1, 1 + XFER_ID_SIZE);
  const at = 1 + XFER_ID_SIZE;
  const rest = bytes.subarray(fixed);
  const exact = () => {
    if (rest.length !== 0) throw new WireError("BAD_LENGTH", `${type} has trailing bytes`);
  };
  switch (type) {
    case "offer": {
      const kind = KIND_NAME.get(bytes[at]! & ~FRESH_BIT);
      if (kind === undefined) throw new WireError("BAD_VALUE", `unknown kind ${bytes[at]}`);
      const raw = getU64(v, at + 1, "size");
      const hash = bytes.slice(at + 9, at + 9 + HASH_SIZE);
      const stream = kind === "stream";
      return {
        type,
        id,
        kind,
        name: text(rest, MAX_NAME_BYTES, "name"),
        size: stream && raw === UNKNOWN_SIZE ? null : raw,
        hash: stream ? null : hash,
        ...((bytes[at]! & FRESH_BIT) !== 0 ? { fresh: true } : {}),
      };
    }
    case "accept":
      exact();
      return {
        type,
        id,
        offset: getU64(v, at, "offset"),
        prefixHash: bytes.slice(at + 8, at + 8 + HASH_SIZE),
      };
    case "refuse":
      return { type, id, code: bytes[at]!, reason: text(rest, MAX_REASON_BYTES, "reason") };
    case "data":
      if (rest.length === 0) throw new WireError("TRUNCATED", "empty data");
      if (rest.length > DATA_CHUNK) throw new WireError("TOO_LARGE", "data over 1372 bytes");
      return { type, bytes: rest.slice() };
    case "end":
      exact();
      return { type, size: getU64(v, 1, "size"), hash: bytes.slice(9, 9 + HASH_SIZE) };
    case "result":
      return {
        type,
        id,
        ok: bytes[at] === 1,
        size: getU64(v, at + 1, "size"),
        hash: bytes.slice(at + 9, at + 9 + HASH_SIZE),
        text: text(rest, MAX_REASON_BYTES, "text"),
      };
    case "progress":
      exact();
      return { type, id, held: getU64(v, at, "held") };
    case "abort":
      return { type, reason: text(rest, MAX_REASON_BYTES, "reason") };
  }
}
