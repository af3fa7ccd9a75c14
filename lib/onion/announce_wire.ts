/**
 * Plaintexts inside the announce packets (onion_announce.c):
 *
 * ```text
 * request  (inside 0x83): [ping id 32][searched pk 32][data pk 32][sendback 8]      = 104
 * response (inside 0x84): [is_stored 1][ping id | data pk 32][<= 4 packed nodes]
 * ```
 * is_stored: 0 = not stored (ping id follows), 1 = the searched key is stored here (its data
 * pk follows), 2 = the sender is stored (ping id follows).
 *
 * @example
 * ```ts
 * import { decodeAnnouncePlain, encodeAnnouncePlain } from "./announce_wire.ts";
 * const z = (n: number) => new Uint8Array(n);
 * const b = encodeAnnouncePlain({ pingId: z(32), searchedPublicKey: z(32), dataPublicKey: z(32), sendback: z(8) });
 * console.assert(b.length === 104 && decodeAnnouncePlain(b).sendback.length === 8);
 * ```
 * @module
 */
import { type NodeInfo, packNodes, unpackNodes } from "../dht/packed_node.ts";
import { WireError } from "../util/wire_error.ts";
import {
  ANNOUNCE_PING_ID_SIZE,
  ANNOUNCE_PLAIN_SIZE,
  MAX_SENT_NODES,
  PACKED_NODE_IPV6_SIZE,
  PUBLIC_KEY_SIZE,
  SENDBACK_SIZE,
} from "./constants.ts";

/** The decrypted body of an announce request. */
export interface AnnouncePlain {
  /** Ping id from the node's last response, or zeros. */
  pingId: Uint8Array;
  /** The key announced (own real pk) or searched for (a friend's real pk). */
  searchedPublicKey: Uint8Array;
  /** The key others should encrypt data with (zeros when searching). */
  dataPublicKey: Uint8Array;
  /** 8 opaque bytes echoed in the response. */
  sendback: Uint8Array;
}

/** is_stored values of an announce response. */
export const IS_STORED = { NO: 0, FOUND: 1, YOU: 2 } as const;

/** The decrypted body of an announce response. */
export type AnnounceReplyPlain =
  | { isStored: 0 | 2; pingId: Uint8Array; nodes: NodeInfo[] }
  | { isStored: 1; dataPublicKey: Uint8Array; nodes: NodeInfo[] };

function fixed(b: Uint8Array, n: number, what: string): void {
  if (b.length !== n) throw new TypeError(`${what} must be ${n} bytes`);
}

/**
 * Encodes the 104-byte announce request body.
 *
 * @example
 * ```ts
 * import { encodeAnnouncePlain } from "./announce_wire.ts";
 * const z = (n: number) => new Uint8Array(n);
 * console.assert(encodeAnnouncePlain({ pingId: z(32), searchedPublicKey: z(32), dataPublicKey: z(32), sendback: z(8) }).length === 104);
 * ```
 */
export function encodeAnnouncePlain(p: AnnouncePlain): Uint8Array {
  fixed(p.pingId, ANNOUNCE_PING_ID_SIZE, "ping id");
  fixed(p.searchedPublicKey, PUBLIC_KEY_SIZE, "searched public key");
  fixed(p.dataPublicKey, PUBLIC_KEY_SIZE, "data public key");
  fixed(p.sendback, SENDBACK_SIZE, "sendback");
  const out = new Uint8Array(ANNOUNCE_PLAIN_SIZE);
  out.set(p.pingId, 0);
  out.set(p.searchedPublicKey, 32);
  out.set(p.dataPublicKey, 64);
  out.set(p.sendback, 96);
  return out;
}

/**
 * Decodes the announce request body; throws {@link WireError} unless it is 104 bytes.
 *
 * @example
 * ```ts
 * import { decodeAnnouncePlain } from "./announce_wire.ts";
 * console.assert(decodeAnnouncePlain(new Uint8Array(104)).pingId.length === 32);
 * ```
 */
export function decodeAnnouncePlain(b: Uint8Array): AnnouncePlain {
  if (b.length !== ANNOUNCE_PLAIN_SIZE) {
    throw new WireError("BAD_LENGTH", `announce body is ${b.length} bytes, not 104`);
  }
  return {
    pingId: b.slice(0, 32),
    searchedPublicKey: b.slice(32, 64),
    dataPublicKey: b.slice(64, 96),
    sendback: b.slice(96, 104),
  };
}

/**
 * Encodes an announce response body (at most 4 UDP nodes).
 *
 * @example
 * ```ts
 * import { encodeAnnounceReply } from "./announce_wire.ts";
 * console.assert(encodeAnnounceReply({ isStored: 0, pingId: new Uint8Array(32), nodes: [] }).length === 33);
 * ```
 */
export function encodeAnnounceReply(p: AnnounceReplyPlain): Uint8Array {
  if (p.nodes.length > MAX_SENT_NODES) throw new RangeError("at most 4 nodes");
  const key = p.isStored === 1 ? p.dataPublicKey : p.pingId;
  fixed(key, 32, "ping id / data public key");
  const nodes = packNodes(p.nodes);
  const out = new Uint8Array(1 + 32 + nodes.length);
  out[0] = p.isStored;
  out.set(key, 1);
  out.set(nodes, 33);
  return out;
}

/**
 * Decodes an announce response body; throws {@link WireError} on a bad is_stored value,
 * a bad node or trailing bytes.
 *
 * @example
 * ```ts
 * import { decodeAnnounceReply } from "./announce_wire.ts";
 * const b = new Uint8Array(33); b[0] = 2;
 * console.assert(decodeAnnounceReply(b).isStored === 2);
 * ```
 */
export function decodeAnnounceReply(b: Uint8Array): AnnounceReplyPlain {
  if (b.length < 33) throw new WireError("TRUNCATED", "announce response body too short");
  if (b.length > 33 + MAX_SENT_NODES * PACKED_NODE_IPV6_SIZE) {
    throw new WireError("TOO_LARGE", "announce response body too long");
  }
  const isStored = b[0]!;
  const { nodes, size } = unpackNodes(b.subarray(33), { max: MAX_SENT_NODES });
  if (size !== b.length - 33) throw new WireError("BAD_LENGTH", "trailing bytes after nodes");
  const key = b.slice(1, 33);
  if (isStored === 1) return { isStored, dataPublicKey: key, nodes };
  if (isStored === 0 || isStored === 2) return { isStored, pingId: key, nodes };
  throw new WireError("BAD_VALUE", `is_stored ${isStored}`);
}
