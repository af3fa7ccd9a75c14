/**
 * Codec of the relay's plaintext packets (what sits inside one encrypted frame). Purely
 * structural: lengths and ids are checked here, protocol state (routes, who may send what)
 * is the server's and the client's business.
 *
 * @example
 * ```ts
 * import { decodePacket, encodePacket } from "./wire.ts";
 * const bytes = encodePacket({ type: "ping", pingId: new Uint8Array(8).fill(1) });
 * console.assert(bytes.length === 9 && decodePacket(bytes).type === "ping");
 * ```
 * @module
 */
import { WireError } from "../util/wire_error.ts";
import type { Addr } from "../net/addr.ts";
import { packedIpPortLength, packIpPort, unpackIpPort } from "../dht/packed_node.ts";
import {
  MAX_FORWARD_DATA_SIZE,
  MAX_OOB_DATA_SIZE,
  MAX_PLAINTEXT_SIZE,
  NUM_RESERVED_PORTS,
  PACKET_ID,
  PING_ID_SIZE,
  PUBLIC_KEY_SIZE,
} from "./constants.ts";

/** One plaintext relay packet. `connId` values are wire ids (16..255; 0 = refused). */
export type RelayPacket =
  | { type: "routingRequest"; publicKey: Uint8Array }
  | { type: "routingResponse"; connId: number; publicKey: Uint8Array }
  | { type: "connectNotification"; connId: number }
  | { type: "disconnectNotification"; connId: number }
  | { type: "ping"; pingId: Uint8Array }
  | { type: "pong"; pingId: Uint8Array }
  | { type: "oobSend"; publicKey: Uint8Array; data: Uint8Array }
  | { type: "oobRecv"; publicKey: Uint8Array; data: Uint8Array }
  | { type: "onionRequest"; data: Uint8Array }
  | { type: "onionResponse"; data: Uint8Array }
  | { type: "forwardRequest"; addr: Addr; data: Uint8Array }
  | { type: "forwarding"; data: Uint8Array }
  | { type: "data"; connId: number; data: Uint8Array };

/**
 * Encoded size of `p` in bytes.
 *
 * @example
 * ```ts
 * import { encodedLength } from "./wire.ts";
 * console.assert(encodedLength({ type: "routingRequest", publicKey: new Uint8Array(32) }) === 33);
 * ```
 */
export function encodedLength(p: RelayPacket): number {
  switch (p.type) {
    case "routingRequest":
      return 1 + PUBLIC_KEY_SIZE;
    case "routingResponse":
      return 2 + PUBLIC_KEY_SIZE;
    case "connectNotification":
    case "disconnectNotification":
      return 2;
    case "ping":
    case "pong":
      return 1 + PING_ID_SIZE;
    case "oobSend":
    case "oobRecv":
      return 1 + PUBLIC_KEY_SIZE + p.data.length;
    case "onionRequest":
    case "onionResponse":
    case "forwarding":
    case "data":
      return 1 + p.data.length;
    case "forwardRequest":
      return 1 + packedIpPortLength(p.addr) + p.data.length;
  }
}

function checkKey(k: Uint8Array): void {
  if (k.length !== PUBLIC_KEY_SIZE) throw new TypeError("public key must be 32 bytes");
}

function checkConnId(id: number, allowZero: boolean): void {
  if (!Number.isInteger(id) || id > 255 || (id < NUM_RESERVED_PORTS && !(allowZero && id === 0))) {
    throw new RangeError(`connection id ${id} out of range`);
  }
}

/**
 * Encodes `p`. Throws `TypeError`/`RangeError` on a value no peer could decode.
 *
 * @example
 * ```ts
 * import { encodePacket } from "./wire.ts";
 * console.assert(encodePacket({ type: "data", connId: 16, data: new Uint8Array([1]) })[0] === 16);
 * ```
 */
export function encodePacket(p: RelayPacket): Uint8Array {
  const n = encodedLength(p);
  if (n > MAX_PLAINTEXT_SIZE) {
    throw new RangeError(`packet of ${n} bytes exceeds ${MAX_PLAINTEXT_SIZE}`);
  }
  const out = new Uint8Array(n);
  switch (p.type) {
    case "routingRequest":
      checkKey(p.publicKey);
      out[0] = PACKET_ID.ROUTING_REQUEST;
      out.set(p.publicKey, 1);
      break;
    case "routingResponse":
      checkKey(p.publicKey);
      checkConnId(p.connId, true);
      out[0] = PACKET_ID.ROUTING_RESPONSE;
      out[1] = p.connId;
      out.set(p.publicKey, 2);
      break;
    case "connectNotification":
    case "disconnectNotification":
      checkConnId(p.connId, false);
      out[0] = p.type === "connectNotification"
        ? PACKET_ID.CONNECT_NOTIFICATION
        : PACKET_ID.DISCONNECT_NOTIFICATION;
      out[1] = p.connId;
      break;
    case "ping":
    case "pong":
      if (p.pingId.length !== PING_ID_SIZE) throw new TypeError("ping id must be 8 bytes");
      out[0] = p.type === "ping" ? PACKET_ID.PING : PACKET_ID.PONG;
      out.set(p.pingId, 1);
      break;
    case "oobSend":
    case "oobRecv":
      checkKey(p.publicKey);
      if (p.data.length < 1 || p.data.length > MAX_OOB_DATA_SIZE) {
        throw new RangeError("out-of-band data must be 1..1024 bytes");
      }
      out[0] = p.type === "oobSend" ? PACKET_ID.OOB_SEND : PACKET_ID.OOB_RECV;
      out.set(p.publicKey, 1);
      out.set(p.data, 1 + PUBLIC_KEY_SIZE);
      break;
    case "onionRequest":
    case "onionResponse":
    case "forwarding":
      out[0] = p.type === "onionRequest"
        ? PACKET_ID.ONION_REQUEST
        : p.type === "onionResponse"
        ? PACKET_ID.ONION_RESPONSE
        : PACKET_ID.FORWARDING;
      out.set(p.data, 1);
      break;
    case "forwardRequest": {
      if (p.data.length > MAX_FORWARD_DATA_SIZE) throw new RangeError("forward data too large");
      const ipp = packIpPort(p.addr, false);
      out[0] = PACKET_ID.FORWARD_REQUEST;
      out.set(ipp, 1);
      out.set(p.data, 1 + ipp.length);
      break;
    }
    case "data":
      checkConnId(p.connId, false);
      out[0] = p.connId;
      out.set(p.data, 1);
      break;
  }
  return out;
}

function exact(b: Uint8Array, n: number, what: string): void {
  if (b.length < n) throw new WireError("TRUNCATED", `${what}: ${b.length} of ${n} bytes`);
  if (b.length > n) throw new WireError("BAD_LENGTH", `${what}: ${b.length} bytes, want ${n}`);
}

/**
 * Decodes one plaintext packet. Throws only {@link WireError}: empty input, reserved ids
 * 12..15, a wrong fixed length, out-of-band data outside 1..1024, a connection id below 16
 * in a notification, a bad address or an oversized forward request. The returned byte
 * fields are views into `b`.
 *
 * @example
 * ```ts
 * import { decodePacket } from "./wire.ts";
 * const p = decodePacket(new Uint8Array([3, 16]));
 * console.assert(p.type === "disconnectNotification" && p.connId === 16);
 * ```
 */
export function decodePacket(b: Uint8Array): RelayPacket {
  const id = b[0];
  if (id === undefined) throw new WireError("TRUNCATED", "empty packet");
  switch (id) {
    case PACKET_ID.ROUTING_REQUEST:
      exact(b, 1 + PUBLIC_KEY_SIZE, "routing request");
      return { type: "routingRequest", publicKey: b.subarray(1) };
    case PACKET_ID.ROUTING_RESPONSE:
      exact(b, 2 + PUBLIC_KEY_SIZE, "routing response");
      return { type: "routingResponse", connId: b[1]!, publicKey: b.subarray(2) };
    case PACKET_ID.CONNECT_NOTIFICATION:
    case PACKET_ID.DISCONNECT_NOTIFICATION: {
      exact(b, 2, "notification");
      const connId = b[1]!;
      if (connId < NUM_RESERVED_PORTS) {
        throw new WireError("BAD_VALUE", `connection id ${connId} below ${NUM_RESERVED_PORTS}`);
      }
      return {
        type: id === PACKET_ID.CONNECT_NOTIFICATION
          ? "connectNotification"
          : "disconnectNotification",
        connId,
      };
    }
    case PACKET_ID.PING:
    case PACKET_ID.PONG:
      exact(b, 1 + PING_ID_SIZE, "ping");
      return { type: id === PACKET_ID.PING ? "ping" : "pong", pingId: b.subarray(1) };
    case PACKET_ID.OOB_SEND:
    case PACKET_ID.OOB_RECV: {
      if (b.length <= 1 + PUBLIC_KEY_SIZE) throw new WireError("TRUNCATED", "out-of-band packet");
      if (b.length > 1 + PUBLIC_KEY_SIZE + MAX_OOB_DATA_SIZE) {
        throw new WireError("TOO_LARGE", "out-of-band data over 1024 bytes");
      }
      const publicKey = b.subarray(1, 1 + PUBLIC_KEY_SIZE);
      const data = b.subarray(1 + PUBLIC_KEY_SIZE);
      return id === PACKET_ID.OOB_SEND
        ? { type: "oobSend", publicKey, data }
        : { type: "oobRecv", publicKey, data };
    }
    case PACKET_ID.ONION_REQUEST:
      return { type: "onionRequest", data: b.subarray(1) };
    case PACKET_ID.ONION_RESPONSE:
      return { type: "onionResponse", data: b.subarray(1) };
    case PACKET_ID.FORWARD_REQUEST: {
      const { addr, size } = unpackIpPort(b, 1, false);
      const data = b.subarray(1 + size);
      if (data.length > MAX_FORWARD_DATA_SIZE) {
        throw new WireError("TOO_LARGE", "forward data over 1792 bytes");
      }
      return { type: "forwardRequest", addr, data };
    }
    case PACKET_ID.FORWARDING:
      return { type: "forwarding", data: b.subarray(1) };
    default:
      if (id < NUM_RESERVED_PORTS) throw new WireError("BAD_TYPE", `reserved packet id ${id}`);
      return { type: "data", connId: id, data: b.subarray(1) };
  }
}
