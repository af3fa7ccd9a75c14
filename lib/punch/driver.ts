/**
 * The thin driver of a {@link PunchAttempt}: it owns nothing but a timer. The sockets are
 * {@link UdpHost}s (socket 0 is the node's main host, the others the extra sockets of the
 * birthday method); the driver registers the punch kind (0xe5) in each host's packet table,
 * sends what the attempt queues through the host of the socket index it names, and runs the
 * attempt's timeouts on the clock. A datagram the attempt wants with a low TTL goes out
 * with it when the host's socket can set one (the batched Linux socket,
 * `lib/net/udp_linux.ts`); otherwise (Deno's socket, `PEERKIT_NO_FFI=1`, the in-memory
 * network) with the default TTL, counted in {@link PunchDriver.lowTtl} as unavailable.
 *
 * @example
 * ```ts
 * import { PunchDriver } from "./driver.ts";
 * import { PunchAttempt } from "./attempt.ts";
 * import { UdpHost } from "../node/host.ts";
 * import { MemoryNetwork } from "../net/memory.ts";
 * const net = new MemoryNetwork();
 * await using h = new UdpHost({ socket: await net.bindDatagram({ hostname: "10.0.0.1", port: 1 }) });
 * const at = new PunchAttempt({
 *   selfPublicKey: new Uint8Array(32), peerPublicKey: new Uint8Array(32).fill(1),
 *   sharedKey: new Uint8Array(32), attemptId: new Uint8Array(8), peerEndpoints: [],
 *   selfHard: true, peerHard: true, now: 0,
 * });
 * const d = new PunchDriver(at, [h]);
 * console.assert((await d.settled()) === "relay");
 * d.close();
 * ```
 * @module
 */
import { type Clock, realClock, type TimerId } from "../net/clock.ts";
import type { UdpHost } from "../node/host.ts";
import { canSetTtl } from "../net/udp_linux.ts";
import type { AttemptState, PunchAttempt } from "./attempt.ts";
import { PUNCH_KIND } from "./constants.ts";

/** Name under which the driver registers in the packet tables. */
export const PUNCH_LAYER = "punch";

/** Runs one attempt over a set of hosts. */
export class PunchDriver {
  /** The attempt. */
  readonly attempt: PunchAttempt;
  /** Datagrams the attempt asked a TTL for: sent with it, or with the default (no way to set one). */
  readonly lowTtl: { applied: number; unavailable: number; failed: number } = {
    applied: 0,
    unavailable: 0,
    failed: 0,
  };
  readonly #hosts: UdpHost[];
  readonly #clock: Clock;
  #timer: TimerId | undefined;
  #closed = false;
  readonly #waiters: (() => void)[] = [];

  /** Registers in every host's table and sends the attempt's first datagrams. */
  constructor(attempt: PunchAttempt, hosts: UdpHost[], clock: Clock = realClock) {
    this.attempt = attempt;
    this.#hosts = hosts;
    this.#clock = clock;
    hosts.forEach((h, i) => {
      h.table.register(PUNCH_LAYER, [PUNCH_KIND], (data, from, now) => {
        this.attempt.handleDatagram(i, from, data, now);
        this.#pump();
      });
      h.start();
    });
    this.#pump();
  }

  /** Resolves with the state once the attempt is no longer probing. */
  settled(): Promise<AttemptState> {
    if (this.attempt.state !== "probing" || this.#closed) {
      return Promise.resolve(this.attempt.state);
    }
    return new Promise((r) => this.#waiters.push(() => r(this.attempt.state)));
  }

  /** Stops the timer and leaves the tables (the hosts stay open; their owner closes them). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    for (const h of this.#hosts) h.table.unregister(PUNCH_LAYER);
    this.#wake();
  }

  #wake(): void {
    if (this.attempt.state === "probing" && !this.#closed) return;
    for (const w of this.#waiters.splice(0)) w();
  }

  #pump(): void {
    if (this.#closed) return;
    for (let t; (t = this.attempt.pollTransmit());) {
      const host = this.#hosts[t.socket];
      if (!host) continue;
      if (t.ttl === undefined) host.send(t.data, t.to);
      else if (!canSetTtl(host.socket)) {
        this.lowTtl.unavailable++;
        host.send(t.data, t.to);
      } else {
        this.lowTtl.applied++;
        host.socket.sendWithTtl(t.data, t.to, t.ttl).catch(() => this.lowTtl.failed++);
      }
    }
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    const next = this.attempt.nextTimeout();
    if (next !== undefined) {
      this.#timer = this.#clock.setTimeout(() => {
        this.#timer = undefined;
        this.attempt.handleTimeout(this.#clock.now());
        this.#pump();
      }, Math.max(0, next - this.#clock.now()));
    }
    this.#wake();
  }
}
