/**
 * The DHT-PK announce (onion_client.c): how a Tox client tells a friend its current DHT key
 * and a few nodes (TCP relays first) to reach it by.
 *
 * ```text
 * DHT-PK packet:  [0x9c][no_replay u64 BE][own DHT pk 32][<= 4 packed nodes]   41..245 bytes
 * onion variant:  the [id][data] inside onion data (0x85 -> 0x86), id = 0x9c
 * DHT variant:    routed request 0x20 to the friend's DHT pk, request id 0x9c, data =
 *                 [sender real pk 32][nonce 24][Box(DH(real sk, friend real pk), nonce, DHT-PK packet)]
 * ```
 * A receiver accepts a packet only if its no_replay is greater than the last one it accepted
 * from that friend, and, for the DHT variant, only if the DHT key inside equals the routed
 * request's sender key.
 *
 * @example
 * ```ts
 * import { decodeDhtPk, encodeDhtPk } from "./dhtpk.ts";
 * const b = encodeDhtPk({ noReplay: 7n, dhtPublicKey: new Uint8Array(32), nodes: [] });
 * console.assert(b.length === 41 && decodeDhtPk(b).noReplay === 7n);
 * ```
 * @module
 */
import { type NodeInfo, packNodes, unpackNodes } from "../dht/packed_node.ts";
import { keyEquals } from "../dht/distance.ts";
import { decryptData, encryptData } from "../crypto/box.ts";
import { backend } from "../crypto/backend.ts";
import { WireError } from "../util/wire_error.ts";
import { concat } from "../util/bytes.ts";
import { MAC_SIZE, NONCE_SIZE, PUBLIC_KEY_SIZE } from "./constants.ts";

/** Onion data / routed request id of a DHT-PK announce (156). */
export const DHTPK_ID = 0x9c;
/** Most nodes a DHT-PK packet carries. */
export const DHTPK_MAX_NODES = 4;
/** Most TCP relays among them (c-toxcore puts up to 2 first). */
export const DHTPK_MAX_TCP_RELAYS = 2;
/** Id, no_replay and DHT key: a DHT-PK packet without nodes (41). */
export const DHTPK_MIN_SIZE: number = 1 + 8 + PUBLIC_KEY_SIZE;
/** With four IPv6 nodes (245). */
export const DHTPK_MAX_SIZE: number = DHTPK_MIN_SIZE + DHTPK_MAX_NODES * 51;
/** Sender key and nonce before the box of the DHT variant. */
export const DHTPK_DHT_HEADER_SIZE: number = PUBLIC_KEY_SIZE + NONCE_SIZE;

/** A decoded DHT-PK packet. */
export interface DhtPkPacket {
  /** Grows with every packet a sender makes (c-toxcore: its clock in seconds). */
  noReplay: bigint;
  /** The sender's current DHT public key. */
  dhtPublicKey: Uint8Array;
  /** Up to 4 nodes: TCP relays (`tcp: true`) and close DHT nodes. */
  nodes: NodeInfo[];
}

/**
 * Bytes {@link encodeDhtPk} produces for `p`.
 *
 * @example
 * ```ts
 * import { dhtPkEncodedLength } from "./dhtpk.ts";
 * const n = { publicKey: new Uint8Array(32), addr: { hostname: "127.0.0.1", port: 1 } };
 * console.assert(dhtPkEncodedLength({ noReplay: 1n, dhtPublicKey: new Uint8Array(32), nodes: [n] }) === 80);
 * ```
 */
export function dhtPkEncodedLength(p: DhtPkPacket): number {
  return DHTPK_MIN_SIZE + packNodes(p.nodes).length;
}

/**
 * Encodes a DHT-PK packet. Throws `RangeError` for more than 4 nodes or a no_replay outside
 * u64, `TypeError` for a key of the wrong size.
 *
 * @example
 * ```ts
 * import { encodeDhtPk } from "./dhtpk.ts";
 * const b = encodeDhtPk({ noReplay: 0x0102n, dhtPublicKey: new Uint8Array(32), nodes: [] });
 * console.assert(b[0] === 0x9c && b[7] === 1 && b[8] === 2);
 * ```
 */
export function encodeDhtPk(p: DhtPkPacket): Uint8Array {
  if (p.nodes.length > DHTPK_MAX_NODES) throw new RangeError("at most 4 nodes");
  if (p.noReplay < 0n || p.noReplay >= 1n << 64n) throw new RangeError("no_replay is a u64");
  if (p.dhtPublicKey.length !== PUBLIC_KEY_SIZE) throw new TypeError("DHT key must be 32 bytes");
  const nodes = packNodes(p.nodes);
  const out = new Uint8Array(DHTPK_MIN_SIZE + nodes.length);
  out[0] = DHTPK_ID;
  new DataView(out.buffer).setBigUint64(1, p.noReplay, false);
  out.set(p.dhtPublicKey, 9);
  out.set(nodes, DHTPK_MIN_SIZE);
  return out;
}

/**
 * Decodes a DHT-PK packet (TCP families allowed in the nodes). Throws {@link WireError} on
 * a wrong id, a short packet, a bad node, more than 4 nodes or trailing bytes.
 *
 * @example
 * ```ts
 * import { decodeDhtPk } from "./dhtpk.ts";
 * const b = new Uint8Array(41); b[0] = 0x9c; b[8] = 5;
 * console.assert(decodeDhtPk(b).noReplay === 5n);
 * ```
 */
export function decodeDhtPk(b: Uint8Array): DhtPkPacket {
  if (b.length < DHTPK_MIN_SIZE) throw new WireError("TRUNCATED", "DHT-PK packet too short");
  if (b[0] !== DHTPK_ID) throw new WireError("BAD_TYPE", `DHT-PK id ${b[0]}`);
  if (b.length > DHTPK_MAX_SIZE) throw new WireError("TOO_LARGE", "DHT-PK packet too long");
  const noReplay = new DataView(b.buffer, b.byteOffset, b.length).getBigUint64(1, false);
  const rest = b.subarray(DHTPK_MIN_SIZE);
  const { nodes, size } = unpackNodes(rest, { max: DHTPK_MAX_NODES, allowTcp: true });
  if (size !== rest.length) throw new WireError("BAD_LENGTH", "trailing bytes after nodes");
  return { noReplay, dhtPublicKey: b.slice(9, DHTPK_MIN_SIZE), nodes };
}

/**
 * The data of a DHT-variant routed request (request id {@link DHTPK_ID}): the DHT-PK packet
 * boxed from our real key to the friend's real key. Hand it to the DHT's routed-request
 * sender addressed to the friend's DHT key.
 *
 * @example
 * ```ts
 * import { encodeDhtPk, sealDhtPkForDht } from "./dhtpk.ts";
 * import { backend } from "../crypto/mod.ts";
 * const me = backend().keyPair(), friend = backend().keyPair();
 * const pkt = encodeDhtPk({ noReplay: 1n, dhtPublicKey: new Uint8Array(32), nodes: [] });
 * console.assert(sealDhtPkForDht(pkt, me, friend.publicKey).length === 32 + 24 + 16 + 41);
 * ```
 */
export function sealDhtPkForDht(
  packet: Uint8Array,
  realKeyPair: { publicKey: Uint8Array; secretKey: Uint8Array },
  friendRealPublicKey: Uint8Array,
  nonce: Uint8Array = backend().randomBytes(NONCE_SIZE),
): Uint8Array {
  const box = encryptData(friendRealPublicKey, realKeyPair.secretKey, nonce, packet);
  return concat(realKeyPair.publicKey, nonce, box);
}

/** Why a DHT-variant packet was refused; `null` reasons are a bad MAC. */
export type DhtPkOpenResult =
  | { ok: true; senderRealPublicKey: Uint8Array; packet: DhtPkPacket }
  | { ok: false; reason: "malformed" | "bad_mac" | "sender_mismatch" };

/**
 * Opens the data of a routed DHT-PK request sent by `routedSenderDhtPublicKey`, checking
 * that the DHT key inside is that sender's (so nobody can point us at another node). Never
 * throws on network input.
 *
 * @example
 * ```ts
 * import { encodeDhtPk, openDhtPkFromDht, sealDhtPkForDht } from "./dhtpk.ts";
 * import { backend } from "../crypto/mod.ts";
 * const me = backend().keyPair(), friend = backend().keyPair(), dht = backend().keyPair();
 * const pkt = encodeDhtPk({ noReplay: 1n, dhtPublicKey: dht.publicKey, nodes: [] });
 * const data = sealDhtPkForDht(pkt, friend, me.publicKey);
 * console.assert(openDhtPkFromDht(data, dht.publicKey, me.secretKey).ok);
 * ```
 */
export function openDhtPkFromDht(
  data: Uint8Array,
  routedSenderDhtPublicKey: Uint8Array,
  realSecretKey: Uint8Array,
): DhtPkOpenResult {
  if (data.length < DHTPK_DHT_HEADER_SIZE + MAC_SIZE + DHTPK_MIN_SIZE) {
    return { ok: false, reason: "malformed" };
  }
  const sender = data.slice(0, PUBLIC_KEY_SIZE);
  const nonce = data.slice(PUBLIC_KEY_SIZE, DHTPK_DHT_HEADER_SIZE);
  const plain = decryptData(sender, realSecretKey, nonce, data.subarray(DHTPK_DHT_HEADER_SIZE));
  if (!plain) return { ok: false, reason: "bad_mac" };
  let packet: DhtPkPacket;
  try {
    packet = decodeDhtPk(plain);
  } catch {
    return { ok: false, reason: "malformed" };
  }
  if (!keyEquals(packet.dhtPublicKey, routedSenderDhtPublicKey)) {
    return { ok: false, reason: "sender_mismatch" };
  }
  return { ok: true, senderRealPublicKey: sender, packet };
}

/**
 * Replay protection for DHT-PK packets: per sender real key, the highest no_replay accepted.
 *
 * @example
 * ```ts
 * import { DhtPkReplayGuard } from "./dhtpk.ts";
 * const g = new DhtPkReplayGuard(), k = new Uint8Array(32);
 * console.assert(g.accept(k, 5n) && !g.accept(k, 5n) && g.accept(k, 6n));
 * ```
 */
export class DhtPkReplayGuard {
  readonly #last = new Map<string, bigint>();

  /** True (and remembered) when `noReplay` is greater than the last accepted from `sender`. */
  accept(sender: Uint8Array, noReplay: bigint): boolean {
    const k = keyId(sender);
    const last = this.#last.get(k);
    if (last !== undefined && noReplay <= last) return false;
    this.#last.set(k, noReplay);
    return true;
  }

  /** Forgets a sender (a deleted friend). */
  forget(sender: Uint8Array): void {
    this.#last.delete(keyId(sender));
  }
}

function keyId(pk: Uint8Array): string {
  let s = "";
  for (const b of pk) s += String.fromCharCode(b);
  return s;
}
