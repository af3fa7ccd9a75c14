/**
 * The DHT node's queue of datagrams to send, drained by the driver through
 * `DhtNode.pollTransmit`: an array with a moving head, emptied when drained.
 *
 * @example
 * ```ts
 * import { Outbox } from "./outbox.ts";
 * const o = new Outbox();
 * o.push({ hostname: "127.0.0.1", port: 1 }, new Uint8Array([1]));
 * console.assert(o.poll()?.data[0] === 1 && o.poll() === undefined);
 * ```
 * @module
 */
import type { Addr } from "../net/addr.ts";

/** One datagram to send. */
export interface Transmit {
  /** Destination. */
  to: Addr;
  /** The datagram. */
  data: Uint8Array;
}

/**
 * A first-in first-out queue of datagrams.
 *
 * @example
 * ```ts
 * import { Outbox } from "./outbox.ts";
 * const o = new Outbox();
 * const to = { hostname: "127.0.0.1", port: 1 };
 * o.push(to, new Uint8Array([1]));
 * o.push(to, new Uint8Array([2]));
 * console.assert(o.poll()?.data[0] === 1 && o.poll()?.data[0] === 2);
 * ```
 */
export class Outbox {
  #out: Transmit[] = [];
  #head = 0;

  /** Queues `data` for `to`. */
  push(to: Addr, data: Uint8Array): void {
    this.#out.push({ to, data });
  }

  /** The oldest queued datagram, if any. */
  poll(): Transmit | undefined {
    if (this.#head >= this.#out.length) {
      if (this.#out.length > 0) {
        this.#out = [];
        this.#head = 0;
      }
      return undefined;
    }
    const t = this.#out[this.#head];
    this.#out[this.#head++] = undefined as unknown as Transmit;
    return t;
  }
}
