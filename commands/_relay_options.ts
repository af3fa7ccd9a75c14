/**
 * The options of `peerkit relay serve`: the zod schema of its flags and the pure parser that
 * turns them into {@link RelayServeOptions} (bad values are usage errors, exit 2).
 *
 * @example
 * ```ts
 * import { parseRelayServeOptions } from "./_relay_options.ts";
 * const o = await parseRelayServeOptions({ keyBudget: "0" });
 * console.assert(o.keyBudget === false && o.udpPort === 33445);
 * ```
 * @module
 */
import type { Zod } from "./_io.ts";
import { usageError } from "../lib/util/errors.ts";
import { type Addr, parseAddr } from "../lib/net/addr.ts";
import { fromHex } from "../lib/util/bytes.ts";
import type { KeyBudgetOptions } from "../lib/crypto/key_budget.ts";

const relayServeSchema = (z: Zod) => {
  const int = (what: string, min: number, max: number) =>
    z.string().regex(/^\d+$/, `${what} must be a number`).transform(Number).refine(
      (n) => n >= min && n <= max,
      `${what} must be ${min}..${max}`,
    );
  return z.object({
    key: z.string().min(1).optional(),
    createKey: z.boolean().default(false),
    host: z.string().min(1).optional(),
    motd: z.string().default("peerkit"),
    udpPort: int("--udp-port", 0, 65535).default(33445),
    tcpPort: z.array(int("--tcp-port", 0, 65535)).optional(),
    bootstrap: z.array(z.string()).default([]),
    maxClients: int("--max-clients", 1, 1_000_000).default(10_000),
    maxPerIp: int("--max-per-ip", 0, 1_000_000).default(256),
    rate: z.string().regex(/^\d+(\.\d+)?[kKmM]?$/, "--rate must be BYTES[k|M]").default("1M"),
    metrics: z.string().min(1).optional(),
    stunAlternate: z.string().min(1).optional(),
    lanDiscovery: z.boolean().default(true),
    keyBudget: int("--key-budget", 0, 1_000_000).default(1024),
    keyBudgetBurst: int("--key-budget-burst", 1, 1_000_000).optional(),
    keyBudgetPerIp: int("--key-budget-per-ip", 1, 1_000_000).default(64),
    keyBudgetPerIpBurst: int("--key-budget-per-ip-burst", 1, 1_000_000).optional(),
    keyBudgetSources: int("--key-budget-sources", 1, 10_000_000).default(4096),
  }).strict();
};

/** Validated options of `relay serve`. */
export interface RelayServeOptions {
  /** Key file path (tox-bootstrapd format), or undefined for `<home>/relay.key`. */
  key?: string;
  /** Create the `key` file when it is missing (otherwise a missing `key` is an error). */
  createKey: boolean;
  /** Bind address; undefined: dual-stack `::` if IPv6 works, else `0.0.0.0`. */
  host?: string;
  /** Message of the day answered to 0xf0 bootstrap-info requests. */
  motd: string;
  /** UDP (DHT) port. */
  udpPort: number;
  /** TCP relay ports. */
  tcpPorts: number[];
  /** Bootstrap nodes. */
  bootstrap: { addr: Addr; publicKey: Uint8Array }[];
  /** Most confirmed clients. */
  maxClients: number;
  /** Most confirmed clients per IP (0 = no cap). */
  maxPerIp: number;
  /** Relayed bytes per second per client; 0 = off. */
  rate: number;
  /** Metrics listen address. */
  metrics?: Addr;
  /** Second IP and port the STUN responder answers from (RFC 5780 OTHER-ADDRESS). */
  stunAlternate?: Addr;
  /** Answer LAN discovery packets (0x21) from LAN addresses; `--no-lan-discovery` turns it off. */
  lanDiscovery: boolean;
  /**
   * The shared-key budget for packets from keys not in the cache (DHT, onion, routed
   * requests), every field filled in; `false` (`--key-budget 0`): none, as c-toxcore.
   */
  keyBudget: Required<KeyBudgetOptions> | false;
}

function parseRate(s: string): number {
  const m = /^(\d+(?:\.\d+)?)([kKmM]?)$/.exec(s)!;
  const mult = m[2] === "" ? 1 : m[2]!.toLowerCase() === "k" ? 1024 : 1024 * 1024;
  return Math.round(Number(m[1]) * mult);
}

function parseHostPort(text: string, what: string, checkHost: (h: string, w: string) => string) {
  let addr: Addr;
  try {
    addr = parseAddr(text);
  } catch {
    throw usageError(`relay serve: ${what} must be HOST:PORT, got ${text}`);
  }
  checkHost(addr.hostname, `relay serve: ${what}`);
  return addr.hostname === "localhost" ? { ...addr, hostname: "127.0.0.1" } : addr;
}

/**
 * Validates raw options; bad values are usage errors.
 *
 * @example
 * ```ts
 * import { parseRelayServeOptions } from "./relay.ts";
 * await parseRelayServeOptions({ udpPort: "99999" }).catch((e) => console.assert(e.usage));
 * ```
 */
export async function parseRelayServeOptions(raw: unknown): Promise<RelayServeOptions> {
  const { z } = await import("zod");
  const { checkHost, parseNodeSpec } = await import("./_nodes.ts");
  const r = relayServeSchema(z).safeParse(raw);
  if (!r.success) {
    throw usageError(`relay serve: ${r.error.issues[0]?.message ?? "bad options"}`);
  }
  const o = r.data;
  if (o.createKey && o.key === undefined) {
    throw usageError("relay serve: --create-key needs --key FILE");
  }
  const given = raw as Record<string, unknown>;
  const budgetFlags = [
    "keyBudgetBurst",
    "keyBudgetPerIp",
    "keyBudgetPerIpBurst",
    "keyBudgetSources",
  ]
    .some((k) => given[k] !== undefined);
  if (o.keyBudget === 0 && budgetFlags) {
    throw usageError(
      "relay serve: --key-budget 0 turns the budget off; drop the other --key-budget-* flags",
    );
  }
  const motd = new TextEncoder().encode(o.motd);
  if (motd.length > 255 || motd.includes(0)) {
    throw usageError("relay serve: --motd must be at most 255 bytes of UTF-8, without NUL");
  }
  return {
    key: o.key,
    createKey: o.createKey,
    host: o.host === undefined ? undefined : checkHost(o.host, "relay serve: --host"),
    motd: o.motd,
    udpPort: o.udpPort,
    tcpPorts: o.tcpPort && o.tcpPort.length > 0 ? [...new Set(o.tcpPort)] : [33445],
    bootstrap: o.bootstrap.map((text) => {
      const n = parseNodeSpec(text);
      const hostname = n.host === "localhost" ? "127.0.0.1" : n.host;
      return { addr: { hostname, port: n.port }, publicKey: fromHex(n.publicKey) };
    }),
    maxClients: o.maxClients,
    maxPerIp: o.maxPerIp,
    rate: parseRate(o.rate),
    metrics: o.metrics === undefined ? undefined : parseHostPort(o.metrics, "--metrics", checkHost),
    stunAlternate: o.stunAlternate === undefined
      ? undefined
      : (await import("./nat.ts")).parseStunAlternate(o.stunAlternate, o.host, o.udpPort),
    lanDiscovery: o.lanDiscovery,
    keyBudget: o.keyBudget === 0 ? false : {
      perSecond: o.keyBudget,
      burst: o.keyBudgetBurst ?? Math.max(1, o.keyBudget / 8),
      perSourcePerSecond: o.keyBudgetPerIp,
      perSourceBurst: o.keyBudgetPerIpBurst ?? Math.max(1, o.keyBudgetPerIp / 4),
      maxSources: o.keyBudgetSources,
    },
  };
}
