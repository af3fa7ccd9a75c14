/**
 * Envelopes of the onion packets (onion.c, onion_announce.c): pure codecs that split a
 * datagram into its fields without any cryptography. Layouts (`ret` = return blob):
 *
 * ```text
 * 0x80 [nonce 24][sender DHT pk 32][encrypted layer for A]
 * 0x81 [nonce 24][temp pk 32][encrypted layer for B][RETURN_1 59]
 * 0x82 [nonce 24][temp pk 32][encrypted layer for C][RETURN_2 118]
 * 0x8c [RETURN_3 177][payload]   0x8d [RETURN_2][payload]   0x8e [RETURN_1][payload]
 *      (payload starts with 0x84 or 0x86)
 * 0x83 [nonce 24][sender pk 32][encrypted 120]                            = 177
 * 0x84 [sendback 8][nonce 24][encrypted 49 + nodes]                       = 82..286
 * 0x85 [dest pk 32][nonce 24][ephemeral pk 32][encrypted]                 >= 106
 * 0x86 [nonce 24][ephemeral pk 32][encrypted]                             >= 74
 * ```
 *
 * @example
 * ```ts
 * import { decodeOnion, encodeOnion } from "./wire.ts";
 * const bytes = encodeOnion({
 *   type: "data_response", nonce: new Uint8Array(24), ephemeralPublicKey: new Uint8Array(32),
 *   encrypted: new Uint8Array(17),
 * });
 * console.assert(bytes[0] === 0x86 && decodeOnion(bytes).type === "data_response");
 * ```
 * @module
 */
import { WireError } from "../util/wire_error.ts";
import {
  ANNOUNCE_PLAIN_SIZE,
  ANNOUNCE_REQUEST_SIZE,
  ANNOUNCE_RESPONSE_MAX_SIZE,
  ANNOUNCE_RESPONSE_MIN_SIZE,
  DATA_REQUEST_MIN_SIZE,
  DATA_RESPONSE_MIN_SIZE,
  MAC_SIZE,
  NONCE_SIZE,
  ONION_KIND,
  ONION_MAX_PACKET_SIZE,
  ONION_RESPONSE_MAX_DATA_SIZE,
  ONION_RETURN_1,
  ONION_RETURN_2,
  ONION_RETURN_3,
  ONION_SEND_1,
  ONION_SEND_2,
  ONION_SEND_3,
  PUBLIC_KEY_SIZE,
  SENDBACK_SIZE,
} from "./constants.ts";

/** Position of a forward packet on the path: 0 = 0x80 (to A), 1 = 0x81 (to B), 2 = 0x82 (to C). */
export type RequestHop = 0 | 1 | 2;
/** Position of a response packet: 3 = 0x8c (to C), 2 = 0x8d (to B), 1 = 0x8e (to A). */
export type ResponseHop = 1 | 2 | 3;

/** 0x80 / 0x81 / 0x82: one layer on its way out, with the return blob gathered so far. */
export interface OnionRequestPacket {
  /** Discriminant. */
  type: "onion_request";
  /** Which hop receives it. */
  hop: RequestHop;
  /** The path nonce (the same for all three layers). */
  nonce: Uint8Array;
  /** Sender DHT pk (hop 0) or the temporary pk of this layer. */
  publicKey: Uint8Array;
  /** The encrypted layer for this hop. */
  encrypted: Uint8Array;
  /** Return blob: empty, RETURN_1 or RETURN_2 bytes for hops 0, 1, 2. */
  ret: Uint8Array;
}

/** 0x8c / 0x8d / 0x8e: a response travelling back, its return blob in front. */
export interface OnionResponsePacket {
  /** Discriminant. */
  type: "onion_response";
  /** 3 = 0x8c (RETURN_3), 2 = 0x8d (RETURN_2), 1 = 0x8e (RETURN_1). */
  hop: ResponseHop;
  /** The return blob for the receiving hop. */
  ret: Uint8Array;
  /** The response itself, starting with 0x84 or 0x86. */
  payload: Uint8Array;
}

/** 0x83: an announce or search request to an announce node. */
export interface AnnounceRequestPacket {
  /** Discriminant. */
  type: "announce_request";
  /** Random nonce. */
  nonce: Uint8Array;
  /** The key the request is encrypted with (real pk to announce, a temporary pk to search). */
  senderPublicKey: Uint8Array;
  /** Box of `[ping id 32][searched pk 32][data pk 32][sendback 8]` (120 bytes). */
  encrypted: Uint8Array;
}

/** 0x84: an announce node's answer. */
export interface AnnounceResponsePacket {
  /** Discriminant. */
  type: "announce_response";
  /** The 8 opaque bytes from the request. */
  sendback: Uint8Array;
  /** Random nonce. */
  nonce: Uint8Array;
  /** Box of `[is_stored 1][ping id or data pk 32][packed nodes]`. */
  encrypted: Uint8Array;
}

/** 0x85: data for an announced peer, addressed by its real pk. */
export interface DataRequestPacket {
  /** Discriminant. */
  type: "data_request";
  /** Real pk of the peer the announce node should deliver to. */
  destPublicKey: Uint8Array;
  /** Nonce. */
  nonce: Uint8Array;
  /** Ephemeral pk the data is encrypted with. */
  ephemeralPublicKey: Uint8Array;
  /** Box to the peer's data pk. */
  encrypted: Uint8Array;
}

/** 0x86: the same data as delivered to the announced peer. */
export interface DataResponsePacket {
  /** Discriminant. */
  type: "data_response";
  /** Nonce. */
  nonce: Uint8Array;
  /** Ephemeral pk. */
  ephemeralPublicKey: Uint8Array;
  /** Box to the peer's data pk. */
  encrypted: Uint8Array;
}

/** Every onion envelope. */
export type OnionPacket =
  | OnionRequestPacket
  | OnionResponsePacket
  | AnnounceRequestPacket
  | AnnounceResponsePacket
  | DataRequestPacket
  | DataResponsePacket;

/** Kind byte of each request hop. */
export const REQUEST_KIND: Record<RequestHop, number> = {
  0: ONION_KIND.SEND_INITIAL,
  1: ONION_KIND.SEND_1,
  2: ONION_KIND.SEND_2,
};
/** Kind byte of each response hop. */
export const RESPONSE_KIND: Record<ResponseHop, number> = {
  3: ONION_KIND.RECV_3,
  2: ONION_KIND.RECV_2,
  1: ONION_KIND.RECV_1,
};
/** Return blob length carried by each request hop. */
export const REQUEST_RETURN_SIZE: Record<RequestHop, number> = {
  0: 0,
  1: ONION_RETURN_1,
  2: ONION_RETURN_2,
};
/** Return blob length carried by each response hop. */
export const RESPONSE_RETURN_SIZE: Record<ResponseHop, number> = {
  3: ONION_RETURN_3,
  2: ONION_RETURN_2,
  1: ONION_RETURN_1,
};
const REQUEST_OVERHEAD: Record<RequestHop, number> = {
  0: ONION_SEND_1,
  1: ONION_SEND_2,
  2: ONION_SEND_3,
};
/** Offset of the encrypted layer in 0x80/0x81/0x82. */
const LAYER_OFFSET = 1 + NONCE_SIZE + PUBLIC_KEY_SIZE;
/** Encrypted part of an announce request. */
export const ANNOUNCE_ENCRYPTED_SIZE: number = ANNOUNCE_PLAIN_SIZE + MAC_SIZE;
/** Largest 0x85 as an announce node accepts it (1400 minus the appended RETURN_3). */
export const DATA_REQUEST_MAX_SIZE = ONION_MAX_PACKET_SIZE - ONION_RETURN_3;

/**
 * Encoded size of `p`.
 *
 * @example
 * ```ts
 * import { onionEncodedLength } from "./wire.ts";
 * const z = (n: number) => new Uint8Array(n);
 * console.assert(onionEncodedLength({ type: "announce_request", nonce: z(24), senderPublicKey: z(32), encrypted: z(120) }) === 177);
 * ```
 */
export function onionEncodedLength(p: OnionPacket): number {
  switch (p.type) {
    case "onion_request":
      return LAYER_OFFSET + p.encrypted.length + p.ret.length;
    case "onion_response":
      return 1 + p.ret.length + p.payload.length;
    case "announce_request":
      return ANNOUNCE_REQUEST_SIZE;
    case "announce_response":
      return 1 + SENDBACK_SIZE + NONCE_SIZE + p.encrypted.length;
    case "data_request":
      return 1 + PUBLIC_KEY_SIZE + NONCE_SIZE + PUBLIC_KEY_SIZE + p.encrypted.length;
    case "data_response":
      return 1 + NONCE_SIZE + PUBLIC_KEY_SIZE + p.encrypted.length;
  }
}

function need(b: Uint8Array, n: number, what: string): void {
  if (b.length !== n) throw new TypeError(`${what} must be ${n} bytes`);
}

function checkRange(n: number, min: number, max: number, what: string): void {
  if (n < min || n > max) throw new RangeError(`${what}: ${n} bytes, not in ${min}..${max}`);
}

/**
 * Encodes an onion envelope. Throws `TypeError`/`RangeError` on fields of the wrong size
 * (the same bounds {@link decodeOnion} enforces).
 *
 * @example
 * ```ts
 * import { encodeOnion } from "./wire.ts";
 * const p = encodeOnion({ type: "onion_response", hop: 1, ret: new Uint8Array(59), payload: new Uint8Array([0x84]) });
 * console.assert(p[0] === 0x8e && p.length === 61);
 * ```
 */
export function encodeOnion(p: OnionPacket): Uint8Array {
  const out = new Uint8Array(onionEncodedLength(p));
  let off = 1;
  const put = (b: Uint8Array) => {
    out.set(b, off);
    off += b.length;
  };
  switch (p.type) {
    case "onion_request":
      need(p.nonce, NONCE_SIZE, "nonce");
      need(p.publicKey, PUBLIC_KEY_SIZE, "public key");
      need(p.ret, REQUEST_RETURN_SIZE[p.hop], "return blob");
      checkRange(
        out.length,
        1 + REQUEST_OVERHEAD[p.hop] + 1,
        ONION_MAX_PACKET_SIZE,
        "onion request",
      );
      out[0] = REQUEST_KIND[p.hop];
      put(p.nonce);
      put(p.publicKey);
      put(p.encrypted);
      put(p.ret);
      break;
    case "onion_response":
      need(p.ret, RESPONSE_RETURN_SIZE[p.hop], "return blob");
      checkRange(out.length, 1 + p.ret.length + 1, ONION_MAX_PACKET_SIZE, "onion response");
      if (
        p.payload[0] !== ONION_KIND.ANNOUNCE_RESPONSE && p.payload[0] !== ONION_KIND.DATA_RESPONSE
      ) {
        throw new TypeError("onion response payload must start with 0x84 or 0x86");
      }
      out[0] = RESPONSE_KIND[p.hop];
      put(p.ret);
      put(p.payload);
      break;
    case "announce_request":
      need(p.nonce, NONCE_SIZE, "nonce");
      need(p.senderPublicKey, PUBLIC_KEY_SIZE, "sender public key");
      need(p.encrypted, ANNOUNCE_ENCRYPTED_SIZE, "encrypted announce");
      out[0] = ONION_KIND.ANNOUNCE_REQUEST;
      put(p.nonce);
      put(p.senderPublicKey);
      put(p.encrypted);
      break;
    case "announce_response":
      need(p.sendback, SENDBACK_SIZE, "sendback");
      need(p.nonce, NONCE_SIZE, "nonce");
      checkRange(
        out.length,
        ANNOUNCE_RESPONSE_MIN_SIZE,
        ANNOUNCE_RESPONSE_MAX_SIZE,
        "announce response",
      );
      out[0] = ONION_KIND.ANNOUNCE_RESPONSE;
      put(p.sendback);
      put(p.nonce);
      put(p.encrypted);
      break;
    case "data_request":
      need(p.destPublicKey, PUBLIC_KEY_SIZE, "destination public key");
      need(p.nonce, NONCE_SIZE, "nonce");
      need(p.ephemeralPublicKey, PUBLIC_KEY_SIZE, "ephemeral public key");
      checkRange(out.length, DATA_REQUEST_MIN_SIZE + 1, DATA_REQUEST_MAX_SIZE, "data request");
      out[0] = ONION_KIND.DATA_REQUEST;
      put(p.destPublicKey);
      put(p.nonce);
      put(p.ephemeralPublicKey);
      put(p.encrypted);
      break;
    case "data_response":
      need(p.nonce, NONCE_SIZE, "nonce");
      need(p.ephemeralPublicKey, PUBLIC_KEY_SIZE, "ephemeral public key");
      checkRange(
        out.length,
        DATA_RESPONSE_MIN_SIZE + 1,
        ONION_RESPONSE_MAX_DATA_SIZE,
        "data response",
      );
      out[0] = ONION_KIND.DATA_RESPONSE;
      put(p.nonce);
      put(p.ephemeralPublicKey);
      put(p.encrypted);
      break;
  }
  return out;
}

function lengthIn(b: Uint8Array, min: number, max: number, what: string): void {
  if (b.length < min) throw new WireError("TRUNCATED", `${what}: ${b.length} bytes, need ${min}`);
  if (b.length > max) throw new WireError("TOO_LARGE", `${what}: ${b.length} bytes, max ${max}`);
}

const REQUEST_HOP: Record<number, RequestHop> = { 0x80: 0, 0x81: 1, 0x82: 2 };
const RESPONSE_HOP: Record<number, ResponseHop> = { 0x8c: 3, 0x8d: 2, 0x8e: 1 };

/**
 * Decodes an onion envelope with c-toxcore's length rules. Throws only {@link WireError}.
 *
 * @example
 * ```ts
 * import { decodeOnion } from "./wire.ts";
 * try { decodeOnion(new Uint8Array([0x80, 1])); } catch (e) { console.assert((e as Error).name === "WireError"); }
 * ```
 */
export function decodeOnion(b: Uint8Array): OnionPacket {
  const kind = b[0];
  if (kind === undefined) throw new WireError("TRUNCATED", "empty onion packet");
  const reqHop = REQUEST_HOP[kind];
  if (reqHop !== undefined) {
    lengthIn(b, 1 + REQUEST_OVERHEAD[reqHop] + 1, ONION_MAX_PACKET_SIZE, "onion request");
    const retStart = b.length - REQUEST_RETURN_SIZE[reqHop];
    return {
      type: "onion_request",
      hop: reqHop,
      nonce: b.slice(1, 1 + NONCE_SIZE),
      publicKey: b.slice(1 + NONCE_SIZE, LAYER_OFFSET),
      encrypted: b.slice(LAYER_OFFSET, retStart),
      ret: b.slice(retStart),
    };
  }
  const resHop = RESPONSE_HOP[kind];
  if (resHop !== undefined) {
    const retSize = RESPONSE_RETURN_SIZE[resHop];
    lengthIn(b, 1 + retSize + 1, ONION_MAX_PACKET_SIZE, "onion response");
    const inner = b[1 + retSize];
    if (inner !== ONION_KIND.ANNOUNCE_RESPONSE && inner !== ONION_KIND.DATA_RESPONSE) {
      throw new WireError("BAD_TYPE", `onion response carries kind ${inner}`);
    }
    return {
      type: "onion_response",
      hop: resHop,
      ret: b.slice(1, 1 + retSize),
      payload: b.slice(1 + retSize),
    };
  }
  switch (kind) {
    case ONION_KIND.ANNOUNCE_REQUEST:
      lengthIn(b, ANNOUNCE_REQUEST_SIZE, ANNOUNCE_REQUEST_SIZE, "announce request");
      return {
        type: "announce_request",
        nonce: b.slice(1, 1 + NONCE_SIZE),
        senderPublicKey: b.slice(1 + NONCE_SIZE, LAYER_OFFSET),
        encrypted: b.slice(LAYER_OFFSET),
      };
    case ONION_KIND.ANNOUNCE_RESPONSE:
      lengthIn(b, ANNOUNCE_RESPONSE_MIN_SIZE, ANNOUNCE_RESPONSE_MAX_SIZE, "announce response");
      return {
        type: "announce_response",
        sendback: b.slice(1, 1 + SENDBACK_SIZE),
        nonce: b.slice(1 + SENDBACK_SIZE, 1 + SENDBACK_SIZE + NONCE_SIZE),
        encrypted: b.slice(1 + SENDBACK_SIZE + NONCE_SIZE),
      };
    case ONION_KIND.DATA_REQUEST: {
      lengthIn(b, DATA_REQUEST_MIN_SIZE + 1, DATA_REQUEST_MAX_SIZE, "data request");
      const n = 1 + PUBLIC_KEY_SIZE;
      return {
        type: "data_request",
        destPublicKey: b.slice(1, n),
        nonce: b.slice(n, n + NONCE_SIZE),
        ephemeralPublicKey: b.slice(n + NONCE_SIZE, n + NONCE_SIZE + PUBLIC_KEY_SIZE),
        encrypted: b.slice(n + NONCE_SIZE + PUBLIC_KEY_SIZE),
      };
    }
    case ONION_KIND.DATA_RESPONSE:
      lengthIn(b, DATA_RESPONSE_MIN_SIZE + 1, ONION_RESPONSE_MAX_DATA_SIZE, "data response");
      return {
        type: "data_response",
        nonce: b.slice(1, 1 + NONCE_SIZE),
        ephemeralPublicKey: b.slice(1 + NONCE_SIZE, LAYER_OFFSET),
        encrypted: b.slice(LAYER_OFFSET),
      };
    default:
      throw new WireError("BAD_TYPE", `not an onion packet kind: ${kind}`);
  }
}

/**
 * Splits what an announce node receives from hop C, `[request][RETURN_3]`, into the
 * request and the return blob. Throws {@link WireError} when shorter than a return blob + 1.
 *
 * @example
 * ```ts
 * import { splitReturn3 } from "./wire.ts";
 * const { request, ret } = splitReturn3(new Uint8Array(178));
 * console.assert(request.length === 1 && ret.length === 177);
 * ```
 */
export function splitReturn3(b: Uint8Array): { request: Uint8Array; ret: Uint8Array } {
  if (b.length <= ONION_RETURN_3) throw new WireError("TRUNCATED", "no room for RETURN_3");
  const cut = b.length - ONION_RETURN_3;
  return { request: b.subarray(0, cut), ret: b.subarray(cut) };
}
