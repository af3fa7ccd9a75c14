/**
 * NAT behaviour in RFC 4787 terms, the common names for combinations of it, and the
 * defaults, which follow the Linux routers of the real-namespace lab (conntrack: an unreplied
 * UDP flow is forgotten after 30 s, one that has seen a reply after 120 s; every packet of an
 * admitted flow refreshes it; ports 1024-65535; no hairpin rule).
 *
 * | preset                 | mapping                    | filtering                  | ports      |
 * | ---------------------- | -------------------------- | -------------------------- | ---------- |
 * | `full-cone`            | endpoint-independent       | endpoint-independent       | preserving |
 * | `restricted-cone`      | endpoint-independent       | address-dependent          | preserving |
 * | `address-restricted`   | endpoint-independent       | address-dependent          | preserving |
 * | `port-restricted`      | endpoint-independent       | address-and-port-dependent | preserving |
 * | `symmetric`            | address-and-port-dependent | address-and-port-dependent | random     |
 *
 * `address-restricted` is the nat-lab's name for `restricted-cone`.
 *
 * @example
 * ```ts
 * import { resolveNatOptions } from "./nat_options.ts";
 * const o = resolveNatOptions({ publicIp: "203.0.113.1", preset: "symmetric" });
 * console.assert(o.mapping === "address-and-port-dependent" && o.ports === "random");
 * ```
 * @module
 */

/** How far a mapping (internal ip:port → public port) depends on the destination (RFC 4787 §4.1). */
export type Dependence =
  | "endpoint-independent"
  | "address-dependent"
  | "address-and-port-dependent";

/** How a public port is chosen for a new mapping (RFC 4787 §4.2.1). */
export type PortAllocation =
  /** The internal port when free, else the next free one. */
  | "preserving"
  /** The next free port after the last one given out. */
  | "sequential"
  /** A port drawn from the seeded generator. */
  | "random";

/**
 * Common names for combinations of mapping and filtering; `address-restricted` is the
 * nat-lab's word for `restricted-cone`.
 */
export type NatPreset =
  | "full-cone"
  | "restricted-cone"
  | "address-restricted"
  | "port-restricted"
  | "symmetric";

/** Options of a {@link Nat}; `preset` sets mapping, filtering and ports, explicit fields win. */
export interface NatOptions {
  /** The NAT's address on its upstream network. */
  publicIp: string;
  /** Named behaviour (default `port-restricted`, what one Linux MASQUERADE rule gives). */
  preset?: NatPreset;
  /** Mapping behaviour. */
  mapping?: Dependence;
  /** Filtering of inbound packets on a mapping. */
  filtering?: Dependence;
  /** Port allocation. */
  ports?: PortAllocation;
  /** Public ports handed out, inclusive (default [1024, 65535]). */
  portRange?: [number, number];
  /** Idle time after which a mapping with no admitted inbound packet is gone (default 30 s). */
  timeoutMs?: number;
  /** Idle time for a mapping that has admitted an inbound packet (default 120 s). */
  establishedTimeoutMs?: number;
  /**
   * What refreshes a mapping: `outbound` packets only (RFC 4787 REQ-6's minimum), or `both`
   * directions (default; conntrack refreshes on every packet of an admitted flow). Filtered
   * inbound packets never refresh.
   */
  refresh?: "outbound" | "both";
  /** Whether a host may reach another host of the same NAT at its public address (default false). */
  hairpinning?: boolean;
  /** Delay of the private-side hop in ms (default 0). */
  lanLatencyMs?: number;
  /** Random source in [0, 1) for random ports (default: seeded from `seed`). */
  random?: () => number;
  /** Seed of the default random source (default 1). */
  seed?: number;
}

/** {@link NatOptions} with every default filled in. */
export interface ResolvedNatOptions {
  /** See {@link NatOptions.publicIp}. */
  publicIp: string;
  /** See {@link NatOptions.mapping}. */
  mapping: Dependence;
  /** See {@link NatOptions.filtering}. */
  filtering: Dependence;
  /** See {@link NatOptions.ports}. */
  ports: PortAllocation;
  /** See {@link NatOptions.portRange}. */
  portRange: [number, number];
  /** See {@link NatOptions.timeoutMs}. */
  timeoutMs: number;
  /** See {@link NatOptions.establishedTimeoutMs}. */
  establishedTimeoutMs: number;
  /** See {@link NatOptions.refresh}. */
  refresh: "outbound" | "both";
  /** See {@link NatOptions.hairpinning}. */
  hairpinning: boolean;
  /** See {@link NatOptions.lanLatencyMs}. */
  lanLatencyMs: number;
}

/**
 * Mapping, filtering and port allocation of each preset.
 *
 * @example
 * ```ts
 * import { NAT_PRESETS } from "./nat_options.ts";
 * console.assert(NAT_PRESETS["full-cone"].filtering === "endpoint-independent");
 * ```
 */
export const NAT_PRESETS: Readonly<
  Record<NatPreset, { mapping: Dependence; filtering: Dependence; ports: PortAllocation }>
> = {
  "full-cone": {
    mapping: "endpoint-independent",
    filtering: "endpoint-independent",
    ports: "preserving",
  },
  "restricted-cone": {
    mapping: "endpoint-independent",
    filtering: "address-dependent",
    ports: "preserving",
  },
  "address-restricted": {
    mapping: "endpoint-independent",
    filtering: "address-dependent",
    ports: "preserving",
  },
  "port-restricted": {
    mapping: "endpoint-independent",
    filtering: "address-and-port-dependent",
    ports: "preserving",
  },
  "symmetric": {
    mapping: "address-and-port-dependent",
    filtering: "address-and-port-dependent",
    ports: "random",
  },
};

/** Unreplied UDP flow timeout of Linux conntrack (`nf_conntrack_udp_timeout`). */
export const NAT_TIMEOUT_MS = 30_000;
/** Replied UDP flow timeout of Linux conntrack (`nf_conntrack_udp_timeout_stream`). */
export const NAT_ESTABLISHED_TIMEOUT_MS = 120_000;

/**
 * Fills in defaults and checks ranges (`RangeError` on nonsense).
 *
 * @example
 * ```ts
 * import { resolveNatOptions } from "./nat_options.ts";
 * const o = resolveNatOptions({ publicIp: "203.0.113.1" });
 * console.assert(o.timeoutMs === 30_000 && o.refresh === "both" && !o.hairpinning);
 * ```
 */
export function resolveNatOptions(o: NatOptions): ResolvedNatOptions {
  const p = NAT_PRESETS[o.preset ?? "port-restricted"];
  if (!p) throw new RangeError(`unknown NAT preset: ${o.preset}`);
  const r: ResolvedNatOptions = {
    publicIp: o.publicIp,
    mapping: o.mapping ?? p.mapping,
    filtering: o.filtering ?? p.filtering,
    ports: o.ports ?? p.ports,
    portRange: o.portRange ?? [1024, 65535],
    timeoutMs: o.timeoutMs ?? NAT_TIMEOUT_MS,
    establishedTimeoutMs: o.establishedTimeoutMs ?? NAT_ESTABLISHED_TIMEOUT_MS,
    refresh: o.refresh ?? "both",
    hairpinning: o.hairpinning ?? false,
    lanLatencyMs: o.lanLatencyMs ?? 0,
  };
  const [lo, hi] = r.portRange;
  if (!Number.isInteger(lo) || !Number.isInteger(hi) || lo < 1 || hi > 65535 || lo > hi) {
    throw new RangeError(`bad port range: ${lo}-${hi}`);
  }
  if (!(r.timeoutMs > 0) || !(r.establishedTimeoutMs > 0)) {
    throw new RangeError("NAT timeouts must be positive");
  }
  return r;
}
