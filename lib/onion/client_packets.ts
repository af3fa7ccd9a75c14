/**
 * The client side of onion packets (onion.c `create_onion_packet[_tcp]`,
 * onion_announce.c `create_announce_request` / `create_data_request`): pure builders for
 * a path's layered 0x80 packet, the TCP relay variant, announce and data requests, and
 * openers for what comes back.
 *
 * @example
 * ```ts
 * import { buildAnnounceRequest } from "./client_packets.ts";
 * import { backend } from "../crypto/mod.ts";
 * const me = backend().keyPair(), node = backend().keyPair();
 * const req = buildAnnounceRequest({
 *   destPublicKey: node.publicKey, sender: me, pingId: new Uint8Array(32),
 *   searchedPublicKey: me.publicKey, dataPublicKey: new Uint8Array(32), sendback: new Uint8Array(8),
 * });
 * console.assert(req.length === 177 && req[0] === 0x83);
 * ```
 * @module
 */
import type { Addr } from "../net/addr.ts";
import type { KeyPair } from "../crypto/backend.ts";
import { backend, trySharedKey } from "../crypto/backend.ts";
import { decryptSymmetric, encryptSymmetric } from "../crypto/box.ts";
import { concat } from "../util/bytes.ts";
import { WireError } from "../util/wire_error.ts";
import { NONCE_SIZE, ONION_MAX_DATA_SIZE, PUBLIC_KEY_SIZE } from "./constants.ts";
import {
  type AnnounceReplyPlain,
  decodeAnnounceReply,
  encodeAnnouncePlain,
} from "./announce_wire.ts";
import { encodeOnionIpPort } from "./ip_port.ts";
import { decodeOnion, encodeOnion } from "./wire.ts";

/** A node on an onion path: its DHT public key and UDP address. */
export interface PathNode {
  /** DHT public key. */
  publicKey: Uint8Array;
  /** UDP address. */
  addr: Addr;
}

/** Keys of one onion path A, B, C (onion.c `Onion_Path`). */
export interface OnionPath {
  /** A, B, C. */
  nodes: readonly [PathNode, PathNode, PathNode];
  /** The public keys the layers name: the client's DHT pk for A, fresh temporary keys for B, C. */
  publicKeys: readonly [Uint8Array, Uint8Array, Uint8Array];
  /** Shared keys with A, B, C. */
  sharedKeys: readonly [Uint8Array, Uint8Array, Uint8Array];
}

/**
 * Makes a path: layer 1 keyed with the client's DHT key pair, layers 2 and 3 with fresh
 * temporary key pairs (or the two given, for seeded runs).
 *
 * @example
 * ```ts
 * import { createOnionPath } from "./client_packets.ts";
 * import { backend } from "../crypto/mod.ts";
 * const n = () => ({ publicKey: backend().keyPair().publicKey, addr: { hostname: "127.0.0.1", port: 1 } });
 * const me = backend().keyPair();
 * console.assert(createOnionPath([n(), n(), n()], me).publicKeys[0] === me.publicKey);
 * ```
 */
export function createOnionPath(
  nodes: readonly [PathNode, PathNode, PathNode],
  dhtKeyPair: KeyPair,
  tempKeyPairs?: readonly [KeyPair, KeyPair],
): OnionPath {
  const b = backend();
  const [t2, t3] = tempKeyPairs ?? [b.keyPair(), b.keyPair()];
  return {
    nodes,
    publicKeys: [dhtKeyPair.publicKey, t2.publicKey, t3.publicKey],
    sharedKeys: [
      b.sharedKey(nodes[0].publicKey, dhtKeyPair.secretKey),
      b.sharedKey(nodes[1].publicKey, t2.secretKey),
      b.sharedKey(nodes[2].publicKey, t3.secretKey),
    ],
  };
}

function layers(path: OnionPath, dest: Addr, data: Uint8Array, nonce: Uint8Array): Uint8Array {
  if (data.length === 0 || data.length > ONION_MAX_DATA_SIZE) {
    throw new RangeError(`onion data must be 1..${ONION_MAX_DATA_SIZE} bytes`);
  }
  if (nonce.length !== NONCE_SIZE) throw new TypeError("nonce must be 24 bytes");
  const forC = concat(encodeOnionIpPort({ type: "udp", addr: dest }), data);
  const forB = concat(
    encodeOnionIpPort({ type: "udp", addr: path.nodes[2].addr }),
    path.publicKeys[2],
    encryptSymmetric(path.sharedKeys[2], nonce, forC),
  );
  return concat(
    encodeOnionIpPort({ type: "udp", addr: path.nodes[1].addr }),
    path.publicKeys[1],
    encryptSymmetric(path.sharedKeys[1], nonce, forB),
  );
}

/**
 * The 0x80 packet that carries `data` (an 0x83 or 0x85 packet) through the path to `dest`;
 * send it to `path.nodes[0].addr`. 226 bytes plus the data.
 *
 * @example
 * ```ts
 * import { buildOnionPacket, createOnionPath } from "./client_packets.ts";
 * import { backend } from "../crypto/mod.ts";
 * const n = () => ({ publicKey: backend().keyPair().publicKey, addr: { hostname: "127.0.0.1", port: 1 } });
 * const path = createOnionPath([n(), n(), n()], backend().keyPair());
 * console.assert(buildOnionPacket(path, n().addr, new Uint8Array([0x83])).length === 227);
 * ```
 */
export function buildOnionPacket(
  path: OnionPath,
  dest: Addr,
  data: Uint8Array,
  nonce: Uint8Array = backend().randomBytes(NONCE_SIZE),
): Uint8Array {
  const forA = layers(path, dest, data, nonce);
  return encodeOnion({
    type: "onion_request",
    hop: 0,
    nonce,
    publicKey: path.publicKeys[0],
    encrypted: encryptSymmetric(path.sharedKeys[0], nonce, forA),
    ret: new Uint8Array(),
  });
}

/**
 * The payload of a TCP relay onion request (what follows the id byte 8): the relay is hop
 * A, so there is no layer for it: `[nonce][IP_Port of B][temp pk][layer for B]`.
 * `path.nodes[0]` is the relay itself (its entry is not used).
 *
 * @example
 * ```ts
 * import { buildOnionPacketTcp, createOnionPath } from "./client_packets.ts";
 * import { backend } from "../crypto/mod.ts";
 * const n = () => ({ publicKey: backend().keyPair().publicKey, addr: { hostname: "127.0.0.1", port: 1 } });
 * const path = createOnionPath([n(), n(), n()], backend().keyPair());
 * console.assert(buildOnionPacketTcp(path, n().addr, new Uint8Array([0x83])).length === 178);
 * ```
 */
export function buildOnionPacketTcp(
  path: OnionPath,
  dest: Addr,
  data: Uint8Array,
  nonce: Uint8Array = backend().randomBytes(NONCE_SIZE),
): Uint8Array {
  return concat(nonce, layers(path, dest, data, nonce));
}

/** Fields of an announce (or search) request. */
export interface AnnounceRequestFields {
  /** The announce node's DHT public key. */
  destPublicKey: Uint8Array;
  /** Key pair the request is encrypted with: the real one to announce, a temporary one to search. */
  sender: KeyPair;
  /** Zeros, or the ping id from the node's previous response. */
  pingId: Uint8Array;
  /** Own real pk (announce) or the friend's real pk (search). */
  searchedPublicKey: Uint8Array;
  /** The data key to publish (zeros when searching). */
  dataPublicKey: Uint8Array;
  /** 8 bytes the node echoes back. */
  sendback: Uint8Array;
  /** Nonce (random by default). */
  nonce?: Uint8Array;
}

/**
 * A 177-byte 0x83 announce request.
 *
 * @example
 * ```ts
 * import { buildAnnounceRequest } from "./client_packets.ts";
 * import { backend } from "../crypto/mod.ts";
 * const me = backend().keyPair(), z = (n: number) => new Uint8Array(n);
 * const r = buildAnnounceRequest({ destPublicKey: me.publicKey, sender: me, pingId: z(32), searchedPublicKey: z(32), dataPublicKey: z(32), sendback: z(8) });
 * console.assert(r.length === 177);
 * ```
 */
export function buildAnnounceRequest(f: AnnounceRequestFields): Uint8Array {
  const nonce = f.nonce ?? backend().randomBytes(NONCE_SIZE);
  const key = backend().sharedKey(f.destPublicKey, f.sender.secretKey);
  return encodeOnion({
    type: "announce_request",
    nonce,
    senderPublicKey: f.sender.publicKey,
    encrypted: encryptSymmetric(key, nonce, encodeAnnouncePlain(f)),
  });
}

/**
 * Opens a 0x84 announce response from the node `destPublicKey` to the request sent with
 * `senderSecretKey`: the echoed sendback and the decrypted reply, or `null` on a bad MAC.
 * Throws {@link WireError} on a malformed packet.
 *
 * @example
 * ```ts
 * import { openAnnounceResponse } from "./client_packets.ts";
 * const z = (n: number) => new Uint8Array(n);
 * const r = new Uint8Array(82); r[0] = 0x84;
 * console.assert(openAnnounceResponse(r, z(32), z(32)) === null);
 * ```
 */
export function openAnnounceResponse(
  bytes: Uint8Array,
  destPublicKey: Uint8Array,
  senderSecretKey: Uint8Array,
): { sendback: Uint8Array; reply: AnnounceReplyPlain } | null {
  const p = decodeOnion(bytes);
  if (p.type !== "announce_response") throw new WireError("BAD_TYPE", "not an announce response");
  const key = trySharedKey(backend(), destPublicKey, senderSecretKey);
  const plain = key && decryptSymmetric(key, p.nonce, p.encrypted);
  if (!plain) return null;
  return { sendback: p.sendback, reply: decodeAnnounceReply(plain) };
}

/**
 * A 0x85 data request for the announced peer `destPublicKey` (its real pk), encrypted with
 * a fresh ephemeral key (or the one given) to the peer's published data key. `plain` is what the peer opens
 * (in Tox clients: `[sender real pk][box to the peer's real pk]`).
 *
 * @example
 * ```ts
 * import { buildDataRequest } from "./client_packets.ts";
 * import { backend } from "../crypto/mod.ts";
 * const peer = backend().keyPair(), data = backend().keyPair();
 * const r = buildDataRequest({ destPublicKey: peer.publicKey, dataPublicKey: data.publicKey, plain: new Uint8Array([1]) });
 * console.assert(r[0] === 0x85 && r.length === 106);
 * ```
 */
export function buildDataRequest(f: {
  destPublicKey: Uint8Array;
  dataPublicKey: Uint8Array;
  plain: Uint8Array;
  nonce?: Uint8Array;
  ephemeral?: KeyPair;
}): Uint8Array {
  const nonce = f.nonce ?? backend().randomBytes(NONCE_SIZE);
  const eph = f.ephemeral ?? backend().keyPair();
  const key = backend().sharedKey(f.dataPublicKey, eph.secretKey);
  return encodeOnion({
    type: "data_request",
    destPublicKey: f.destPublicKey,
    nonce,
    ephemeralPublicKey: eph.publicKey,
    encrypted: encryptSymmetric(key, nonce, f.plain),
  });
}

/**
 * Opens a 0x86 data response with the data secret key the peer announced; `null` on a bad
 * MAC. Throws {@link WireError} on a malformed packet.
 *
 * @example
 * ```ts
 * import { buildDataRequest, openDataResponse } from "./client_packets.ts";
 * import { backend } from "../crypto/mod.ts";
 * const data = backend().keyPair();
 * const req = buildDataRequest({ destPublicKey: new Uint8Array(32), dataPublicKey: data.publicKey, plain: new Uint8Array([7]) });
 * const res = new Uint8Array([0x86, ...req.subarray(33)]);
 * console.assert(openDataResponse(res, data.secretKey)?.plain[0] === 7);
 * ```
 */
export function openDataResponse(
  bytes: Uint8Array,
  dataSecretKey: Uint8Array,
): { nonce: Uint8Array; plain: Uint8Array } | null {
  const p = decodeOnion(bytes);
  if (p.type !== "data_response") throw new WireError("BAD_TYPE", "not a data response");
  if (p.ephemeralPublicKey.length !== PUBLIC_KEY_SIZE) return null;
  const key = trySharedKey(backend(), p.ephemeralPublicKey, dataSecretKey);
  const plain = key && decryptSymmetric(key, p.nonce, p.encrypted);
  return plain ? { nonce: p.nonce, plain } : null;
}
