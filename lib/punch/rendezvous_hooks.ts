/**
 * Glue between a relay node and its {@link Rendezvous}: the handler for cookie datagrams
 * (kind 0xe6, registered in the node's UDP packet table) and the handler for out-of-band
 * packets addressed to the relay's own key. The relay node stays ignorant of punching: it
 * passes two callbacks in and registers two handlers.
 *
 * @example
 * ```ts
 * import { rendezvousHooks } from "./rendezvous_hooks.ts";
 * const sent: number[] = [];
 * const h = rendezvousHooks({
 *   udp: () => ({ hostname: "127.0.0.1", port: 33445 }),
 *   online: () => false,
 *   send: (_key, data) => sent.push(data.length),
 * });
 * h.onCookie(new Uint8Array(17), { hostname: "127.0.0.1", port: 1 }, 0);
 * console.assert(h.rendezvous.stats.badCookie === 1 && sent.length === 0);
 * ```
 * @module
 */
import type { Addr } from "../net/addr.ts";
import { fromHex, toHex } from "../util/bytes.ts";
import { Rendezvous, type RendezvousSend } from "./rendezvous.ts";

/** What the relay node provides. */
export interface RendezvousHost {
  /** The relay's UDP address (its port is what peers need). */
  udp: () => Addr;
  /** Whether a client with this key is connected. */
  online: (key: Uint8Array) => boolean;
  /** Sends an out-of-band packet from the relay's own key to a client. */
  send: (key: Uint8Array, data: Uint8Array) => void;
}

/** The two handlers and the coordinator behind them. */
export interface RendezvousHooks {
  /** The coordinator (stats). */
  rendezvous: Rendezvous;
  /** For the UDP packet table, kind 0xe6. */
  onCookie: (data: Uint8Array, from: Addr, now: number) => void;
  /** For the relay server's `onOobToSelf`. */
  onControl: (sender: Uint8Array, data: Uint8Array, now: number) => void;
}

/**
 * Builds the hooks (introductions go out at once: no delay timer to own).
 *
 * @example
 * ```ts
 * import { rendezvousHooks } from "./rendezvous_hooks.ts";
 * const h = rendezvousHooks({ udp: () => ({ hostname: "::1", port: 1 }), online: () => true, send: () => {} });
 * console.assert(h.rendezvous.size === 0);
 * ```
 */
export function rendezvousHooks(host: RendezvousHost): RendezvousHooks {
  const rendezvous = new Rendezvous({
    get udp() {
      return host.udp();
    },
    online: (key) => host.online(fromHex(key)),
  });
  const out = (sends: RendezvousSend[]) => {
    for (const s of sends) host.send(fromHex(s.to), s.data);
  };
  return {
    rendezvous,
    onCookie: (data, from, now) => out(rendezvous.handleCookie(from, data, now)),
    onControl: (sender, data, now) => out(rendezvous.handleControl(toHex(sender), data, now)),
  };
}
