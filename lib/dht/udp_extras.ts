/**
 * The datagram kinds a bootstrap node sees beside the DHT and the onion, in one small table
 * that a node's packet-kind dispatcher can take over as it is: bootstrap info (0xf0) is
 * answered when a MOTD is configured, forwarding (0x90–0x92) goes to a {@link Forwarder}
 * when one is given, and what is left of them, with the 0.2.18 DHT announcement packets
 * (0x93–0x98) that peerkit does not implement, is dropped and counted per kind, so an
 * operator sees how much of that traffic arrives.
 *
 * @example
 * ```ts
 * import { udpExtras } from "./udp_extras.ts";
 * const sent: Uint8Array[] = [];
 * const x = udpExtras({ bootstrapInfo: { version: 1000001000, motd: "hi" }, send: (d) => sent.push(d) });
 * const req = new Uint8Array(78);
 * req[0] = 0xf0;
 * x.handle(req, { hostname: "127.0.0.1", port: 9 }, 0);
 * x.handle(Uint8Array.of(0x93, 1, 2), { hostname: "127.0.0.1", port: 9 }, 0);
 * console.assert(sent.length === 1 && x.dropped.get(0x93) === 1);
 * ```
 * @module
 */
import type { Addr } from "../net/addr.ts";
import { BOOTSTRAP_INFO_KIND, BootstrapInfoResponder } from "./bootstrap_info.ts";
import type { Forwarder } from "./forwarding.ts";

/** Forwarding (0x90–0x92) and DHT announcement (0x93–0x98) kinds of c-toxcore 0.2.18. */
export const NOT_IMPLEMENTED_KINDS: readonly number[] = [
  0x90,
  0x91,
  0x92,
  0x93,
  0x94,
  0x95,
  0x96,
  0x97,
  0x98,
];

/** Options of {@link udpExtras}. */
export interface UdpExtrasOptions {
  /** Version and MOTD to answer 0xf0 with; without it 0xf0 is dropped and counted. */
  bootstrapInfo?: { version: number; motd: string };
  /** Sends a datagram through the node's UDP socket. */
  send: (data: Uint8Array, to: Addr) => void;
  /** Handles 0x90–0x92; without it they are dropped and counted. */
  forwarder?: Forwarder;
  /** Sends a relay packet (id first) to TCP client `client` (forward replies, id 11). */
  sendTcp?: (client: number, data: Uint8Array) => void;
}

/** One Prometheus sample: name to help, type and value. */
export type UdpExtrasMetrics = Record<
  string,
  { help: string; type: "gauge" | "counter"; value: number }
>;

/** What {@link udpExtras} returns. */
export interface UdpExtras {
  /** The kinds this table takes. */
  readonly kinds: ReadonlySet<number>;
  /** The bootstrap info responder, when a MOTD is configured. */
  readonly bootstrapInfo: BootstrapInfoResponder | undefined;
  /** Datagrams dropped, by kind (0xf0 counts here only without a responder). */
  readonly dropped: Map<number, number>;
  /** Handles `data` if its kind is in {@link UdpExtras.kinds}; false (untouched) otherwise. */
  handle(data: Uint8Array, from: Addr, now: number): boolean;
  /** Counters for the metrics endpoint. */
  metrics(): UdpExtrasMetrics;
}

/**
 * Builds the table. `RangeError` for a MOTD over 255 bytes of UTF-8 or with a NUL.
 *
 * @example
 * ```ts
 * import { udpExtras } from "./udp_extras.ts";
 * const x = udpExtras({ send: () => {} });
 * console.assert(!x.handle(Uint8Array.of(0x00), { hostname: "::1", port: 1 }, 0));
 * ```
 */
export function udpExtras(opts: UdpExtrasOptions): UdpExtras {
  const info = opts.bootstrapInfo ? new BootstrapInfoResponder(opts.bootstrapInfo) : undefined;
  const kinds = new Set([...NOT_IMPLEMENTED_KINDS, BOOTSTRAP_INFO_KIND]);
  const dropped = new Map<number, number>();
  const drop = (kind: number) => dropped.set(kind, (dropped.get(kind) ?? 0) + 1);
  return {
    kinds,
    bootstrapInfo: info,
    dropped,
    handle(data, from, now) {
      const kind = data[0];
      if (kind === undefined || !kinds.has(kind)) return false;
      if (kind === BOOTSTRAP_INFO_KIND && info) {
        const answer = info.handle(data, from, now);
        if (answer) opts.send(answer, from);
      } else if (kind <= 0x92 && opts.forwarder) {
        for (const s of opts.forwarder.handleUdp(data, from, now)) {
          if (s.to === "udp") opts.send(s.data, s.addr);
          else opts.sendTcp?.(s.client, s.data);
        }
      } else {
        drop(kind);
      }
      return true;
    },
    metrics() {
      let forwarding = 0, announce = 0;
      for (const [k, n] of dropped) {
        if (k <= 0x92) forwarding += n;
        else if (k <= 0x98) announce += n;
      }
      const s = info?.stats;
      const f = opts.forwarder?.stats;
      if (f) forwarding += f.dropped + f.notForUs;
      const counter = (help: string, value: number) => ({ help, type: "counter" as const, value });
      return {
        peerkit_bootstrap_info_answered_total: counter(
          "Bootstrap info (0xf0) requests answered.",
          s?.answered ?? 0,
        ),
        peerkit_bootstrap_info_dropped_total: counter(
          "Bootstrap info (0xf0) datagrams dropped: not 78 bytes, over the rate limit, or no MOTD.",
          (s ? s.droppedSize + s.droppedRate : 0) + (dropped.get(BOOTSTRAP_INFO_KIND) ?? 0),
        ),
        peerkit_forwarding_dropped_total: counter(
          opts.forwarder
            ? "Forwarding packets dropped: malformed, unknown destination, bad sendback, or for the (absent) announcement store."
            : "Forwarding datagrams (0x90-0x92) dropped: forwarding is off.",
          forwarding,
        ),
        peerkit_forwarding_forwarded_total: counter(
          "Forward requests (UDP 0x90, chained 0x91, TCP id 10) sent on as 0x91.",
          f?.forwarded ?? 0,
        ),
        peerkit_forwarding_replies_total: counter(
          "Forward replies (0x92) sent back towards their requester.",
          f?.replied ?? 0,
        ),
        peerkit_dht_announce_dropped_total: counter(
          "DHT announcement datagrams (0x93-0x98) dropped: not implemented.",
          announce,
        ),
      };
    },
  };
}
