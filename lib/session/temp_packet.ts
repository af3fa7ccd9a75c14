/**
 * The handshake phase's "temp packet" (tox-protocol §6.5): the cookie request, then the
 * handshake, resent every 1 s until the session is established; after 8 sends the next
 * due time means give up (so the 8th send gets a full second to be answered).
 *
 * @example
 * ```ts
 * import { TempPacket } from "./temp_packet.ts";
 * const t = new TempPacket();
 * t.set(new Uint8Array([0x18]), 0);
 * console.assert(t.due(500) === null && t.due(1000)?.[0] === 0x18);
 * ```
 * @module
 */
import { MAX_SEND_PACKET_TRIES, SEND_PACKET_INTERVAL_MS } from "./constants.ts";

/**
 * One temp packet and its resend clock.
 *
 * @example
 * ```ts
 * import { TempPacket } from "./temp_packet.ts";
 * const t = new TempPacket();
 * t.set(new Uint8Array([0x1a]), 0);
 * let sends = 1;
 * for (let now = 1000; t.due(now) !== "giveUp"; now += 1000) sends++;
 * console.assert(sends === 8);
 * ```
 */
export class TempPacket {
  #packet: Uint8Array | null = null;
  #sent = 0;
  #at = 0;

  /** True while a packet is held (the session is not established yet). */
  get active(): boolean {
    return this.#packet !== null;
  }

  /** Holds `packet`, counted as sent once at `now`; returns it (send it now). */
  set(packet: Uint8Array, now: number): Uint8Array {
    this.#packet = packet;
    this.#sent = 1;
    this.#at = now;
    return packet;
  }

  /** At `now`: the packet to send again, `"giveUp"` after 8 sends, or `null` (not due). */
  due(now: number): Uint8Array | "giveUp" | null {
    if (this.#packet === null || now < this.#at + SEND_PACKET_INTERVAL_MS) return null;
    if (this.#sent >= MAX_SEND_PACKET_TRIES) return "giveUp";
    this.#sent++;
    this.#at = now;
    return this.#packet;
  }

  /** When {@link TempPacket.due} next has work (ms); `Infinity` when none is held. */
  nextTimeout(): number {
    return this.#packet === null ? Infinity : this.#at + SEND_PACKET_INTERVAL_MS;
  }

  /** Drops the packet (established or closed). */
  clear(): void {
    this.#packet = null;
  }
}
