/**
 * Byte-exact codecs of the c-toxcore 0.2.18 DHT packets (tox-protocol.md §3):
 *
 * ```text
 * DHT packet   [kind 1][sender pk 32][nonce 24][Box(plain) = MAC 16 || ciphertext]
 *   0x00/0x01  plain [type 1][ping_id 8]                        82 bytes in all
 *   0x02       plain [target pk 32][ping_id 8]                  113 bytes in all
 *   0x04       plain [count 1][count packed nodes][ping_id 8]   82 + nodes bytes
 * 0x20         [0x20][receiver pk 32][sender pk 32][nonce 24][Box([request id 1][data])]
 * 0x21         [0x21][sender pk 32]                             33 bytes, not encrypted
 * ```
 *
 * Decoders throw only {@link WireError}; opening a box returns `null` on a bad MAC.
 *
 * @example
 * ```ts
 * import { decodeDhtPlain, encodeDhtPlain } from "./wire.ts";
 * const m = { type: "pingRequest", pingId: new Uint8Array(8).fill(7) } as const;
 * const back = decodeDhtPlain(0x00, encodeDhtPlain(m));
 * console.assert(back.type === "pingRequest" && back.pingId[0] === 7);
 * ```
 * @module
 */
import { decryptSymmetric, encryptSymmetric } from "../crypto/box.ts";
import { WireError } from "../util/wire_error.ts";
import { type NodeInfo, packNodes, unpackNodes } from "./packed_node.ts";
import {
  DHT_HEADER_SIZE,
  KIND,
  LAN_DISCOVERY_SIZE,
  MAC_SIZE,
  MAX_SENT_NODES,
  NODES_REQUEST_PACKET_SIZE,
  NODES_REQUEST_PLAIN_SIZE,
  NODES_RESPONSE_MAX_SIZE,
  NODES_RESPONSE_MIN_SIZE,
  NONCE_SIZE,
  PING_ID_SIZE,
  PING_PACKET_SIZE,
  PING_PLAIN_SIZE,
  PK_SIZE,
  ROUTED_HEADER_SIZE,
  ROUTED_MAX_FORWARD_SIZE,
  ROUTED_MIN_EXCLUSIVE,
} from "./constants.ts";

/** A decrypted DHT message (tagged union). */
export type DhtMessage =
  | { type: "pingRequest"; pingId: Uint8Array }
  | { type: "pingResponse"; pingId: Uint8Array }
  | { type: "nodesRequest"; target: Uint8Array; pingId: Uint8Array }
  | { type: "nodesResponse"; nodes: NodeInfo[]; pingId: Uint8Array };

/** The outer layout of an encrypted DHT packet. */
export interface DhtPacket {
  /** 0x00, 0x01, 0x02 or 0x04. */
  kind: number;
  /** Sender's DHT public key. */
  senderPublicKey: Uint8Array;
  /** Random nonce. */
  nonce: Uint8Array;
  /** `MAC || ciphertext`. */
  box: Uint8Array;
}

/** A routed DHT request (0x20), still encrypted. */
export interface RoutedPacket {
  /** Addressee's DHT public key. */
  receiverPublicKey: Uint8Array;
  /** Sender's DHT public key. */
  senderPublicKey: Uint8Array;
  /** Random nonce. */
  nonce: Uint8Array;
  /** `MAC || ciphertext` of `[request id][data]`. */
  box: Uint8Array;
}

/** Encrypts with a precomputed key (`MAC || ciphertext`). */
export type SealFn = (key: Uint8Array, nonce: Uint8Array, m: Uint8Array) => Uint8Array;
/** Opens with a precomputed key; `null` on a bad MAC. */
export type OpenFn = (key: Uint8Array, nonce: Uint8Array, c: Uint8Array) => Uint8Array | null;

const DHT_KINDS = new Set<number>([
  KIND.PING_REQUEST,
  KIND.PING_RESPONSE,
  KIND.NODES_REQUEST,
  KIND.NODES_RESPONSE,
]);

/**
 * The outer kind byte of a message.
 *
 * @example
 * ```ts
 * import { kindOf } from "./wire.ts";
 * console.assert(kindOf({ type: "nodesRequest", target: new Uint8Array(32), pingId: new Uint8Array(8) }) === 2);
 * ```
 */
export function kindOf(m: DhtMessage): number {
  switch (m.type) {
    case "pingRequest":
      return KIND.PING_REQUEST;
    case "pingResponse":
      return KIND.PING_RESPONSE;
    case "nodesRequest":
      return KIND.NODES_REQUEST;
    case "nodesResponse":
      return KIND.NODES_RESPONSE;
  }
}

function checkLen(b: Uint8Array, n: number, what: string): void {
  if (b.length !== n) throw new TypeError(`${what} must be ${n} bytes`);
}

/**
 * Plaintext of a DHT message.
 *
 * @example
 * ```ts
 * import { encodeDhtPlain } from "./wire.ts";
 * console.assert(encodeDhtPlain({ type: "pingResponse", pingId: new Uint8Array(8) })[0] === 1);
 * ```
 */
export function encodeDhtPlain(m: DhtMessage): Uint8Array {
  checkLen(m.pingId, PING_ID_SIZE, "ping id");
  switch (m.type) {
    case "pingRequest":
    case "pingResponse": {
      const out = new Uint8Array(PING_PLAIN_SIZE);
      out[0] = kindOf(m);
      out.set(m.pingId, 1);
      return out;
    }
    case "nodesRequest": {
      checkLen(m.target, PK_SIZE, "target");
      const out = new Uint8Array(NODES_REQUEST_PLAIN_SIZE);
      out.set(m.target);
      out.set(m.pingId, PK_SIZE);
      return out;
    }
    case "nodesResponse": {
      if (m.nodes.length > MAX_SENT_NODES) throw new RangeError("at most 4 nodes");
      if (m.nodes.some((n) => n.tcp)) throw new RangeError("no TCP nodes in a nodes response");
      const packed = packNodes(m.nodes);
      const out = new Uint8Array(1 + packed.length + PING_ID_SIZE);
      out[0] = m.nodes.length;
      out.set(packed, 1);
      out.set(m.pingId, 1 + packed.length);
      return out;
    }
  }
}

/**
 * Decodes the plaintext of a DHT message of outer kind `kind`.
 *
 * @example
 * ```ts
 * import { decodeDhtPlain } from "./wire.ts";
 * try { decodeDhtPlain(0x00, new Uint8Array(3)); } catch (e) { console.assert((e as Error).name === "WireError"); }
 * ```
 */
export function decodeDhtPlain(kind: number, plain: Uint8Array): DhtMessage {
  switch (kind) {
    case KIND.PING_REQUEST:
    case KIND.PING_RESPONSE: {
      if (plain.length !== PING_PLAIN_SIZE) throw new WireError("BAD_LENGTH", "ping plaintext");
      if (plain[0] !== kind) throw new WireError("BAD_TYPE", "ping type differs from kind");
      const pingId = plain.slice(1);
      return kind === KIND.PING_REQUEST
        ? { type: "pingRequest", pingId }
        : { type: "pingResponse", pingId };
    }
    case KIND.NODES_REQUEST:
      if (plain.length !== NODES_REQUEST_PLAIN_SIZE) {
        throw new WireError("BAD_LENGTH", "nodes request plaintext");
      }
      return {
        type: "nodesRequest",
        target: plain.slice(0, PK_SIZE),
        pingId: plain.slice(PK_SIZE),
      };
    case KIND.NODES_RESPONSE: {
      if (plain.length < 1 + PING_ID_SIZE) throw new WireError("TRUNCATED", "nodes response");
      const count = plain[0]!;
      if (count > MAX_SENT_NODES) throw new WireError("BAD_VALUE", `node count ${count}`);
      const area = plain.subarray(1, plain.length - PING_ID_SIZE);
      const { nodes, size } = unpackNodes(area, { max: count, allowTcp: false });
      if (nodes.length !== count || size !== area.length) {
        throw new WireError("BAD_LENGTH", "node area does not hold exactly count nodes");
      }
      return { type: "nodesResponse", nodes, pingId: plain.slice(plain.length - PING_ID_SIZE) };
    }
    default:
      throw new WireError("BAD_TYPE", `not a DHT packet kind: ${kind}`);
  }
}

/**
 * Datagram length of a message once sealed.
 *
 * @example
 * ```ts
 * import { encodedLength } from "./wire.ts";
 * console.assert(encodedLength({ type: "pingRequest", pingId: new Uint8Array(8) }) === 82);
 * ```
 */
export function encodedLength(m: DhtMessage): number {
  switch (m.type) {
    case "pingRequest":
    case "pingResponse":
      return PING_PACKET_SIZE;
    case "nodesRequest":
      return NODES_REQUEST_PACKET_SIZE;
    case "nodesResponse":
      return NODES_RESPONSE_MIN_SIZE + packNodes(m.nodes).length;
  }
}

/**
 * Lays out an encrypted DHT packet.
 *
 * @example
 * ```ts
 * import { encodeDhtPacket } from "./wire.ts";
 * const p = encodeDhtPacket({ kind: 0, senderPublicKey: new Uint8Array(32), nonce: new Uint8Array(24), box: new Uint8Array(25) });
 * console.assert(p.length === 82);
 * ```
 */
export function encodeDhtPacket(p: DhtPacket): Uint8Array {
  checkLen(p.senderPublicKey, PK_SIZE, "sender public key");
  checkLen(p.nonce, NONCE_SIZE, "nonce");
  const out = new Uint8Array(DHT_HEADER_SIZE + p.box.length);
  out[0] = p.kind;
  out.set(p.senderPublicKey, 1);
  out.set(p.nonce, 1 + PK_SIZE);
  out.set(p.box, DHT_HEADER_SIZE);
  return out;
}

/**
 * Splits a DHT datagram, enforcing c-toxcore's length rules per kind (ping exactly 82, nodes
 * request exactly 113, nodes response 82..286). Fields are views into `bytes`.
 *
 * @example
 * ```ts
 * import { decodeDhtPacket } from "./wire.ts";
 * console.assert(decodeDhtPacket(new Uint8Array(82)).kind === 0);
 * ```
 */
export function decodeDhtPacket(bytes: Uint8Array): DhtPacket {
  const kind = bytes[0];
  if (kind === undefined) throw new WireError("TRUNCATED", "empty datagram");
  if (!DHT_KINDS.has(kind)) throw new WireError("BAD_TYPE", `not a DHT packet kind: ${kind}`);
  const n = bytes.length;
  if (kind === KIND.PING_REQUEST || kind === KIND.PING_RESPONSE) {
    if (n !== PING_PACKET_SIZE) throw new WireError("BAD_LENGTH", `ping of ${n} bytes`);
  } else if (kind === KIND.NODES_REQUEST) {
    if (n !== NODES_REQUEST_PACKET_SIZE) {
      throw new WireError("BAD_LENGTH", `nodes request of ${n} bytes`);
    }
  } else if (n < NODES_RESPONSE_MIN_SIZE) {
    throw new WireError("TRUNCATED", `nodes response of ${n} bytes`);
  } else if (n > NODES_RESPONSE_MAX_SIZE) {
    throw new WireError("TOO_LARGE", `nodes response of ${n} bytes`);
  }
  return {
    kind,
    senderPublicKey: bytes.subarray(1, 1 + PK_SIZE),
    nonce: bytes.subarray(1 + PK_SIZE, DHT_HEADER_SIZE),
    box: bytes.subarray(DHT_HEADER_SIZE),
  };
}

/**
 * Encrypts and lays out a DHT message with a precomputed shared key.
 *
 * @example
 * ```ts
 * import { openDhtPacket, sealDhtPacket } from "./wire.ts";
 * const key = new Uint8Array(32), pk = new Uint8Array(32).fill(1), nonce = new Uint8Array(24);
 * const bytes = sealDhtPacket({ type: "pingRequest", pingId: new Uint8Array(8) }, pk, key, nonce);
 * console.assert(openDhtPacket(bytes, () => key)?.message.type === "pingRequest");
 * ```
 */
export function sealDhtPacket(
  m: DhtMessage,
  senderPublicKey: Uint8Array,
  sharedKey: Uint8Array,
  nonce: Uint8Array,
  seal: SealFn = encryptSymmetric,
): Uint8Array {
  const box = seal(sharedKey, nonce, encodeDhtPlain(m));
  return encodeDhtPacket({ kind: kindOf(m), senderPublicKey, nonce, box });
}

/**
 * Decodes and decrypts a DHT datagram; `keyFor(senderPk)` gives the shared key. Returns
 * `null` when the box does not open; throws {@link WireError} on a bad layout.
 *
 * @example
 * ```ts
 * import { openDhtPacket } from "./wire.ts";
 * console.assert(openDhtPacket(new Uint8Array(82), () => new Uint8Array(32)) === null);
 * ```
 */
export function openDhtPacket(
  bytes: Uint8Array,
  keyFor: (senderPublicKey: Uint8Array) => Uint8Array,
  open: OpenFn = decryptSymmetric,
): { senderPublicKey: Uint8Array; message: DhtMessage } | null {
  const p = decodeDhtPacket(bytes);
  const plain = open(keyFor(p.senderPublicKey), p.nonce, p.box);
  if (!plain) return null;
  return { senderPublicKey: p.senderPublicKey, message: decodeDhtPlain(p.kind, plain) };
}

/**
 * Lays out a routed request (0x20).
 *
 * @example
 * ```ts
 * import { encodeRoutedPacket } from "./wire.ts";
 * const z = new Uint8Array(32);
 * console.assert(encodeRoutedPacket({ receiverPublicKey: z, senderPublicKey: z, nonce: new Uint8Array(24), box: new Uint8Array(18) }).length === 107);
 * ```
 */
export function encodeRoutedPacket(p: RoutedPacket): Uint8Array {
  checkLen(p.receiverPublicKey, PK_SIZE, "receiver public key");
  checkLen(p.senderPublicKey, PK_SIZE, "sender public key");
  checkLen(p.nonce, NONCE_SIZE, "nonce");
  const out = new Uint8Array(ROUTED_HEADER_SIZE + p.box.length);
  out[0] = KIND.ROUTED_REQUEST;
  out.set(p.receiverPublicKey, 1);
  out.set(p.senderPublicKey, 1 + PK_SIZE);
  out.set(p.nonce, 1 + 2 * PK_SIZE);
  out.set(p.box, ROUTED_HEADER_SIZE);
  return out;
}

/**
 * Splits a routed request; length must be in 106..1040 as c-toxcore requires.
 *
 * @example
 * ```ts
 * import { decodeRoutedPacket } from "./wire.ts";
 * const b = new Uint8Array(107); b[0] = 0x20;
 * console.assert(decodeRoutedPacket(b).box.length === 18);
 * ```
 */
export function decodeRoutedPacket(bytes: Uint8Array): RoutedPacket {
  if (bytes[0] !== KIND.ROUTED_REQUEST) throw new WireError("BAD_TYPE", "not a routed request");
  if (bytes.length <= ROUTED_MIN_EXCLUSIVE) throw new WireError("TRUNCATED", "routed request");
  if (bytes.length > ROUTED_MAX_FORWARD_SIZE) throw new WireError("TOO_LARGE", "routed request");
  return {
    receiverPublicKey: bytes.subarray(1, 1 + PK_SIZE),
    senderPublicKey: bytes.subarray(1 + PK_SIZE, 1 + 2 * PK_SIZE),
    nonce: bytes.subarray(1 + 2 * PK_SIZE, ROUTED_HEADER_SIZE),
    box: bytes.subarray(ROUTED_HEADER_SIZE),
  };
}

/**
 * Builds a routed request from `sender` to `receiver` carrying `[requestId][data]`.
 *
 * @example
 * ```ts
 * import { sealRoutedPacket } from "./wire.ts";
 * const z = new Uint8Array(32);
 * console.assert(sealRoutedPacket(z, z, 254, new Uint8Array(9), z, new Uint8Array(24)).length === 115);
 * ```
 */
export function sealRoutedPacket(
  receiverPublicKey: Uint8Array,
  senderPublicKey: Uint8Array,
  requestId: number,
  data: Uint8Array,
  sharedKey: Uint8Array,
  nonce: Uint8Array,
  seal: SealFn = encryptSymmetric,
): Uint8Array {
  if (data.length < 1) throw new RangeError("routed request data must not be empty");
  const plain = new Uint8Array(1 + data.length);
  plain[0] = requestId;
  plain.set(data, 1);
  const box = seal(sharedKey, nonce, plain);
  return encodeRoutedPacket({ receiverPublicKey, senderPublicKey, nonce, box });
}

/**
 * Opens the box of a routed request addressed to us; `null` on a bad MAC, an oversized packet
 * or a plaintext shorter than request id plus one data byte (c-toxcore's rules).
 *
 * @example
 * ```ts
 * import { openRoutedPacket, decodeRoutedPacket, sealRoutedPacket } from "./wire.ts";
 * const z = new Uint8Array(32), n = new Uint8Array(24);
 * const p = decodeRoutedPacket(sealRoutedPacket(z, z, 254, new Uint8Array([1]), z, n));
 * console.assert(openRoutedPacket(p, z)?.requestId === 254);
 * ```
 */
export function openRoutedPacket(
  p: RoutedPacket,
  sharedKey: Uint8Array,
  open: OpenFn = decryptSymmetric,
): { requestId: number; data: Uint8Array } | null {
  if (ROUTED_HEADER_SIZE + p.box.length > 1024) return null;
  if (p.box.length < MAC_SIZE + 2) return null;
  const plain = open(sharedKey, p.nonce, p.box);
  if (!plain || plain.length < 2) return null;
  return { requestId: plain[0]!, data: plain.subarray(1) };
}

/** NAT ping carried in a routed request with id 254: `[0 request | 1 response][ping_id 8]`. */
export interface NatPing {
  /** True for a response. */
  response: boolean;
  /** Opaque id. */
  pingId: Uint8Array;
}

/**
 * Encodes NAT ping data (9 bytes).
 *
 * @example
 * ```ts
 * import { encodeNatPing } from "./wire.ts";
 * console.assert(encodeNatPing({ response: true, pingId: new Uint8Array(8) })[0] === 1);
 * ```
 */
export function encodeNatPing(p: NatPing): Uint8Array {
  checkLen(p.pingId, PING_ID_SIZE, "ping id");
  const out = new Uint8Array(1 + PING_ID_SIZE);
  out[0] = p.response ? 1 : 0;
  out.set(p.pingId, 1);
  return out;
}

/**
 * Decodes NAT ping data.
 *
 * @example
 * ```ts
 * import { decodeNatPing } from "./wire.ts";
 * console.assert(decodeNatPing(new Uint8Array(9)).response === false);
 * ```
 */
export function decodeNatPing(data: Uint8Array): NatPing {
  if (data.length !== 1 + PING_ID_SIZE) throw new WireError("BAD_LENGTH", "NAT ping");
  if (data[0]! > 1) throw new WireError("BAD_TYPE", `NAT ping type ${data[0]}`);
  return { response: data[0] === 1, pingId: data.slice(1) };
}

/**
 * LAN discovery datagram: `[0x21][sender DHT pk 32]`.
 *
 * @example
 * ```ts
 * import { encodeLanDiscovery } from "./wire.ts";
 * console.assert(encodeLanDiscovery(new Uint8Array(32)).length === 33);
 * ```
 */
export function encodeLanDiscovery(publicKey: Uint8Array): Uint8Array {
  checkLen(publicKey, PK_SIZE, "public key");
  const out = new Uint8Array(LAN_DISCOVERY_SIZE);
  out[0] = KIND.LAN_DISCOVERY;
  out.set(publicKey, 1);
  return out;
}

/**
 * Decodes LAN discovery; exactly 33 bytes.
 *
 * @example
 * ```ts
 * import { decodeLanDiscovery, encodeLanDiscovery } from "./wire.ts";
 * console.assert(decodeLanDiscovery(encodeLanDiscovery(new Uint8Array(32).fill(3)))[0] === 3);
 * ```
 */
export function decodeLanDiscovery(bytes: Uint8Array): Uint8Array {
  if (bytes[0] !== KIND.LAN_DISCOVERY) throw new WireError("BAD_TYPE", "not LAN discovery");
  if (bytes.length !== LAN_DISCOVERY_SIZE) throw new WireError("BAD_LENGTH", "LAN discovery");
  return bytes.slice(1);
}

/**
 * True for the kinds the DHT node handles (0x00, 0x01, 0x02, 0x04, 0x20, 0x21).
 *
 * @example
 * ```ts
 * import { isDhtKind } from "./wire.ts";
 * console.assert(isDhtKind(0x04) && !isDhtKind(0x03) && !isDhtKind(0x80));
 * ```
 */
export function isDhtKind(kind: number | undefined): boolean {
  return kind !== undefined &&
    (DHT_KINDS.has(kind) || kind === KIND.ROUTED_REQUEST || kind === KIND.LAN_DISCOVERY);
}
