/**
 * One `punch` session on real sockets: learn our public endpoint and NAT verdict with STUN
 * on the very socket we punch from, meet the peer over the TCP relays (meeting messages as
 * out-of-band packets, see `hello.ts`), then run a {@link PunchAttempt} and, once a path is
 * open, keep it open with keep-alives for `holdMs`. The side with `peer` set starts the
 * meeting; a listener answers the first allowed peer that says hello.
 *
 * Composition only: the protocol rules live in `attempt.ts` (probing), `hello.ts` (meeting)
 * and `lib/nat` (discovery); sockets are {@link UdpHost}s; the relay link is
 * {@link RelayClient}.
 *
 * @example
 * ```ts ignore
 * import { runPunchSession } from "./session.ts";
 * const r = await runPunchSession({ keyPair, peer, relays: [{ addr, publicKey }], timeoutMs: 10_000 });
 * console.log(r.path, r.timeToFirstRoundTripMs);
 * ```
 * @module
 */
import { backend, type KeyPair } from "../crypto/backend.ts";
import { type Addr, formatAddr } from "../net/addr.ts";
import { type Clock, realClock } from "../net/clock.ts";
import { denoNetwork } from "../net/deno.ts";
import type { Network } from "../net/types.ts";
import { NatDiscovery } from "../nat/discovery.ts";
import { type NatReport, natVerdict } from "../nat/report.ts";
import { UdpHost } from "../node/host.ts";
import { RelayClient } from "../relay/client_driver.ts";
import { toHex } from "../util/bytes.ts";
import { PunchAttempt } from "./attempt.ts";
import { PunchDriver } from "./driver.ts";
import type { NatLevel } from "./hello.ts";
import { meetPeer } from "./meet.ts";

/** A relay to meet through. */
export interface RelaySpec {
  /** TCP address. */
  addr: Addr;
  /** Its public key. */
  publicKey: Uint8Array;
}

/** Options of {@link runPunchSession}. */
export interface PunchSessionOptions {
  /** Our identity. */
  keyPair: KeyPair;
  /** The peer to meet; absent for a listener. */
  peer?: Uint8Array;
  /** Peers a listener answers (`"any"`: everyone). */
  allow?: Uint8Array[] | "any";
  /** Relays to meet through (at least one). */
  relays: RelaySpec[];
  /** STUN servers for our public endpoint and NAT verdict (none: local address, verdict unknown). */
  stun?: Addr[];
  /** Where to bind the main socket (default 0.0.0.0:0). */
  bind?: Addr;
  /** The whole session must settle within this (ms). */
  timeoutMs: number;
  /** Keep an open path this long (ms, default 0), answering probes and sending keep-alives. */
  holdMs?: number;
  /**
   * Decides, once both verdicts are known, whether to probe at all and for how long (the
   * beliefs' plan); default: probe for the attempt's own budget.
   */
  plan?: (
    selfHard: boolean,
    peerHard: boolean,
  ) => { probe: boolean; budgetMs?: number; why: string };
  /** Network (default Deno's). */
  network?: Network;
  /** Clock (default real time). */
  clock?: Clock;
  /** Ends the session early. */
  signal?: AbortSignal;
  /** Progress lines. */
  log?: (line: string) => void;
}

/** What a session found. */
export interface PunchReport {
  /** `direct`: a UDP path is open; `relay`: met through the relay only; `none`: not met. */
  path: "direct" | "relay" | "none";
  /** Peer key, hex. */
  peer: string | null;
  /** Our public endpoints as sent to the peer, and our NAT verdict. */
  self: { endpoints: string[]; nat: NatLevel; seenByPeerAs: string | null };
  /** The peer's endpoints and NAT verdict (from its meeting message). */
  remote: { endpoints: string[]; nat: NatLevel; path: string | null };
  /** Attempt id, hex. */
  attemptId: string | null;
  /** The attempt: mode, final state, probes, why. */
  attempt: {
    mode: string;
    state: string;
    probes: number;
    sprayed: number;
    sockets: number;
    why: string;
    /** First-round probes sent with a low TTL, those sent with the default for want of it, failures. */
    lowTtl: { applied: number; unavailable: number; failed: number };
  } | null;
  /** How long an open path was held, keep-alives sent meanwhile, its state at the end. */
  hold: { ms: number; keepalives: number; state: string } | null;
  /** ms from the start of probing to the first round trip. */
  timeToFirstRoundTripMs: number | null;
  /** How the peers met: through a peerkit relay's coordination, or by exchanging endpoints. */
  meeting: "relay-coordinated" | "peer-exchange" | null;
  /** ms from the start of the session until the peer's meeting message arrived. */
  meetMs: number | null;
  /** One line on the outcome. */
  why: string;
}

const STUN_LIMIT_MS = 3_000;
/** After opening, stay at least this long so the peer's last round trip can finish. */
const LINGER_MS = 1_000;

function sleep(ms: number, clock: Clock, signal?: AbortSignal): Promise<void> {
  return new Promise((r) => {
    if (signal?.aborted) return r();
    const id = clock.setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
    function done() {
      clock.clearTimeout(id);
      signal?.removeEventListener("abort", done);
      r();
    }
  });
}

/**
 * Learns our public endpoint and NAT verdict with STUN on `host` (at most 3 s); the STUN
 * kinds are registered in its table meanwhile.
 *
 * @example
 * ```ts ignore
 * import { discover } from "./session.ts";
 * const r = await discover(host, [{ hostname: "127.0.0.1", port: 3478 }], realClock);
 * ```
 */
export async function discover(
  host: UdpHost,
  servers: Addr[],
  clock: Clock = realClock,
): Promise<NatReport> {
  const d = new NatDiscovery(
    { servers, local: host.localAddr, rto: 200, attempts: 4, rm: 4 },
    clock.now(),
  );
  host.table.register("stun", [0x00, 0x01], (data, from, now) => d.handleDatagram(from, data, now));
  const start = clock.now();
  try {
    while (!d.done && clock.now() - start < STUN_LIMIT_MS) {
      for (const t of d.pollTransmit()) host.send(t.data, t.to);
      const next = d.nextTimeout();
      if (next === null) break;
      await sleep(Math.min(20, Math.max(1, next - clock.now())), clock);
      d.handleTimeout(clock.now());
    }
  } finally {
    host.table.unregister("stun");
  }
  return d.report();
}

/** Options of {@link meetAndPunch}: the meeting and the attempt on sockets owned by the caller. */
export interface MeetAndPunchOptions {
  /** Our identity. */
  keyPair: KeyPair;
  /** The peer to meet; absent for a listener. */
  peer?: Uint8Array;
  /** Peers a listener answers (`"any"`: everyone). */
  allow?: Uint8Array[] | "any";
  /** The relays the client is connected to (cookies go to their UDP ports). */
  relays: RelaySpec[];
  /** A relay client the caller owns, with its relays added (its key pair is `keyPair`). */
  relay: RelayClient;
  /** The main socket (the caller owns it): probes and cookies go from it. */
  host: UdpHost;
  /** Our endpoints as sent to the peer (STUN-learned, or the bound address). */
  endpoints: Addr[];
  /** Our NAT verdict. */
  nat: NatLevel;
  /** Give up at this clock time. */
  deadline: number;
  /** See {@link PunchSessionOptions.plan}. */
  plan?: PunchSessionOptions["plan"];
  /** Network for the birthday method's extra sockets (default Deno's). */
  network?: Network;
  /** Clock (default real time). */
  clock?: Clock;
  /** Ends early. */
  signal?: AbortSignal;
  /** Progress lines. */
  log?: (line: string) => void;
  /** Fills in what was learnt as it goes (default a fresh report). */
  report?: PunchReport;
  /** Clock time `report.meetMs` counts from (default: now). */
  startedAt?: number;
}

/**
 * What {@link meetAndPunch} leaves running: the attempt's driver (keep-alives, answers to
 * the peer's probes) and the extra sockets of the birthday method. Close it when done.
 */
export interface PunchOutcome {
  /** The report, `path` "direct" when the attempt opened. */
  report: PunchReport;
  /** The attempt, once met. */
  attempt?: PunchAttempt;
  /** Closes the driver and the extra sockets (not the caller's host or relay client). */
  close(): Promise<void>;
  /** Closes the extra sockets the open path does not use. */
  trimSockets(): Promise<void>;
}

/**
 * A report with nothing learnt yet.
 *
 * @example
 * ```ts
 * import { emptyPunchReport } from "./session.ts";
 * console.assert(emptyPunchReport(null).path === "none");
 * ```
 */
export function emptyPunchReport(peer: string | null): PunchReport {
  return {
    path: "none",
    peer,
    self: { endpoints: [], nat: "unknown", seenByPeerAs: null },
    remote: { endpoints: [], nat: "unknown", path: null },
    attemptId: null,
    attempt: null,
    timeToFirstRoundTripMs: null,
    meeting: null,
    hold: null,
    meetMs: null,
    why: "",
  };
}

/**
 * Meets the peer through a connected relay client and runs one attempt on `host`, both
 * owned by the caller (a link runs this in the background on its session socket, so the
 * NAT mapping the punch opens is the one its session uses). Resolves once the attempt has
 * settled or the deadline passed; never throws for what the network does.
 *
 * @example
 * ```ts ignore
 * import { meetAndPunch } from "./session.ts";
 * const out = await meetAndPunch({ keyPair, peer, relays, relay, host, endpoints, nat: "easy", deadline });
 * if (out.attempt?.path) console.log(out.attempt.path.remote);
 * await out.close();
 * ```
 */
export async function meetAndPunch(o: MeetAndPunchOptions): Promise<PunchOutcome> {
  const clock = o.clock ?? realClock;
  const net = o.network ?? denoNetwork;
  const log = o.log ?? (() => {});
  const t0 = o.startedAt ?? clock.now();
  const report = o.report ?? emptyPunchReport(o.peer ? toHex(o.peer) : null);
  const extra: UdpHost[] = [];
  const live: { driver?: PunchDriver } = {};
  const out: PunchOutcome = {
    report,
    close: async () => {
      live.driver?.close();
      await Promise.all(extra.map((h) => h.close()));
    },
    trimSockets: async () => {
      const keep = out.attempt?.path?.socket;
      await Promise.all(extra.filter((_, i) => i + 1 !== keep).map((h) => h.close()));
    },
  };
  const met = await meetPeer({
    relay: o.relay,
    relays: o.relays,
    host: o.host,
    endpoints: o.endpoints,
    nat: o.nat,
    clock,
    deadline: o.deadline,
    ...(o.peer ? { peer: o.peer } : { allow: o.allow ?? [] }),
    ...(o.signal ? { signal: o.signal } : {}),
  });
  if (!met) {
    report.why = o.peer
      ? "the peer did not answer through the relay"
      : "no allowed peer said hello";
    return out;
  }
  const { peer, hello } = met;
  report.meeting = met.via;
  report.peer = toHex(peer);
  report.meetMs = Math.round(clock.now() - t0);
  report.attemptId = hello.id;
  report.remote.endpoints = hello.endpoints.map(formatAddr);
  report.remote.nat = hello.nat;
  report.path = "relay";
  log(
    `met ${report.peer.slice(0, 8)}… through the relay: nat ${hello.nat}, endpoints ${
      report.remote.endpoints.join(" ")
    }`,
  );

  const selfHard = o.nat === "hard", peerHard = hello.nat === "hard";
  const plan = o.plan?.(selfHard, peerHard) ?? { probe: true, why: "no plan" };
  const n = PunchAttempt.socketsNeeded(selfHard, peerHard);
  if (plan.probe && !(selfHard && peerHard)) {
    for (let i = 1; i < n; i++) {
      extra.push(
        new UdpHost({
          socket: await net.bindDatagram({ hostname: o.host.localAddr.hostname, port: 0 }),
          clock,
        }),
      );
    }
  }
  const left = Math.max(1, o.deadline - clock.now());
  const attempt = new PunchAttempt({
    selfPublicKey: o.keyPair.publicKey,
    peerPublicKey: peer,
    sharedKey: backend().sharedKey(peer, o.keyPair.secretKey),
    attemptId: fromHex16(hello.id),
    peerEndpoints: plan.probe ? hello.endpoints : [],
    selfHard: selfHard || !plan.probe,
    peerHard: peerHard || !plan.probe,
    now: clock.now(),
    sockets: 1 + extra.length,
    budgetMs: Math.min(left, plan.budgetMs ?? Infinity),
  });
  out.attempt = attempt;
  if (!plan.probe) attempt.why = `not probing: ${plan.why}`;
  const driver = live.driver = new PunchDriver(attempt, [o.host, ...extra], clock);
  const state = await Promise.race([
    driver.settled(),
    sleep(left, clock, o.signal).then(() => attempt.state),
  ]);
  report.attempt = {
    mode: attempt.mode,
    state,
    probes: attempt.stats.probes,
    sprayed: attempt.stats.sprayed,
    sockets: 1 + extra.length,
    why: attempt.why,
    lowTtl: { ...driver.lowTtl },
  };
  if (state === "open" && attempt.path) {
    report.path = "direct";
    report.timeToFirstRoundTripMs = attempt.timeToOpenMs === undefined
      ? null
      : Math.round(attempt.timeToOpenMs * 10) / 10;
    report.remote.path = formatAddr(attempt.path.remote);
    report.self.seenByPeerAs = attempt.path.seenAs ? formatAddr(attempt.path.seenAs) : null;
    report.why = attempt.why;
  } else {
    report.why = `${attempt.why}; the peer stays reachable through the relay`;
  }
  return out;
}

/**
 * Runs one session (see the module notes). Never throws for what the network does; a
 * missing relay or peer gives `path: "none"` with the reason.
 *
 * @example
 * ```ts ignore
 * import { runPunchSession } from "./session.ts";
 * const r = await runPunchSession({ keyPair, allow: "any", relays, timeoutMs: 30_000 });
 * ```
 */
export async function runPunchSession(o: PunchSessionOptions): Promise<PunchReport> {
  const clock = o.clock ?? realClock;
  const net = o.network ?? denoNetwork;
  const log = o.log ?? (() => {});
  const t0 = clock.now();
  const deadline = t0 + o.timeoutMs;
  const report = emptyPunchReport(o.peer ? toHex(o.peer) : null);
  const main = new UdpHost({
    socket: await net.bindDatagram(o.bind ?? { hostname: "0.0.0.0", port: 0 }),
    clock,
  });
  main.start();
  const relay = new RelayClient({ keyPair: o.keyPair, network: net, clock });
  let punched: PunchOutcome | undefined;
  try {
    // 1. Where are we, and what is our NAT?
    const endpoints: Addr[] = [];
    if (o.stun && o.stun.length > 0) {
      const r = await discover(main, o.stun, clock);
      const v = natVerdict(r);
      report.self.nat = v.level;
      if (r.mapped) endpoints.push(r.mapped);
      log(`nat: ${v.summary}${r.mapped ? ` (public ${formatAddr(r.mapped)})` : ""}`);
    }
    const local = main.localAddr;
    if (local.hostname !== "0.0.0.0" && local.hostname !== "::") endpoints.push(local);
    report.self.endpoints = endpoints.map(formatAddr);

    // 2. Reach the relays, then meet and punch.
    for (const r of o.relays) relay.addRelay(r.addr, r.publicKey);
    try {
      await relay.waitForRelays(1, Math.max(1, deadline - clock.now()));
    } catch {
      report.why = "no relay reachable";
      return report;
    }
    log(`relay: ${relay.relays().filter((l) => l.state === "ready").length} ready`);
    punched = await meetAndPunch({
      ...o,
      relay,
      host: main,
      endpoints,
      nat: report.self.nat,
      deadline,
      network: net,
      clock,
      log,
      report,
      startedAt: t0,
    });
    const attempt = punched.attempt;
    if (report.path === "direct" && attempt) {
      // Sockets the path does not use are closed; the path socket stays for the hold.
      await punched.trimSockets();
      const held = clock.now();
      await sleep(
        Math.max(LINGER_MS, o.holdMs ?? 0),
        clock,
        (o.holdMs ?? 0) > 0 ? o.signal : undefined,
      );
      report.hold = {
        ms: Math.round(clock.now() - held),
        keepalives: attempt.stats.keepalives,
        state: attempt.state,
      };
      if (attempt.state !== "open") {
        report.why = `path ${attempt.state} during the hold: ${attempt.why}`;
      }
    }
    return report;
  } finally {
    await punched?.close();
    await relay.close();
    await main.close();
  }
}

function fromHex16(h: string): Uint8Array {
  const out = new Uint8Array(8);
  for (let i = 0; i < 8; i++) out[i] = parseInt(h.slice(2 * i, 2 * i + 2), 16);
  return out;
}
