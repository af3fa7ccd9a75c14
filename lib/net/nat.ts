/**
 * A NAT box for the in-memory network: private hosts attach to its LAN side, and their
 * datagrams leave from the NAT's public address with a mapped port, as RFC 4787 describes
 * (mapping, filtering, port allocation, timeouts, hairpinning; see `nat_options.ts`). It is
 * transparent to code using the datagram interfaces: a private socket just sees packets from
 * public addresses. A NAT may sit on another NAT's LAN side (carrier-grade NAT).
 *
 * Inbound packets never create state: a packet to a public port without a live mapping, or
 * one the filter rejects, is dropped and counted (the lab's routers drop unsolicited new
 * inbound flows in the same way). Timeouts are checked when a packet uses a mapping and in a
 * sweep at most once per virtual second, so a NAT sets no timers of its own. Streams are not
 * translated: `listen` and `connect` pass through to the upstream network.
 *
 * @example
 * ```ts
 * import { MemoryNetwork } from "./memory.ts";
 * import { VirtualClock } from "./clock.ts";
 * import { Nat } from "./nat.ts";
 * const clock = new VirtualClock();
 * const net = new MemoryNetwork({ clock });
 * const nat = new Nat(net, { publicIp: "203.0.113.1", preset: "port-restricted" });
 * const seen: string[] = [];
 * const server = net.attach({ hostname: "203.0.113.10", port: 3478 }, (d, from) => {
 *   seen.push(`${from.hostname}:${from.port}`);
 *   server.send(d, from); // echo: admitted, because the host sent to exactly this endpoint
 * });
 * let echoed = 0;
 * const host = nat.attach({ hostname: "10.0.1.2", port: 5000 }, () => echoed++);
 * host.send(new Uint8Array([1]), server.addr);
 * clock.advance(1);
 * console.assert(seen[0] === "203.0.113.1:5000" && echoed === 1);
 * ```
 * @module
 */
import { type Addr, formatAddr } from "./addr.ts";
import type { Clock } from "./clock.ts";
import { type DatagramFabric, datagramSocket, type Endpoint, type Handler } from "./memory.ts";
import type { DatagramSocket, Network, Stream, StreamListener } from "./types.ts";
import { type NatOptions, type ResolvedNatOptions, resolveNatOptions } from "./nat_options.ts";
import { seededRandom } from "./random.ts";

/** Counters of a {@link Nat}. */
export interface NatStats {
  /** Datagrams translated and sent upstream. */
  outbound: number;
  /** Datagrams admitted from upstream and delivered to a private host. */
  inbound: number;
  /** Inbound datagrams the filter rejected. */
  filtered: number;
  /** Inbound datagrams that reached a mapping after it had expired. */
  expired: number;
  /** Mappings created. */
  mappings: number;
  /** Datagrams between hosts of this NAT's LAN. */
  lan: number;
  /** Datagrams looped back through the public address. */
  hairpinned: number;
  /** Datagrams to the own public address dropped because hairpinning is off. */
  hairpinDropped: number;
  /** Datagrams dropped because no public port was free. */
  portsExhausted: number;
  /** Admitted or LAN datagrams whose private host had gone. */
  unreachable: number;
}

interface Permission {
  lastActive: number;
  established: boolean;
}

interface Mapping {
  key: string;
  internal: Addr;
  port: number;
  endpoint: Endpoint;
  lastActive: number;
  established: boolean;
  /** Remote ip (address-dependent) or ip:port (address-and-port-dependent) contacted. */
  permits: Map<string, Permission>;
}

/** Tries of a random port before scanning sequentially. */
const RANDOM_TRIES = 64;

/** A NAT between private hosts and an upstream {@link DatagramFabric}. */
export class Nat implements DatagramFabric, Network {
  /** Options with defaults filled in. */
  readonly options: ResolvedNatOptions;
  /** Counters. */
  readonly stats: NatStats = {
    outbound: 0,
    inbound: 0,
    filtered: 0,
    expired: 0,
    mappings: 0,
    lan: 0,
    hairpinned: 0,
    hairpinDropped: 0,
    portsExhausted: 0,
    unreachable: 0,
  };
  readonly #up: DatagramFabric & Network;
  readonly #random: () => number;
  readonly #lan = new Map<string, Handler>();
  readonly #mappings = new Map<string, Mapping>();
  readonly #byPort = new Map<number, Mapping>();
  #nextPort: number;
  #nextLanPort = 40000;
  #lastSweep = -Infinity;

  /** A NAT at `opts.publicIp` on `upstream`. */
  constructor(upstream: DatagramFabric & Network, opts: NatOptions) {
    this.#up = upstream;
    this.options = resolveNatOptions(opts);
    this.#random = opts.random ?? seededRandom(opts.seed ?? 1);
    this.#nextPort = this.options.portRange[0];
  }

  /** The upstream network's clock. */
  get clock(): Clock {
    return this.#up.clock;
  }

  /** Live mappings (expired ones may linger until the next sweep). */
  get mappingCount(): number {
    return this.#mappings.size;
  }

  /** Attaches a private host's handler at `addr` on the LAN side (port 0 picks one). */
  attach(addr: Addr, handler: Handler): Endpoint {
    const bound = addr.port === 0 ? { ...addr, port: this.#freeLanPort(addr.hostname) } : addr;
    const key = formatAddr(bound);
    if (this.#lan.has(key)) throw new Error(`address in use: ${key}`);
    this.#lan.set(key, handler);
    return {
      addr: bound,
      send: (data, to) => this.#outbound(bound, to, data.slice()),
      detach: () => {
        if (this.#lan.get(key) === handler) this.#lan.delete(key);
      },
    };
  }

  /** Binds a private datagram socket. */
  bindDatagram(addr: Addr): Promise<DatagramSocket> {
    try {
      return Promise.resolve(datagramSocket(this, addr));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** Streams are not translated: listens on the upstream network. */
  listen(addr: Addr): Promise<StreamListener> {
    return this.#up.listen(addr);
  }

  /** Streams are not translated: connects through the upstream network. */
  connect(addr: Addr): Promise<Stream> {
    return this.#up.connect(addr);
  }

  /** Drops every mapping (detaching its public port). */
  close(): void {
    for (const m of [...this.#mappings.values()]) this.#drop(m);
  }

  #outbound(from: Addr, to: Addr, data: Uint8Array): void {
    const now = this.clock.now();
    this.#sweep(now);
    const lanKey = formatAddr(to);
    if (this.#lan.has(lanKey)) {
      this.stats.lan++;
      this.#later(() => this.#toHost(lanKey, data, from));
      return;
    }
    const hairpin = to.hostname === this.options.publicIp;
    if (hairpin && !this.options.hairpinning) {
      this.stats.hairpinDropped++;
      return;
    }
    const m = this.#mapping(from, to, now);
    if (!m) return;
    if (hairpin) {
      this.stats.hairpinned++;
      const src = { hostname: this.options.publicIp, port: m.port };
      this.#later(() => {
        const target = this.#byPort.get(to.port);
        if (target) this.#inbound(target, src, data);
        else this.stats.unreachable++;
      });
      return;
    }
    this.stats.outbound++;
    m.endpoint.send(data, to);
  }

  /** The live mapping for `from` → `to`, refreshed, or a new one; undefined when no port is free. */
  #mapping(from: Addr, to: Addr, now: number): Mapping | undefined {
    const key = this.#mappingKey(from, to);
    let m = this.#mappings.get(key);
    if (m && this.#isExpired(m, now)) {
      this.#drop(m);
      m = undefined;
    }
    if (!m) {
      const created = this.#create(key, from);
      if (!created) {
        this.stats.portsExhausted++;
        return undefined;
      }
      m = created;
    }
    m.lastActive = now;
    const permit = this.#permitKey(to);
    if (permit !== undefined) {
      const p = m.permits.get(permit);
      if (p && now - p.lastActive <= this.#timeout(p.established)) p.lastActive = now;
      else m.permits.set(permit, { lastActive: now, established: false });
    }
    return m;
  }

  #inbound(m: Mapping, from: Addr, data: Uint8Array): void {
    const now = this.clock.now();
    if (this.#isExpired(m, now)) {
      this.stats.expired++;
      this.#drop(m);
      return;
    }
    const permit = this.#permitKey(from);
    const p = permit === undefined ? undefined : m.permits.get(permit);
    if (permit !== undefined && (!p || now - p.lastActive > this.#timeout(p.established))) {
      this.stats.filtered++;
      return;
    }
    m.established = true;
    if (p) p.established = true;
    if (this.options.refresh === "both") {
      m.lastActive = now;
      if (p) p.lastActive = now;
    }
    this.stats.inbound++;
    this.#toHost(formatAddr(m.internal), data, from);
  }

  #toHost(key: string, data: Uint8Array, from: Addr): void {
    const h = this.#lan.get(key);
    if (h) h(data, from);
    else this.stats.unreachable++;
  }

  #create(key: string, internal: Addr): Mapping | undefined {
    const m: Mapping = {
      key,
      internal,
      port: 0,
      endpoint: undefined as unknown as Endpoint,
      lastActive: 0,
      established: false,
      permits: new Map(),
    };
    const handler: Handler = (data, from) => this.#inbound(m, from, data);
    for (const port of this.#candidates(internal.port)) {
      if (this.#byPort.has(port)) continue;
      try {
        m.endpoint = this.#up.attach({ hostname: this.options.publicIp, port }, handler);
      } catch {
        continue; // taken on the upstream network by someone else
      }
      m.port = port;
      this.#mappings.set(key, m);
      this.#byPort.set(port, m);
      this.stats.mappings++;
      return m;
    }
    return undefined;
  }

  /** Public ports to try for a new mapping, in order; bounded by the range size. */
  *#candidates(internalPort: number): Generator<number> {
    const [lo, hi] = this.options.portRange;
    const span = hi - lo + 1;
    if (this.options.ports === "preserving" && internalPort >= lo && internalPort <= hi) {
      yield internalPort;
    }
    if (this.options.ports === "random") {
      for (let i = 0; i < RANDOM_TRIES; i++) yield lo + Math.floor(this.#random() * span);
    }
    for (let i = 0; i < span; i++) {
      const p = this.#nextPort;
      this.#nextPort = p >= hi ? lo : p + 1;
      yield p;
    }
  }

  #mappingKey(from: Addr, to: Addr): string {
    switch (this.options.mapping) {
      case "endpoint-independent":
        return formatAddr(from);
      case "address-dependent":
        return `${formatAddr(from)}>${to.hostname}`;
      case "address-and-port-dependent":
        return `${formatAddr(from)}>${formatAddr(to)}`;
    }
  }

  /** The permission an outbound packet to `remote` opens; undefined when nothing is filtered. */
  #permitKey(remote: Addr): string | undefined {
    switch (this.options.filtering) {
      case "endpoint-independent":
        return undefined;
      case "address-dependent":
        return remote.hostname;
      case "address-and-port-dependent":
        return formatAddr(remote);
    }
  }

  #timeout(established: boolean): number {
    return established ? this.options.establishedTimeoutMs : this.options.timeoutMs;
  }

  #isExpired(m: Mapping, now: number): boolean {
    return now - m.lastActive > this.#timeout(m.established);
  }

  #drop(m: Mapping): void {
    m.endpoint.detach();
    if (this.#mappings.get(m.key) === m) this.#mappings.delete(m.key);
    if (this.#byPort.get(m.port) === m) this.#byPort.delete(m.port);
  }

  #sweep(now: number): void {
    if (now - this.#lastSweep < 1000) return;
    this.#lastSweep = now;
    for (const m of [...this.#mappings.values()]) if (this.#isExpired(m, now)) this.#drop(m);
  }

  #later(fn: () => void): void {
    this.clock.setTimeout(fn, this.options.lanLatencyMs);
  }

  #freeLanPort(hostname: string): number {
    for (let i = 0; i < 65536; i++) {
      const p = this.#nextLanPort;
      this.#nextLanPort = p >= 65535 ? 1024 : p + 1;
      if (!this.#lan.has(formatAddr({ hostname, port: p }))) return p;
    }
    throw new Error("no free port");
  }
}
