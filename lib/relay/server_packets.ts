/**
 * What the relay server core does with each packet a confirmed client sends: data on a
 * route, routing and disconnect requests, pings and pongs, out-of-band sends, onion and
 * forward requests; c-toxcore's reactions to misuse (a server-to-client packet from a
 * client closes it), and the rate limit's charge for each.
 *
 * @example
 * ```ts
 * import { CONTROL_PACKET_COST } from "./server_packets.ts";
 * console.assert(CONTROL_PACKET_COST === 8192);
 * ```
 * @module
 */
import { toHex } from "../util/bytes.ts";
import { WireError } from "../util/wire_error.ts";
import {
  MIN_ONION_REQUEST_EXCLUSIVE,
  NUM_CLIENT_CONNECTIONS,
  NUM_RESERVED_PORTS,
  PACKET_ID,
} from "./constants.ts";
import type { Conn } from "./server_conn.ts";
import { freeSlot, routingRequest } from "./server_routes.ts";
import type { ServerState } from "./server_state.ts";
import { decodePacket, encodePacket, type RelayPacket } from "./wire.ts";

/**
 * Bytes of rate limit a routing request, out-of-band send, onion request or forward request
 * costs on top of its size: at the default 1 MiB/s, 128 of them a second per client.
 *
 * @example
 * ```ts
 * import { CONTROL_PACKET_COST } from "./server_packets.ts";
 * console.assert((1024 * 1024) / CONTROL_PACKET_COST === 128);
 * ```
 */
export const CONTROL_PACKET_COST = 8192;
const COSTLY_CONTROL: ReadonlySet<number> = new Set([
  PACKET_ID.ROUTING_REQUEST,
  PACKET_ID.OOB_SEND,
  PACKET_ID.ONION_REQUEST,
  PACKET_ID.FORWARD_REQUEST,
]);

/**
 * Handles one opened packet `plain` from confirmed client `c` (it may be kept only by
 * copying: the buffer is reused for the next frame).
 *
 * @example
 * ```ts
 * import { backend } from "../crypto/mod.ts";
 * import { handleClientPacket } from "./server_packets.ts";
 * import { newConn } from "./server_conn.ts";
 * import { ServerState } from "./server_state.ts";
 * const st = new ServerState({ keyPair: backend().keyPair() });
 * const c = newConn(1, { hostname: "127.0.0.1", port: 1 }, 0);
 * st.conns.set(1, c);
 * handleClientPacket(st, c, new Uint8Array([3, 16]), 0); // frees a slot it never had: misuse
 * console.assert(st.kills.misuse === 1 && !st.conns.has(1));
 * ```
 */
export function handleClientPacket(st: ServerState, c: Conn, plain: Uint8Array, now: number): void {
  const id = plain[0]!;
  if (id >= NUM_RESERVED_PORTS) return handleData(st, c, plain, now);
  // Control packets make the relay answer, route or send a UDP datagram (onion requests):
  // all of them count against the rate limit, out-of-band packets by their payload below.
  if (id !== PACKET_ID.OOB_SEND) c.bucket?.spend(plain.length, now);
  // Those that make the relay route, send out of band or send a datagram for the client
  // count extra, so a flood of them pauses the client's reads long before it can starve
  // other clients or the node's UDP side.
  if (COSTLY_CONTROL.has(id)) c.bucket?.spend(CONTROL_PACKET_COST, now);
  if (id === PACKET_ID.CONNECT_NOTIFICATION && plain.length === 2) return;
  let p: RelayPacket;
  try {
    p = decodePacket(plain);
  } catch (e) {
    if (e instanceof WireError) return st.kill(c, "malformed");
    throw e;
  }
  switch (p.type) {
    case "routingRequest":
      return routingRequest(st, c, p.publicKey, now);
    case "disconnectNotification": {
      const slot = p.connId - NUM_RESERVED_PORTS;
      if (slot >= NUM_CLIENT_CONNECTIONS || !c.slots?.[slot]) return st.kill(c, "misuse");
      return freeSlot(st, c, slot, now);
    }
    case "ping":
      st.write(c, encodePacket({ type: "pong", pingId: p.pingId }), true, now);
      return;
    case "pong":
      if (p.pingId.every((b) => b === 0)) return st.kill(c, "misuse");
      if (c.pingId && p.pingId.every((b, i) => b === c.pingId![i])) c.pingId = null;
      return;
    case "oobSend":
      return oobSend(st, c, p.publicKey, p.data, now);
    case "onionRequest":
      if (!st.onion) {
        st.drops.no_onion++;
        return;
      }
      if (plain.length <= MIN_ONION_REQUEST_EXCLUSIVE) return st.kill(c, "misuse");
      st.onion(plain.slice(1), c.id, now);
      return;
    case "forwardRequest":
      if (!st.forward) {
        st.drops.no_forwarding++;
        return;
      }
      st.forward(p.addr, p.data.slice(), c.id, now);
      return;
    default: // routing response, connect notification of a wrong size, oob recv, onion
      // response, forwarding: server-to-client packets sent by a client
      return st.kill(c, "misuse");
  }
}

/** An out-of-band send: to the relay itself (punch coordination) or to another client. */
function oobSend(st: ServerState, c: Conn, to: Uint8Array, data: Uint8Array, now: number): void {
  c.bucket?.spend(data.length, now);
  if (st.oobSelf && toHex(to) === toHex(st.o.keyPair.publicKey)) {
    return st.oobSelf(c.key!, data.slice(), now); // punch coordination
  }
  const dest = st.byKey.get(toHex(to));
  if (!dest) {
    st.drops.no_route++;
    return;
  }
  const out = encodePacket({ type: "oobRecv", publicKey: c.key!, data });
  if (st.write(dest, out, false, now)) st.relayed(data.length);
}

/** Data on a route: passed on with the other end's connection id, or dropped while offline. */
function handleData(st: ServerState, c: Conn, plain: Uint8Array, now: number): void {
  const slot = c.slots?.[plain[0]! - NUM_RESERVED_PORTS];
  if (!slot) return st.kill(c, "misuse");
  c.bucket?.spend(plain.length - 1, now);
  if (!slot.online || !slot.other) {
    st.drops.not_online++;
    return;
  }
  plain[0] = slot.otherSlot + NUM_RESERVED_PORTS;
  if (st.write(slot.other, plain, false, now)) st.relayed(plain.length - 1);
}
