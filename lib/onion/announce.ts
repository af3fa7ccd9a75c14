/**
 * The announce node D (onion_announce.c): answers 0x83 announce/search requests with a
 * 0x84 sent back along the requester's path, stores announcers, and delivers 0x85 data to
 * a stored announcer as 0x86 along the path it announced through.
 *
 * @example
 * ```ts
 * import { handleDataRequest } from "./announce.ts";
 * console.assert(typeof handleDataRequest === "function");
 * ```
 * @module
 */
import type { Addr } from "../net/addr.ts";
import type { NodeInfo } from "../dht/packed_node.ts";
import type { SharedKeyCache } from "../crypto/shared_key_cache.ts";
import { decryptSymmetric, encryptSymmetric } from "../crypto/box.ts";
import { isLanAddress } from "../dht/distance.ts";
import { concat, equals } from "../util/bytes.ts";
import { WireError } from "../util/wire_error.ts";
import {
  ANNOUNCE_REQUEST_SIZE,
  DATA_REQUEST_MIN_SIZE,
  MAX_SENT_NODES,
  NONCE_SIZE,
  ONION_KIND,
  ONION_MAX_PACKET_SIZE,
  ONION_RETURN_3,
  PUBLIC_KEY_SIZE,
} from "./constants.ts";
import {
  type AnnounceReplyPlain,
  decodeAnnouncePlain,
  encodeAnnounceReply,
} from "./announce_wire.ts";
import type { AnnounceStore } from "./announce_store.ts";
import type { OnionSend } from "./hop.ts";
import { encodeOnionIpPort } from "./ip_port.ts";
import { checkTimedAuth, generateTimedAuth } from "./timed_auth.ts";
import { decodeOnion, encodeOnion, splitReturn3 } from "./wire.ts";

/** State of an announce node. */
export interface AnnounceContext {
  /** Shared keys of the node's DHT secret key. */
  keys: SharedKeyCache;
  /** HMAC key of the ping ids. */
  hmacKey: Uint8Array;
  /** Stored announcers. */
  store: AnnounceStore;
  /** Ping id period, ms (c-toxcore: the announce timeout, 300 s). */
  pingPeriodMs: number;
  /** Close nodes to a key, from the DHT. */
  closestNodes: (target: Uint8Array, count: number) => NodeInfo[];
  /** Random bytes. */
  random: (n: number) => Uint8Array;
}

function responseNodes(ctx: AnnounceContext, target: Uint8Array, from: Addr): NodeInfo[] {
  const lan = isLanAddress(from.hostname);
  return ctx.closestNodes(target, MAX_SENT_NODES)
    .filter((n) => !n.tcp && (lan || !isLanAddress(n.addr.hostname)))
    .slice(0, MAX_SENT_NODES);
}

/**
 * Handles `[0x83 request 177][RETURN_3]` from hop C at `from`. Returns the 0x8c response
 * to C, or `[]` when the request is dropped (wrong size, bad MAC). May throw `WireError`.
 *
 * @example
 * ```ts ignore
 * const out = handleAnnounceRequest(ctx, datagram, from, Date.now());
 * ```
 */
export function handleAnnounceRequest(
  ctx: AnnounceContext,
  datagram: Uint8Array,
  from: Addr,
  now: number,
): OnionSend[] {
  if (datagram.length !== ANNOUNCE_REQUEST_SIZE + ONION_RETURN_3) return [];
  const { request, ret } = splitReturn3(datagram);
  const p = decodeOnion(request);
  if (p.type !== "announce_request") throw new WireError("BAD_TYPE", "not an announce request");
  const shared = ctx.keys.get(p.senderPublicKey);
  const plainBytes = decryptSymmetric(shared, p.nonce, p.encrypted);
  if (!plainBytes) return [];
  const plain = decodeAnnouncePlain(plainBytes);
  const pingData = concat(p.senderPublicKey, encodeOnionIpPort({ type: "udp", addr: from }));

  const entry = checkTimedAuth(ctx.hmacKey, ctx.pingPeriodMs, now, pingData, plain.pingId)
    ? ctx.store.add(p.senderPublicKey, plain.dataPublicKey, from, ret, now)
    : ctx.store.find(plain.searchedPublicKey, now);
  const pingId = generateTimedAuth(ctx.hmacKey, ctx.pingPeriodMs, now, pingData);
  const nodes = responseNodes(ctx, plain.searchedPublicKey, from);
  let reply: AnnounceReplyPlain;
  if (!entry) {
    reply = { isStored: 0, pingId, nodes };
  } else if (equals(entry.publicKey, p.senderPublicKey)) {
    const same = equals(entry.dataPublicKey, plain.dataPublicKey);
    reply = { isStored: same ? 2 : 0, pingId, nodes };
  } else {
    reply = { isStored: 1, dataPublicKey: entry.dataPublicKey, nodes };
  }
  const nonce = ctx.random(NONCE_SIZE);
  const response = encodeOnion({
    type: "announce_response",
    sendback: plain.sendback,
    nonce,
    encrypted: encryptSymmetric(shared, nonce, encodeAnnounceReply(reply)),
  });
  const data = encodeOnion({ type: "onion_response", hop: 3, ret, payload: response });
  return [{ to: "udp", addr: from, data }];
}

/**
 * Handles `[0x85 data request][RETURN_3]`: when the destination key is announced here, the
 * data goes out as `0x8c [stored RETURN_3][0x86 nonce, ephemeral pk, ciphertext]` to the
 * announcer's hop C. `[]` otherwise. May throw `WireError`.
 *
 * @example
 * ```ts ignore
 * const out = handleDataRequest(ctx, datagram, Date.now());
 * ```
 */
export function handleDataRequest(
  ctx: AnnounceContext,
  datagram: Uint8Array,
  now: number,
): OnionSend[] {
  if (
    datagram.length <= DATA_REQUEST_MIN_SIZE + ONION_RETURN_3 ||
    datagram.length > ONION_MAX_PACKET_SIZE
  ) return [];
  const { request } = splitReturn3(datagram);
  const p = decodeOnion(request);
  if (p.type !== "data_request") throw new WireError("BAD_TYPE", "not a data request");
  const entry = ctx.store.find(p.destPublicKey, now);
  if (!entry) return [];
  const payload = concat(
    new Uint8Array([ONION_KIND.DATA_RESPONSE]),
    request.subarray(1 + PUBLIC_KEY_SIZE),
  );
  const data = encodeOnion({ type: "onion_response", hop: 3, ret: entry.ret, payload });
  return [{ to: "udp", addr: entry.retAddr, data }];
}
