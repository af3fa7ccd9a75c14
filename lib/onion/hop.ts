/**
 * What an onion hop does with a packet (onion.c): peel one layer and pass it on with a
 * return blob appended, or open a return blob and pass a response back. Pure functions over
 * a {@link HopContext}; the caller owns the keys and decides when to rotate them.
 *
 * Return blob k = `[nonce 24][secretbox(node's symmetric key, [IP_Port 19][return blob k-1])]`.
 *
 * @example
 * ```ts
 * import { openReturn, sealReturn } from "./hop.ts";
 * import { SharedKeyCache, backend } from "../crypto/mod.ts";
 * const ctx = { keys: new SharedKeyCache(backend().keyPair().secretKey), symmetricKey: new Uint8Array(32), random: backend().randomBytes };
 * const blob = sealReturn(ctx, { type: "tcp_client", client: 3 }, new Uint8Array());
 * console.assert(blob.length === 59 && openReturn(ctx, blob, true)?.ipp.type === "tcp_client");
 * ```
 * @module
 */
import type { Addr } from "../net/addr.ts";
import type { SharedKeyCache } from "../crypto/shared_key_cache.ts";
import { decryptSymmetric, encryptSymmetric } from "../crypto/box.ts";
import { concat } from "../util/bytes.ts";
import {
  MAC_SIZE,
  NONCE_SIZE,
  ONION_KIND,
  ONION_MAX_PACKET_SIZE,
  ONION_RETURN_1,
  ONION_SEND_BASE,
  SIZE_IPPORT,
  TCP_ONION_RESPONSE_ID,
} from "./constants.ts";
import { decodeOnionIpPort, encodeOnionIpPort, type OnionIpPort } from "./ip_port.ts";
import { encodeOnion, type OnionRequestPacket, type OnionResponsePacket } from "./wire.ts";

/** One datagram or TCP relay packet an onion node wants sent. */
export type OnionSend =
  | { to: "udp"; addr: Addr; data: Uint8Array }
  | { to: "tcp"; client: number; data: Uint8Array };

/** Keys and randomness of one hop. */
export interface HopContext {
  /** Shared keys of the node's DHT secret key. */
  keys: SharedKeyCache;
  /** The node's current return-blob key. */
  symmetricKey: Uint8Array;
  /** Random bytes (nonces). */
  random: (n: number) => Uint8Array;
}

/**
 * Seals `[ipp][inner]` into a return blob with the node's symmetric key.
 *
 * @example
 * ```ts
 * import { sealReturn } from "./hop.ts";
 * import { SharedKeyCache, backend } from "../crypto/mod.ts";
 * const ctx = { keys: new SharedKeyCache(new Uint8Array(32)), symmetricKey: new Uint8Array(32), random: backend().randomBytes };
 * console.assert(sealReturn(ctx, { type: "udp", addr: { hostname: "::1", port: 1 } }, new Uint8Array(59)).length === 118);
 * ```
 */
export function sealReturn(ctx: HopContext, ipp: OnionIpPort, inner: Uint8Array): Uint8Array {
  const nonce = ctx.random(NONCE_SIZE);
  return concat(
    nonce,
    encryptSymmetric(ctx.symmetricKey, nonce, concat(encodeOnionIpPort(ipp), inner)),
  );
}

/**
 * Opens a return blob written by this node: the previous hop and the inner blob, or `null`
 * when the MAC does not verify (another node's blob, or a rotated key). A bad family
 * throws `WireError`.
 *
 * @example
 * ```ts
 * import { openReturn } from "./hop.ts";
 * import { SharedKeyCache, backend } from "../crypto/mod.ts";
 * const ctx = { keys: new SharedKeyCache(new Uint8Array(32)), symmetricKey: new Uint8Array(32), random: backend().randomBytes };
 * console.assert(openReturn(ctx, new Uint8Array(59), false) === null);
 * ```
 */
export function openReturn(
  ctx: HopContext,
  blob: Uint8Array,
  allowTcpClient: boolean,
): { ipp: OnionIpPort; inner: Uint8Array } | null {
  if (blob.length < NONCE_SIZE + MAC_SIZE + SIZE_IPPORT) return null;
  const plain = decryptSymmetric(
    ctx.symmetricKey,
    blob.subarray(0, NONCE_SIZE),
    blob.subarray(NONCE_SIZE),
  );
  if (!plain) return null;
  return {
    ipp: decodeOnionIpPort(plain, 0, allowTcpClient),
    inner: plain.subarray(SIZE_IPPORT),
  };
}

function openLayer(ctx: HopContext, p: OnionRequestPacket): Uint8Array | null {
  return decryptSymmetric(ctx.keys.get(p.publicKey), p.nonce, p.encrypted);
}

function udp(ipp: OnionIpPort, data: Uint8Array): OnionSend | null {
  return ipp.type === "udp" ? { to: "udp", addr: ipp.addr, data } : null;
}

/** Largest plaintext hop A forwards (onion.c `onion_send_1`). */
const SEND_1_PLAIN_MAX = ONION_MAX_PACKET_SIZE + SIZE_IPPORT - (1 + NONCE_SIZE + ONION_RETURN_1);

/**
 * Hop A's forwarding step, shared by UDP 0x80 and TCP onion requests: `plain` is
 * `[IP_Port of B][temp pk][layer for B]`; the result is the 0x81 packet to B, or `null`.
 *
 * @example
 * ```ts
 * import { sendOne } from "./hop.ts";
 * import { SharedKeyCache, backend } from "../crypto/mod.ts";
 * const ctx = { keys: new SharedKeyCache(new Uint8Array(32)), symmetricKey: new Uint8Array(32), random: backend().randomBytes };
 * console.assert(sendOne(ctx, new Uint8Array(10), { type: "tcp_client", client: 1 }, new Uint8Array(24)) === null);
 * ```
 */
export function sendOne(
  ctx: HopContext,
  plain: Uint8Array,
  source: OnionIpPort,
  nonce: Uint8Array,
): OnionSend | null {
  if (plain.length <= SIZE_IPPORT + ONION_SEND_BASE * 2 || plain.length > SEND_1_PLAIN_MAX) {
    return null;
  }
  const next = decodeOnionIpPort(plain, 0, false);
  const rest = plain.subarray(SIZE_IPPORT);
  const data = encodeOnion({
    type: "onion_request",
    hop: 1,
    nonce,
    publicKey: rest.subarray(0, 32),
    encrypted: rest.subarray(32),
    ret: sealReturn(ctx, source, new Uint8Array()),
  });
  return udp(next, data);
}

/**
 * Handles 0x80 (at A), 0x81 (at B) or 0x82 (at C) from UDP address `from`. Returns what to
 * send, or `null` to drop. May throw `WireError` on a bad inner IP_Port.
 *
 * @example
 * ```ts
 * import { forwardRequest } from "./hop.ts";
 * import { SharedKeyCache, backend } from "../crypto/mod.ts";
 * const ctx = { keys: new SharedKeyCache(backend().keyPair().secretKey), symmetricKey: new Uint8Array(32), random: backend().randomBytes };
 * const p = { type: "onion_request" as const, hop: 0 as const, nonce: new Uint8Array(24), publicKey: backend().keyPair().publicKey, encrypted: new Uint8Array(200), ret: new Uint8Array() };
 * console.assert(forwardRequest(ctx, p, { hostname: "127.0.0.1", port: 1 }) === null);
 * ```
 */
export function forwardRequest(
  ctx: HopContext,
  p: OnionRequestPacket,
  from: Addr,
): OnionSend | null {
  const plain = openLayer(ctx, p);
  if (!plain) return null;
  const source: OnionIpPort = { type: "udp", addr: from };
  if (p.hop === 0) return sendOne(ctx, plain, source, p.nonce);
  const next = decodeOnionIpPort(plain, 0, false);
  const rest = plain.subarray(SIZE_IPPORT);
  const ret = sealReturn(ctx, source, p.ret);
  if (p.hop === 1) {
    const data = encodeOnion({
      type: "onion_request",
      hop: 2,
      nonce: p.nonce,
      publicKey: rest.subarray(0, 32),
      encrypted: rest.subarray(32),
      ret,
    });
    return udp(next, data);
  }
  const kind = rest[0];
  if (kind !== ONION_KIND.ANNOUNCE_REQUEST && kind !== ONION_KIND.DATA_REQUEST) return null;
  return udp(next, concat(rest, ret));
}

/**
 * Handles a response 0x8c (at C), 0x8d (at B) or 0x8e (at A): opens the return blob and
 * passes the response to the previous hop; at A that is the client itself (raw response
 * over UDP, or `[9][response]` to a TCP relay client). `null` drops it.
 *
 * @example
 * ```ts
 * import { returnResponse } from "./hop.ts";
 * import { SharedKeyCache, backend } from "../crypto/mod.ts";
 * const ctx = { keys: new SharedKeyCache(new Uint8Array(32)), symmetricKey: new Uint8Array(32), random: backend().randomBytes };
 * const p = { type: "onion_response" as const, hop: 1 as const, ret: new Uint8Array(59), payload: new Uint8Array([0x84]) };
 * console.assert(returnResponse(ctx, p) === null);
 * ```
 */
export function returnResponse(ctx: HopContext, p: OnionResponsePacket): OnionSend | null {
  const opened = openReturn(ctx, p.ret, p.hop === 1);
  if (!opened) return null;
  if (p.hop === 1) {
    if (opened.ipp.type === "tcp_client") {
      return {
        to: "tcp",
        client: opened.ipp.client,
        data: concat(new Uint8Array([TCP_ONION_RESPONSE_ID]), p.payload),
      };
    }
    return udp(opened.ipp, p.payload);
  }
  const data = encodeOnion({
    type: "onion_response",
    hop: p.hop === 3 ? 2 : 1,
    ret: opened.inner,
    payload: p.payload,
  });
  return udp(opened.ipp, data);
}
