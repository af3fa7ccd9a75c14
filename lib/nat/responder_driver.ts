/**
 * The thin UDP driver of {@link StunResponder}: binds the responder's local addresses (one,
 * or four with an alternate), answers on each, and sends every reply from the address the
 * responder names. The primary socket may belong to someone else (a port shared with the
 * DHT): pass it as `shared`, and its owner hands over the datagrams `isStunPacket` passes
 * through {@link StunResponderDriver.handle}.
 *
 * @example
 * ```ts
 * import { StunResponder } from "./responder.ts";
 * import { StunResponderDriver } from "./responder_driver.ts";
 * import { discoverNat } from "./driver.ts";
 * const responder = new StunResponder({ primary: { hostname: "127.0.0.1", port: 0 } });
 * await using d = await StunResponderDriver.bind(responder);
 * const r = await discoverNat({ servers: [d.addresses[0]!], bind: { hostname: "127.0.0.1", port: 0 }, rto: 100, attempts: 2 });
 * console.assert(r.mapped?.port === r.local?.port);
 * ```
 * @module
 */
import type { Addr } from "../net/addr.ts";
import { denoNetwork } from "../net/deno.ts";
import { ClosedError, type Datagram, type DatagramSocket, type Network } from "../net/types.ts";
import { type Clock, realClock } from "../net/clock.ts";
import { sameEndpoint } from "./endpoint.ts";
import type { StunResponder } from "./responder.ts";

/** Options of {@link StunResponderDriver.bind}. */
export interface StunResponderDriverOptions {
  /** Where sockets come from (default: Deno's). */
  network?: Network;
  /** An open socket on the primary address, read by its owner (see the module notes). */
  shared?: DatagramSocket;
  /** Time source for the rate limiter (default: the real clock). */
  clock?: Clock;
}

/** Counters of a {@link StunResponderDriver}. */
export interface StunResponderDriverStats {
  /** Replies sent. */
  sent: number;
  /** Replies the socket refused to send. */
  sendErrors: number;
  /** Receive errors other than the socket closing. */
  receiveErrors: number;
}

const MAX_CONSECUTIVE_RECEIVE_ERRORS = 100;

/** Sockets and receive loops around a {@link StunResponder}. */
export class StunResponderDriver implements AsyncDisposable {
  readonly #responder: StunResponder;
  readonly #sockets: DatagramSocket[];
  readonly #owned: DatagramSocket[];
  readonly #clock: Clock;
  #loops: Promise<void>[] = [];
  /** Counters. */
  readonly stats: StunResponderDriverStats = { sent: 0, sendErrors: 0, receiveErrors: 0 };

  private constructor(
    responder: StunResponder,
    sockets: DatagramSocket[],
    owned: DatagramSocket[],
    clock: Clock,
  ) {
    this.#responder = responder;
    this.#sockets = sockets;
    this.#owned = owned;
    this.#clock = clock;
    this.#loops = owned.map((s) => this.#loop(s));
  }

  /**
   * Binds every address of `responder` (a port 0 in its primary address is only allowed
   * without an alternate, and resolves to the bound port) and starts answering.
   */
  static async bind(
    responder: StunResponder,
    opts: StunResponderDriverOptions = {},
  ): Promise<StunResponderDriver> {
    const network = opts.network ?? denoNetwork;
    const [primary, ...rest] = responder.addresses;
    if (!primary) throw new RangeError("responder without addresses");
    if (rest.length > 0 && primary.port === 0) {
      throw new RangeError("an alternate address needs fixed ports");
    }
    const owned: DatagramSocket[] = [];
    try {
      const first = opts.shared ?? await network.bindDatagram(primary);
      if (!opts.shared) owned.push(first);
      const sockets = [first];
      for (const a of rest) {
        const s = await network.bindDatagram(a);
        owned.push(s);
        sockets.push(s);
      }
      return new StunResponderDriver(responder, sockets, owned, opts.clock ?? realClock);
    } catch (e) {
      owned.forEach((s) => s.close());
      throw e;
    }
  }

  /** The bound addresses, primary first. */
  get addresses(): Addr[] {
    return this.#sockets.map((s) => s.localAddr);
  }

  /** Answers one datagram that arrived on local address `at` (the shared socket's owner). */
  async handle(dg: Datagram, at: Addr): Promise<void> {
    const r = this.#responder.handleDatagram(dg.from, dg.data, this.#clock.now(), at);
    if (!r) return;
    const out = this.#sockets.find((s) => sameEndpoint(s.localAddr, r.from)) ??
      this.#sockets.find((s) => s.localAddr.port === r.from.port) ?? this.#sockets[0]!;
    try {
      await out.send(r.data, r.to);
      this.stats.sent++;
    } catch {
      this.stats.sendErrors++;
    }
  }

  async #loop(s: DatagramSocket): Promise<void> {
    for (let errors = 0; errors < MAX_CONSECUTIVE_RECEIVE_ERRORS;) {
      let dg: Datagram;
      try {
        dg = await s.receive();
        errors = 0;
      } catch (e) {
        if (e instanceof ClosedError) return;
        this.stats.receiveErrors++;
        errors++;
        continue;
      }
      await this.handle(dg, s.localAddr);
    }
  }

  /** Closes the sockets it bound (not a shared one) and waits for the loops. */
  async close(): Promise<void> {
    this.#owned.forEach((s) => s.close());
    await Promise.all(this.#loops);
  }

  /** Same as {@link close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
