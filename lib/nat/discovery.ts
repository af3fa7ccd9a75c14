/**
 * RFC 5780 NAT behaviour discovery as a sans-IO plan over one local socket:
 *
 * 1. mapping test I to every server at once (public endpoint, OTHER-ADDRESS, round trip);
 * 2. against the first server that offers OTHER-ADDRESS (the primary P, other O): filtering
 *    test II (CHANGE-REQUEST ip+port, answer from O), filtering test III (change port, answer
 *    from P's IP and O's port), and hairpinning (a request to our own mapped address);
 * 3. only then mapping tests II (to O's IP, P's port) and III (to O), since sending to O
 *    earlier would open an address-dependent filter and spoil the filtering tests.
 *
 * Port preservation compares the mapped port of test I with the local port.
 *
 * @example
 * ```ts
 * import { NatDiscovery } from "./discovery.ts";
 * const d = new NatDiscovery({ servers: [{ hostname: "127.0.0.1", port: 3478 }], rto: 10, attempts: 1, rm: 1 }, 0);
 * console.assert(d.pollTransmit().length === 1);
 * d.handleTimeout(10);
 * console.assert(d.done && d.report().udp === false);
 * ```
 * @module
 */
import type { Addr } from "../net/addr.ts";
import { StunClient, type StunClientOptions, type StunOutcome, type Transmit } from "./client.ts";
import {
  classifyFiltering,
  classifyMapping,
  mappingVaries,
  type NatReport,
  type ServerReport,
  type Tristate,
} from "./report.ts";
import { findAttribute } from "./wire.ts";

/** Options of {@link NatDiscovery}. */
export interface NatDiscoveryOptions extends StunClientOptions {
  /** STUN servers to ask (1 to 16); the behaviour tests use the first with OTHER-ADDRESS. */
  servers: readonly Addr[];
  /** Our local address (for port preservation), when known. */
  local?: Addr;
}

const MAX_SERVERS = 16;

/** The discovery plan (see the module notes). */
export class NatDiscovery {
  readonly #client: StunClient;
  readonly #servers: ServerReport[];
  readonly #local: Addr | null;
  #phase: "mapping1" | "behaviour" | "mapping23" | "done" = "mapping1";
  #primary: ServerReport | null = null;
  #filter2: boolean | undefined;
  #filter3: boolean | undefined;
  #hairpin: Tristate = "unknown";
  #mapped2: Addr | null = null;
  #mapped3: Addr | null = null;

  /** Starts mapping test I against every server at `now`. */
  constructor(opts: NatDiscoveryOptions, now: number) {
    if (opts.servers.length < 1 || opts.servers.length > MAX_SERVERS) {
      throw new RangeError(`between 1 and ${MAX_SERVERS} STUN servers, got ${opts.servers.length}`);
    }
    this.#client = new StunClient({ ...opts, maxTransactions: MAX_SERVERS + 4 });
    this.#local = opts.local ?? null;
    this.#servers = opts.servers.map((server) => ({
      server,
      rttMs: null,
      mapped: null,
      other: null,
      software: null,
      error: null,
    }));
    this.#servers.forEach((s, i) => this.#client.start({ server: s.server, tag: `t1:${i}` }, now));
  }

  /** True once every test has an answer or timed out. */
  get done(): boolean {
    return this.#phase === "done";
  }

  /** Counters of the underlying {@link StunClient}. */
  get stats(): StunClient["stats"] {
    return this.#client.stats;
  }

  /** Feeds a received datagram; `true` when it answered one of our tests. */
  handleDatagram(from: Addr, bytes: Uint8Array, now: number): boolean {
    const o = this.#client.handleDatagram(from, bytes, now);
    if (o) this.#record(o, now);
    return o !== null;
  }

  /** Runs retransmissions and timeouts due at `now`. */
  handleTimeout(now: number): void {
    for (const o of this.#client.handleTimeout(now)) this.#record(o, now);
  }

  /** Datagrams to send now. */
  pollTransmit(): Transmit[] {
    return this.#client.pollTransmit();
  }

  /** When {@link handleTimeout} must next run; `null` once done. */
  nextTimeout(): number | null {
    return this.#client.nextTimeout();
  }

  #record(o: StunOutcome, now: number): void {
    const answer = o.type === "answer" ? o : null;
    const ok = answer !== null && answer.message.class !== "error";
    const [test, index] = o.tag.split(":");
    switch (test) {
      case "t1": {
        const s = this.#servers[Number(index)]!;
        if (!answer) break;
        s.rttMs = answer.rtt;
        s.software = findAttribute(answer.message, "software")?.text ?? null;
        if (!ok) {
          const e = findAttribute(answer.message, "errorCode");
          s.error = e ? `${e.code} ${e.reason}` : "error response";
          break;
        }
        s.mapped = answer.mapped;
        s.other = findAttribute(answer.message, "otherAddress")?.addr ?? null;
        break;
      }
      case "f2":
        this.#filter2 = answer ? (ok ? true : undefined) : false;
        break;
      case "f3":
        this.#filter3 = answer ? (ok ? true : undefined) : false;
        break;
      case "hp":
        this.#hairpin = answer?.message.class === "request" ? "yes" : "no";
        break;
      case "m2":
        this.#mapped2 = ok ? answer.mapped : null;
        break;
      case "m3":
        this.#mapped3 = ok ? answer.mapped : null;
        break;
    }
    if (this.#client.pending === 0) this.#advance(now);
  }

  #advance(now: number): void {
    if (this.#phase === "mapping1") {
      const answered = this.#servers.filter((s) => s.mapped !== null);
      this.#primary = answered.find((s) => s.other !== null) ?? answered[0] ?? null;
      const p = this.#primary;
      if (!p?.mapped) return this.#finish();
      this.#phase = "behaviour";
      if (p.other) {
        const other = p.other;
        const altPort = { hostname: p.server.hostname, port: other.port };
        this.#client.start({
          server: p.server,
          changeIp: true,
          changePort: true,
          expectFrom: [other],
          tag: "f2",
        }, now);
        this.#client.start(
          { server: p.server, changePort: true, expectFrom: [altPort], tag: "f3" },
          now,
        );
      }
      this.#client.start({ server: p.mapped, expectFrom: "any", tag: "hp" }, now);
      return;
    }
    if (this.#phase === "behaviour" && this.#primary?.other) {
      this.#phase = "mapping23";
      const other = this.#primary.other;
      const otherIp = { hostname: other.hostname, port: this.#primary.server.port };
      this.#client.start({ server: otherIp, tag: "m2" }, now);
      this.#client.start({ server: other, tag: "m3" }, now);
      return;
    }
    this.#finish();
  }

  #finish(): void {
    this.#phase = "done";
  }

  /** What was found so far (complete once {@link done}). */
  report(): NatReport {
    const p = this.#primary;
    const mapped = p?.mapped ?? null;
    const withOther = p?.other ? true : false;
    return {
      local: this.#local,
      mapped,
      primary: p?.server ?? null,
      udp: this.#servers.some((s) => s.rttMs !== null),
      mapping: withOther ? classifyMapping(mapped, this.#mapped2, this.#mapped3) : "unknown",
      filtering: withOther ? classifyFiltering(this.#filter2, this.#filter3) : "unknown",
      hairpinning: this.#hairpin,
      preservesPort: !mapped || !this.#local
        ? "unknown"
        : mapped.port === this.#local.port
        ? "yes"
        : "no",
      mappingVaries: mappingVaries(
        this.#servers.flatMap((s) => s.mapped ? [s.mapped] : []),
      ),
      servers: this.#servers.map((s) => ({ ...s })),
    };
  }
}
