/**
 * A relay node as tox-bootstrapd runs one: a DHT node on UDP, a TCP relay on one or more
 * ports, and the onion layer between them (hop for 0x80-0x8e datagrams, announce node for
 * 0x83/0x85, hop A for TCP onion requests), all under one long-term key.
 *
 * @example
 * ```ts ignore
 * import { backend } from "../crypto/mod.ts";
 * import { RelayNode } from "./node.ts";
 * await using n = await RelayNode.start({ keyPair: backend().keyPair(), tcpPorts: [0] });
 * console.log(n.udpAddr, n.tcpAddrs);
 * ```
 * @module
 */
import type { KeyPair } from "../crypto/mod.ts";
import { KeyBudget } from "../crypto/key_budget.ts";
import { DhtDriver } from "../dht/driver.ts";
import { type UdpExtras, udpExtras } from "../dht/udp_extras.ts";
import { Forwarder } from "../dht/forwarding.ts";
import { keyEquals } from "../dht/distance.ts";
import type { DhtCipher } from "../dht/cipher.ts";
import type { Addr } from "../net/addr.ts";
import { type Clock, realClock, type TimerId } from "../net/clock.ts";
import { denoBatchNetwork } from "../net/deno.ts";
import { UdpHost } from "../node/host.ts";
import type { Network } from "../net/types.ts";
import { OnionNode, type OnionSend } from "../onion/mod.ts";
import { type ExtraMetrics, formatMetrics } from "./metrics.ts";
import type { KillReason, RelayServerOptions } from "./server_options.ts";
import { RelayServerDriver } from "./server_driver.ts";
import { serveStunOnHost, type StunService, type StunServiceOptions } from "../nat/service.ts";
import { COOKIE_KIND } from "../punch/rendezvous.ts";
import { rendezvousHooks } from "../punch/rendezvous_hooks.ts";

/** The onion's datagram kinds: 0x80-0x8e (requests, announces, data, returns). */
const ONION_UDP_KINDS: readonly number[] = Array.from({ length: 0x8f - 0x80 }, (_, i) => 0x80 + i);

/** Options of {@link RelayNode.start}. */
export interface RelayNodeOptions
  extends Omit<RelayServerOptions, "keyPair" | "onOnionRequest" | "onForwardRequest"> {
  /** The node's DHT key pair (also the relay key). */
  keyPair: KeyPair;
  /** Address to bind UDP and TCP on (default 127.0.0.1). */
  hostname?: string;
  /** UDP port of the DHT (default 0: a free one). */
  udpPort?: number;
  /** TCP relay ports (default [0]). */
  tcpPorts?: number[];
  /** Nodes to bootstrap the DHT from. */
  bootstrap?: { addr: Addr; publicKey: Uint8Array }[];
  /** Network (default the real one, UDP batched on Linux). */
  network?: Network;
  /** Clock (default the real one). */
  clock?: Clock;
  /** Told about every relay connection the server closes. */
  onKill?: (conn: number, reason: KillReason, addr: Addr) => void;
  /** The DHT node's cipher (default: the current crypto backend with a shared-key cache). */
  dhtCipher?: DhtCipher;
  /** Answer bootstrap info requests (0xf0) with this version and MOTD (default: no answer). */
  bootstrapInfo?: { version: number; motd: string };
  /** Forward 0x90-0x92 and TCP id 10 as tox-bootstrapd does (default false: drop, counted). */
  forwarding?: boolean;
  /**
   * Answer STUN Binding requests on the DHT's UDP port (and on the alternate's addresses,
   * for RFC 5780 discovery) (default: no STUN).
   */
  stun?: StunServiceOptions;
  /** Answer LAN discovery (0x21) from LAN addresses (default true, as c-toxcore). */
  lanDiscovery?: boolean;
  /**
   * Shared-key budget of the DHT and the onion together, for packets from uncached keys
   * (default a {@link KeyBudget} with its defaults; false: none, as c-toxcore).
   */
  keyBudget?: KeyBudget | false;
}

/**
 * DHT + onion + TCP relay under one key.
 *
 * @example
 * ```ts
 * import { backend } from "../crypto/mod.ts";
 * import { RelayNode } from "./node.ts";
 * const n = await RelayNode.start({ keyPair: backend().keyPair() });
 * console.assert(n.metrics().includes("peerkit_relay_clients 0"));
 * await n.close();
 * ```
 */
export class RelayNode implements AsyncDisposable {
  /** The DHT driver (UDP). */
  readonly dht: DhtDriver;
  /** The onion layer. */
  readonly onion: OnionNode;
  /** The TCP relay. */
  readonly relay: RelayServerDriver;
  /** UDP kinds beside the DHT and onion: bootstrap info, counted drops of the rest. */
  readonly extras: UdpExtras;
  /** The STUN responder on the UDP port, when `stun` was given. */
  readonly stun: StunService | undefined;
  readonly #clock: Clock;
  #timer: TimerId | null = null;
  #closed = false;

  private constructor(
    dht: DhtDriver,
    onion: OnionNode,
    relay: RelayServerDriver,
    extras: UdpExtras,
    clock: Clock,
    stun: StunService | undefined,
  ) {
    this.dht = dht;
    this.stun = stun;
    this.extras = extras;
    this.onion = onion;
    this.relay = relay;
    this.#clock = clock;
    this.#tick();
  }

  /** Binds UDP and every TCP port, starts the DHT and bootstraps. */
  static async start(opts: RelayNodeOptions): Promise<RelayNode> {
    const net = opts.network ?? denoBatchNetwork;
    const clock = opts.clock ?? realClock;
    const hostname = opts.hostname ?? "127.0.0.1";
    const socket = await net.bindDatagram({ hostname, port: opts.udpPort ?? 0 });
    // One socket, one table: the DHT and the onion register their kinds in it.
    const host = new UdpHost({ socket, clock });
    const keyBudget = opts.keyBudget === false ? undefined : opts.keyBudget ?? new KeyBudget();
    let relay: RelayServerDriver | undefined;
    let dht: DhtDriver | undefined;
    let stun: StunService | undefined;
    try {
      const onion = new OnionNode({
        keyPair: opts.keyPair,
        ...(keyBudget ? { keyBudget } : {}),
        closestNodes: (target, count) => dht!.node.closestNodes(target, count),
      });
      const dispatch = (sends: OnionSend[]) => {
        for (const s of sends) {
          if (s.to === "udp") host.send(s.data, s.addr);
          else relay?.sendPacket(s.client, s.data);
        }
      };
      const forwarder = opts.forwarding
        ? new Forwarder({
          route: (pk) => {
            const n = dht!.node.closestNodes(pk, 1)[0];
            return n && keyEquals(n.publicKey, pk) ? n.addr : undefined;
          },
        })
        : undefined;
      const extras = udpExtras({
        bootstrapInfo: opts.bootstrapInfo,
        forwarder,
        send: (data, to) => dht!.send(data, to),
        sendTcp: (client, data) => relay?.sendPacket(client, data),
      });
      dht = new DhtDriver({
        host,
        node: {
          keyPair: opts.keyPair,
          ...(opts.dhtCipher ? { cipher: opts.dhtCipher } : {}),
          ...(opts.lanDiscovery === false ? { lanDiscovery: false } : {}),
          ...(keyBudget ? { keyBudget } : {}),
        },
        clock,
      });
      host.table.register("udp-extras", extras.kinds, (data, from, now) => {
        extras.handle(data, from, now);
      });
      host.table.register(
        "onion",
        ONION_UDP_KINDS,
        (data, from, now) => dispatch(onion.handleUdp(data, from, now)),
      );
      // Punch coordination (peerkit extension; c-toxcore clients never see it).
      const punch = rendezvousHooks({
        udp: () => host.localAddr,
        online: (k) => relay?.core.hasClient(k) ?? false,
        send: (k, d) => relay?.sendOobFromSelf(k, d),
      });
      host.table.register("punch-rendezvous", [COOKIE_KIND], punch.onCookie);
      relay = await RelayServerDriver.listen({
        onOobToSelf: punch.onControl,
        ...opts,
        hostname,
        ports: opts.tcpPorts ?? [0],
        network: net,
        clock,
        onOnionRequest: (payload, conn, now) =>
          dispatch(onion.handleTcpRequest(payload, conn, now)),
        onForwardRequest: forwarder
          ? (addr, data, conn, now) => dispatch(forwarder.handleTcpRequest(addr, data, conn, now))
          : undefined,
      });
      // STUN claims its datagrams by cookie, length and fingerprint before the kind table.
      if (opts.stun) stun = await serveStunOnHost(host, { network: net, clock, ...opts.stun });
      host.start();
      dht.start();
      for (const b of opts.bootstrap ?? []) dht.bootstrap(b.addr, b.publicKey);
      return new RelayNode(dht, onion, relay, extras, clock, stun);
    } catch (e) {
      // Whatever was opened before the failure is closed again.
      await stun?.close();
      await relay?.close();
      await dht?.close();
      await host.close();
      throw e;
    }
  }

  /** The relay's (and DHT's) public key. */
  get publicKey(): Uint8Array {
    return this.relay.core.publicKey;
  }

  /** UDP address of the DHT. */
  get udpAddr(): Addr {
    return this.dht.localAddr;
  }

  /** TCP relay addresses. */
  get tcpAddrs(): Addr[] {
    return this.relay.addrs;
  }

  /** Prometheus text for the relay, DHT and onion counters. */
  metrics(): string {
    const close = this.dht.node.closeListSize();
    const o = this.onion.stats;
    const udp = this.dht.host;
    const extra: ExtraMetrics = {
      peerkit_udp_received_total: {
        help: "UDP datagrams received.",
        type: "counter",
        value: udp.received,
      },
      peerkit_udp_unknown_total: {
        help: "UDP datagrams of a kind no layer handles (dropped).",
        type: "counter",
        value: udp.table.stats.unknown,
      },
      peerkit_udp_handler_errors_total: {
        help: "UDP datagrams dropped because their handler failed.",
        type: "counter",
        value: udp.table.errorCount(),
      },
      peerkit_udp_send_errors_total: {
        help: "UDP sends the system refused.",
        type: "counter",
        value: udp.sendErrors,
      },
      peerkit_udp_sends_shed_total: {
        help: "UDP sends dropped because too many were pending.",
        type: "counter",
        value: udp.sendsShed,
      },
      peerkit_dht_close_nodes: {
        help: "Nodes in the DHT close list.",
        type: "gauge",
        value: close.entries,
      },
      peerkit_dht_good_nodes: {
        help: "Good nodes in the DHT close list.",
        type: "gauge",
        value: close.good,
      },
      peerkit_onion_forwarded_total: {
        help: "Onion packets forwarded.",
        type: "counter",
        value: o.forwarded,
      },
      peerkit_onion_announces_total: {
        help: "Onion announce requests answered.",
        type: "counter",
        value: o.announces,
      },
      peerkit_onion_data_routed_total: {
        help: "Onion data packets routed.",
        type: "counter",
        value: o.dataRouted,
      },
      peerkit_key_budget_refused_total: {
        help: "DHT and onion packets from uncached keys dropped beyond the shared-key budget.",
        type: "counter",
        value: this.dht.node.stats.dropBudget + o.overBudget,
      },
      peerkit_onion_dropped_total: {
        help: "Onion packets dropped.",
        type: "counter",
        value: o.dropped,
      },
      peerkit_onion_announce_entries: {
        help: "Announce entries stored.",
        type: "gauge",
        value: this.onion.announceEntries,
      },
    };
    return formatMetrics(this.relay.core.stats(), {
      ...extra,
      ...this.extras.metrics(),
      ...this.#stunMetrics(),
    });
  }

  #stunMetrics(): ExtraMetrics {
    if (!this.stun) return {};
    const s = this.stun.stats();
    const c = (help: string, value: number) => ({ help, type: "counter" as const, value });
    return {
      peerkit_stun_answered_total: c("STUN Binding requests answered.", s.answered),
      peerkit_stun_errors_total: c("STUN error responses sent (420).", s.errors),
      peerkit_stun_rate_limited_total: c(
        "STUN requests dropped by the per-source limit.",
        s.rateLimited,
      ),
      peerkit_stun_malformed_total: c("STUN-looking datagrams that did not decode.", s.malformed),
      peerkit_stun_ignored_total: c("STUN messages that are not Binding requests.", s.ignored),
      peerkit_stun_too_large_total: c(
        "STUN replies withheld by the amplification bound.",
        s.tooLarge,
      ),
      peerkit_stun_send_errors_total: c("STUN replies the socket refused.", s.sendErrors),
      peerkit_stun_failures_total: c("STUN requests whose handling failed (dropped).", s.failures),
    };
  }

  #tick(): void {
    if (this.#closed) return;
    this.#timer = this.#clock.setTimeout(() => {
      this.onion.handleTimeout(this.#clock.now());
      this.#tick();
    }, 1000);
  }

  /** Stops everything. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer !== null) this.#clock.clearTimeout(this.#timer);
    await this.stun?.close();
    await this.relay.close();
    await this.dht.close();
    await this.dht.host.close();
  }

  /** Same as {@link close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
