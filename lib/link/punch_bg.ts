/**
 * The link's background punch: the relay meeting and one {@link meetAndPunch} attempt at a
 * time, on the link's own UDP host and relay client, so the NAT mapping a punch opens is the
 * one the session then uses. A dialling side starts a punch with each dial (and again, a
 * few times, when the direct path is lost); a listening side keeps a meeting open for its
 * allowed peers. A path that opens on the main socket is handed to the link (`found`); one
 * that opens on an extra socket of the birthday method is not used: the session stays on
 * the relay (moving a session between sockets is not supported by the session driver).
 *
 * @example
 * ```ts ignore
 * const bg = new BackgroundPunch({ keyPair, relay, relays, host, self, clock, log, found });
 * bg.dial(peerKey, Date.now() + 20_000);
 * await bg.close();
 * ```
 * @module
 */
import type { KeyPair } from "../crypto/backend.ts";
import { type Addr, formatAddr } from "../net/addr.ts";
import type { Clock } from "../net/clock.ts";
import type { UdpHost } from "../node/host.ts";
import type { NatLevel } from "../punch/hello.ts";
import { meetAndPunch, type RelaySpec } from "../punch/session.ts";
import type { RelayClient } from "../relay/client_driver.ts";
import { fromHex, toHex } from "../util/bytes.ts";

/** Options of a {@link BackgroundPunch}. */
export interface BackgroundPunchOptions {
  /** Our identity. */
  keyPair: KeyPair;
  /** The link's relay client. */
  relay: RelayClient;
  /** The link's relays (read at each attempt). */
  relays: readonly RelaySpec[];
  /** The link's UDP host. */
  host: UdpHost;
  /** Our endpoints and NAT verdict. */
  self: { endpoints: Addr[]; nat: NatLevel };
  /** Clock. */
  clock: Clock;
  /** Progress lines. */
  log: (line: string) => void;
  /** A direct path to `peer` opened on the main socket. */
  found: (peer: Uint8Array, remote: Addr) => void;
}

/** How long one listening meeting stays open before it starts again (ms). */
const LISTEN_ROUND_MS = 30_000;
/** How long a dialling side's punch may take (ms). */
const DIAL_BUDGET_MS = 20_000;
/** The attempt's driver stays this long after opening, so the peer's round trip completes. */
const LINGER_MS = 3_000;
/** Retries after the direct path is lost, per peer. */
const MAX_RETRIES = 3;
/** Wait before a retry (ms). */
const RETRY_DELAY_MS = 2_000;

/**
 * Punches for a link, one attempt at a time.
 *
 * @example
 * ```ts ignore
 * const bg = new BackgroundPunch(o);
 * bg.listen("any");
 * ```
 */
export class BackgroundPunch {
  readonly #o: BackgroundPunchOptions;
  readonly #abort = new AbortController();
  readonly #retries = new Map<string, number>();
  #chain: Promise<void> = Promise.resolve();
  #listening = false;
  /** Attempts run, and how many opened a path. */
  readonly stats = { attempts: 0, opened: 0 };

  /** Nothing runs until {@link dial} or {@link listen}. */
  constructor(o: BackgroundPunchOptions) {
    this.#o = o;
  }

  /** Starts a punch to `peer` (after the one running, if any). */
  dial(peer: Uint8Array, deadline: number): void {
    this.#queue(() =>
      this.#run({ peer }, Math.max(deadline, this.#o.clock.now() + DIAL_BUDGET_MS))
    );
  }

  /** Keeps a meeting open for `allow` until closed. */
  listen(allow: Uint8Array[] | "any"): void {
    if (this.#listening) return;
    this.#listening = true;
    const round = async (): Promise<void> => {
      if (this.#abort.signal.aborted) return;
      await this.#run({ allow }, this.#o.clock.now() + LISTEN_ROUND_MS);
      this.#queue(round);
    };
    this.#queue(round);
  }

  /** The direct path to `peer` was lost: a dialling side punches again (a few times). */
  retry(peer: Uint8Array): void {
    if (this.#listening) return; // the listener's meeting is always open
    const k = toHex(peer);
    const n = this.#retries.get(k) ?? 0;
    if (n >= MAX_RETRIES) return;
    this.#retries.set(k, n + 1);
    this.#queue(async () => {
      await this.#sleep(RETRY_DELAY_MS);
      await this.#run({ peer }, this.#o.clock.now() + DIAL_BUDGET_MS);
    });
  }

  /** Stops the attempt running and every one queued. */
  async close(): Promise<void> {
    this.#abort.abort();
    await this.#chain;
  }

  #queue(job: () => Promise<void>): void {
    this.#chain = this.#chain.then(() => this.#abort.signal.aborted ? undefined : job())
      .catch((e) => this.#o.log(`punch failed: ${e instanceof Error ? e.message : String(e)}`));
  }

  async #run(who: { peer: Uint8Array } | { allow: Uint8Array[] | "any" }, deadline: number) {
    const o = this.#o;
    if (o.relays.length === 0) return;
    this.stats.attempts++;
    const out = await meetAndPunch({
      keyPair: o.keyPair,
      ...who,
      relays: [...o.relays],
      relay: o.relay,
      host: o.host,
      endpoints: o.self.endpoints,
      nat: o.self.nat,
      deadline,
      clock: o.clock,
      signal: this.#abort.signal,
      log: o.log,
    });
    try {
      const path = out.attempt?.path;
      if (out.report.path === "direct" && path && out.report.peer) {
        this.stats.opened++;
        const peer = out.report.peer;
        if (path.socket === 0) {
          o.log(`punch: direct path to ${peer.slice(0, 8)}… at ${formatAddr(path.remote)}`);
          o.found(fromHex(peer), path.remote);
        } else {
          o.log(`punch: the path opened on an extra socket; the session stays on the relay`);
        }
        await out.trimSockets();
        await this.#sleep(LINGER_MS);
      } else if (out.report.meeting) {
        o.log(`punch: ${out.report.why}`);
      }
    } finally {
      await out.close();
    }
  }

  #sleep(ms: number): Promise<void> {
    const signal = this.#abort.signal;
    return new Promise((r) => {
      if (signal.aborted) return r();
      const clock = this.#o.clock;
      const id = clock.setTimeout(done, ms);
      signal.addEventListener("abort", done, { once: true });
      function done() {
        clock.clearTimeout(id);
        signal.removeEventListener("abort", done);
        r();
      }
    });
  }
}
