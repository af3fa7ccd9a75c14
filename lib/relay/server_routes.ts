/**
 * Routes between relay clients (c-toxcore TCP_server.c): a routing request takes a slot
 * and answers with its connection id; when both clients have asked for each other the route
 * goes online and both get a connect notification; freeing a slot tells the other end.
 *
 * @example
 * ```ts
 * import { backend } from "../crypto/mod.ts";
 * import { RelayServer } from "./server.ts";
 * const s = new RelayServer({ keyPair: backend().keyPair() });
 * console.assert(s.stats().routes === 0 && s.stats().onlineRoutes === 0);
 * ```
 * @module
 */
import { NUM_CLIENT_CONNECTIONS, NUM_RESERVED_PORTS } from "./constants.ts";
import type { Conn, Slot } from "./server_conn.ts";
import type { ServerState } from "./server_state.ts";
import { toHex } from "../util/bytes.ts";
import { encodePacket } from "./wire.ts";

/**
 * Handles client `c`'s routing request for `key`: answers with the slot's connection id (0
 * when all slots are taken or `key` is its own) and brings the route online when the other
 * client asked for `c` too.
 *
 * @example
 * ```ts
 * import { backend } from "../crypto/mod.ts";
 * import { routingRequest } from "./server_routes.ts";
 * import { newConn } from "./server_conn.ts";
 * import { ServerState } from "./server_state.ts";
 * const st = new ServerState({ keyPair: backend().keyPair() });
 * const c = newConn(1, { hostname: "127.0.0.1", port: 1 }, 0);
 * st.conns.set(1, c);
 * routingRequest(st, c, new Uint8Array(32).fill(7), 0); // no codec yet: nothing is queued
 * console.assert(st.routes === 1 && c.slotCount === 1);
 * ```
 */
export function routingRequest(st: ServerState, c: Conn, key: Uint8Array, now: number): void {
  const respond = (connId: number) =>
    st.write(c, encodePacket({ type: "routingResponse", connId, publicKey: key }), true, now);
  const hex = toHex(key);
  if (hex === c.hex) return void respond(0);
  c.slots ??= new Array<Slot | null>(NUM_CLIENT_CONNECTIONS).fill(null);
  let free = -1;
  for (let i = 0; i < NUM_CLIENT_CONNECTIONS; i++) {
    const s = c.slots[i];
    if (s) {
      if (s.hex === hex) return void respond(i + NUM_RESERVED_PORTS);
    } else if (free === -1) free = i;
  }
  if (free === -1) return void respond(0);
  respond(free + NUM_RESERVED_PORTS);
  if (!st.conns.has(c.id)) return;
  const slot: Slot = { key: key.slice(), hex, online: false, other: null, otherSlot: 0 };
  c.slots[free] = slot;
  c.slotCount++;
  st.routes++;
  const other = st.byKey.get(hex);
  if (!other?.slots) return;
  for (let j = 0; j < NUM_CLIENT_CONNECTIONS; j++) {
    const os = other.slots[j];
    if (os && !os.online && os.hex === c.hex) {
      slot.online = os.online = true;
      slot.other = other;
      slot.otherSlot = j;
      os.other = c;
      os.otherSlot = free;
      st.onlineRoutes += 2;
      const cn = (connId: number) => encodePacket({ type: "connectNotification", connId });
      st.write(c, cn(free + NUM_RESERVED_PORTS), true, now);
      st.write(other, cn(j + NUM_RESERVED_PORTS), true, now);
      return;
    }
  }
}

/**
 * Frees slot `i` of `c`; an online route's other end gets a disconnect notification.
 *
 * @example
 * ```ts
 * import { backend } from "../crypto/mod.ts";
 * import { freeSlot, routingRequest } from "./server_routes.ts";
 * import { newConn } from "./server_conn.ts";
 * import { ServerState } from "./server_state.ts";
 * const st = new ServerState({ keyPair: backend().keyPair() });
 * const c = newConn(1, { hostname: "127.0.0.1", port: 1 }, 0);
 * st.conns.set(1, c);
 * routingRequest(st, c, new Uint8Array(32).fill(7), 0);
 * freeSlot(st, c, 0, 0);
 * console.assert(st.routes === 0 && c.slotCount === 0);
 * ```
 */
export function freeSlot(st: ServerState, c: Conn, i: number, now: number): void {
  const s = c.slots![i]!;
  if (s.online && s.other) {
    const os = s.other.slots?.[s.otherSlot];
    if (os) {
      os.online = false;
      os.other = null;
      os.otherSlot = 0;
      st.onlineRoutes -= 2;
      st.write(
        s.other,
        encodePacket({ type: "disconnectNotification", connId: s.otherSlot + NUM_RESERVED_PORTS }),
        true,
        now,
      );
    }
  }
  c.slots![i] = null;
  c.slotCount--;
  st.routes--;
}
