/**
 * The DHT-coordinated meeting on a real socket: a {@link DhtDriver} joins the DHT through
 * the bootstrap nodes with our key as the DHT key, a {@link DhtMeet} searches the peer's key
 * and exchanges NAT pings through the close nodes, and the punch kind (0xe5) shares the
 * DHT's socket. Ends when a path is open (after a short linger so the peer's round trip
 * completes), when the meeting gives up, on `timeoutMs`, or on `signal`.
 *
 * @example
 * ```ts ignore
 * import { runDhtMeet } from "./dht_meet_driver.ts";
 * const r = await runDhtMeet({ keyPair, peer, bootstrap: [{ addr, publicKey }], timeoutMs: 20_000 });
 * console.log(r.path, r.remote, r.timeToFirstRoundTripMs);
 * ```
 * @module
 */
import type { KeyPair } from "../crypto/backend.ts";
import { type Addr, formatAddr } from "../net/addr.ts";
import { denoNetwork } from "../net/deno.ts";
import type { Network } from "../net/types.ts";
import { DhtDriver } from "../dht/driver.ts";
import type { RoutedRequest } from "../dht/node_types.ts";
import { PUNCH_KIND } from "./constants.ts";
import { DhtMeet, type DhtMeetProbe, type DhtMeetStats } from "./dht_meet.ts";

/** Options of {@link runDhtMeet}. */
export interface DhtMeetRunOptions {
  /** Our identity, also the DHT key. */
  keyPair: KeyPair;
  /** The peer's key. */
  peer: Uint8Array;
  /** DHT nodes to join through (at least one). */
  bootstrap: { addr: Addr; publicKey: Uint8Array }[];
  /** Where to bind (default 0.0.0.0:0). */
  bind?: Addr;
  /** Give up after this long (ms). */
  timeoutMs: number;
  /** Network (default Deno's). */
  network?: Network;
  /** Ends the run early. */
  signal?: AbortSignal;
  /** How to probe (default `punch`; `dht-ping` for a c-toxcore peer). */
  probe?: DhtMeetProbe;
  /** Our DHT key pair when it is not `keyPair` (a Tox client's DHT key). */
  dhtKeyPair?: KeyPair;
  /** Called with the DHT driver once it runs (to add an onion client on its socket). */
  onDriver?: (d: DhtDriver) => void | Promise<void>;
  /** Routed requests the meeting does not take (DHT-PK packets, ...). */
  onRoutedRequest?: (r: RoutedRequest, now: number) => void;
}

/** What {@link runDhtMeet} found. */
export interface DhtMeetRunReport {
  /** `direct` when a path opened. */
  path: "direct" | "none";
  /** Our bound address. */
  local: string;
  /** The peer's address on the open path, or the one probed. */
  remote: string | null;
  /** Our address as the peer saw it, when known. */
  seenByPeerAs: string | null;
  /** ms from the start of probing to the first round trip. */
  timeToFirstRoundTripMs: number | null;
  /** ms from the start until the meeting started probing. */
  meetMs: number | null;
  /** Probes sent. */
  probes: number;
  /** The meeting's counters. */
  stats: DhtMeetStats;
  /** One line on the outcome. */
  why: string;
}

const TICK_MS = 50;
const LINGER_MS = 1_000;

/**
 * Runs one DHT-coordinated meeting and punch.
 *
 * @example
 * ```ts ignore
 * import { runDhtMeet } from "./dht_meet_driver.ts";
 * const r = await runDhtMeet({ keyPair, peer, bootstrap, timeoutMs: 10_000 });
 * ```
 */
export async function runDhtMeet(o: DhtMeetRunOptions): Promise<DhtMeetRunReport> {
  if (o.bootstrap.length === 0) throw new RangeError("runDhtMeet: give at least one bootstrap");
  const network = o.network ?? denoNetwork;
  const socket = await network.bindDatagram(o.bind ?? { hostname: "0.0.0.0", port: 0 });
  let meet: DhtMeet | undefined;
  const dhtKeys = o.dhtKeyPair ?? o.keyPair;
  const driver = new DhtDriver({
    socket,
    node: {
      keyPair: dhtKeys,
      onRoutedRequest: (r, now) => {
        if (!meet?.handleRoutedRequest(r, now)) o.onRoutedRequest?.(r, now);
      },
      onEvent: (e) => meet?.handleDhtEvent(e, driver.now()),
    },
  });
  const t0 = performance.now();
  const pump = () => {
    for (let t; meet && (t = meet.pollTransmit());) driver.host.send(t.data, t.to);
    driver.flush();
  };
  try {
    meet = new DhtMeet({
      node: driver.node,
      secretKey: dhtKeys.secretKey,
      peer: o.peer,
      now: driver.now(),
      ...(o.probe ? { probe: o.probe } : {}),
    });
    driver.host.table.register("punch", [PUNCH_KIND], (data, from, now) => {
      meet!.handleDatagram(from, data, now);
      pump();
    });
    driver.start();
    await o.onDriver?.(driver);
    for (const b of o.bootstrap) driver.bootstrap(b.addr, b.publicKey);
    let meetMs: number | null = null, openAt: number | undefined;
    const deadline = t0 + o.timeoutMs;
    for (let i = 0; performance.now() < deadline && i < o.timeoutMs / TICK_MS + 1; i++) {
      if (o.signal?.aborted) break;
      const now = driver.now();
      const due = meet.nextTimeout();
      if (due !== undefined && due <= now) meet.handleTimeout(now);
      pump();
      if (meetMs === null && meet.probingSince !== undefined) {
        meetMs = Math.round(performance.now() - t0);
      }
      if (meet.state === "open") openAt ??= performance.now();
      if (meet.state === "failed") break;
      if (openAt !== undefined && performance.now() - openAt >= LINGER_MS) break;
      await new Promise((r) => setTimeout(r, TICK_MS));
    }
    const path = meet.path;
    const open = meet.state === "open" && path !== undefined;
    return {
      path: open ? "direct" : "none",
      local: formatAddr(driver.localAddr),
      remote: path ? formatAddr(path.remote) : null,
      seenByPeerAs: path?.seenAs ? formatAddr(path.seenAs) : null,
      timeToFirstRoundTripMs: open ? Math.round(path.openedAt - path.startedAt) : null,
      meetMs,
      probes: meet.probes,
      stats: { ...meet.stats },
      why: open
        ? o.probe === "dht-ping"
          ? "NAT pings answered through the close nodes, then the peer's key answered a DHT ping"
          : "NAT pings answered through the close nodes, then a round trip proving the key"
        : meet.stats.responsesMatched === 0
        ? "the peer never answered a NAT ping (not online, or not searching for us)"
        : `no round trip (${meet.state})`,
    };
  } finally {
    await driver.close();
  }
}
