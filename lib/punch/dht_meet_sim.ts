/**
 * The DHT-coordinated meeting in virtual time: a few public DHT nodes and two peers, each a
 * {@link DhtNode} behind a NAT model on the in-memory network, each running a
 * {@link DhtMeet} for the other's key on the node's own socket. No relay and no rendezvous:
 * the peers find each other's public address in the DHT, exchange NAT pings through the
 * close nodes, then probe. Used by the tests; everything but nonces is seeded.
 *
 * @example
 * ```ts
 * import { simulateDhtMeet } from "./dht_meet_sim.ts";
 * const r = simulateDhtMeet({ a: { preset: "port-restricted" }, b: { preset: "full-cone" }, seed: 1 });
 * console.assert(r.direct && r.states[0] === "open");
 * ```
 * @module
 */
import { backend } from "../crypto/backend.ts";
import type { Addr } from "../net/addr.ts";
import { VirtualClock } from "../net/clock.ts";
import { type Endpoint, MemoryNetwork } from "../net/memory.ts";
import { Nat } from "../net/nat.ts";
import { seededRandom } from "../net/random.ts";
import { DhtNode } from "../dht/node.ts";
import { PUNCH_KIND } from "./constants.ts";
import { DhtMeet, type DhtMeetState, type DhtMeetStats } from "./dht_meet.ts";
import type { SimNat } from "./sim.ts";

/** Options of {@link simulateDhtMeet}. */
export interface DhtMeetSimOptions {
  /** Peer A's NAT. */
  a: SimNat;
  /** Peer B's NAT. */
  b: SimNat;
  /** Seed of the NATs' ports. */
  seed: number;
  /** Public DHT nodes (default 6). */
  publicNodes?: number;
  /** One-way latency, ms (default 10). */
  latencyMs?: number;
  /** Whether B searches for A too (default true); without it B never answers A's pings. */
  bSearches?: boolean;
  /** Virtual time limit, ms (default 60 000). */
  limitMs?: number;
}

/** Outcome of {@link simulateDhtMeet}. */
export interface DhtMeetSimResult {
  /** Both sides have an open path. */
  direct: boolean;
  /** Final state of A's and B's meeting (`none`: B did not search). */
  states: [DhtMeetState, DhtMeetState | "none"];
  /** Counters of A's and B's meeting. */
  stats: [DhtMeetStats, DhtMeetStats | null];
  /** The path A opened: the address it reaches B at. */
  pathA?: Addr;
  /** Virtual ms from the start until both sides had an open path. */
  timeToOpenMs?: number;
}

const TICK_MS = 50;
const PORT = 33445;

/**
 * Runs one DHT-coordinated meeting and punch, and reports it.
 *
 * @example
 * ```ts
 * import { simulateDhtMeet } from "./dht_meet_sim.ts";
 * const r = simulateDhtMeet({ a: { preset: "full-cone" }, b: { preset: "full-cone" }, seed: 2, bSearches: false });
 * console.assert(!r.direct && r.stats[0].responsesMatched === 0);
 * ```
 */
export function simulateDhtMeet(o: DhtMeetSimOptions): DhtMeetSimResult {
  const clock = new VirtualClock();
  const net = new MemoryNetwork({
    clock,
    latencyMs: o.latencyMs ?? 10,
    random: seededRandom(o.seed * 5 + 1),
  });
  type Member = { node: DhtNode; ep: Endpoint; meet?: DhtMeet };
  const members: Member[] = [];
  const flush = (m: Member) => {
    for (let p; (p = m.node.pollTransmit());) m.ep.send(p.data, p.to);
    for (let t; m.meet && (t = m.meet.pollTransmit());) m.ep.send(t.data, t.to);
  };
  const join = (fabric: MemoryNetwork | Nat, addr: Addr, selfAddr?: Addr) => {
    const keyPair = backend().keyPair();
    const m = { keyPair } as Member & { keyPair: typeof keyPair };
    m.node = new DhtNode({
      keyPair,
      lanDiscovery: false,
      ...(selfAddr ? { selfAddr } : {}),
      onRoutedRequest: (r, now) => m.meet?.handleRoutedRequest(r, now),
      onEvent: (e) => m.meet?.handleDhtEvent(e, clock.now()),
    });
    m.ep = fabric.attach(addr, (data, from) => {
      const now = clock.now();
      if (data[0] === PUNCH_KIND) m.meet?.handleDatagram(from, data, now);
      else m.node.handlePacket(data, from, now);
      flush(m);
    });
    members.push(m);
    return m;
  };
  const publics = Array.from({ length: o.publicNodes ?? 6 }, (_, i) => {
    const addr = { hostname: `198.51.100.${i + 1}`, port: PORT };
    return join(net, addr, addr);
  });
  for (const [i, p] of publics.entries()) {
    const seed = publics[(i + 1) % publics.length]!;
    p.node.bootstrap(seed.ep.addr, seed.node.publicKey, 0);
  }
  const peers = [o.a, o.b].map((n, i) => {
    const nat = new Nat(net, { publicIp: `203.0.113.${i + 1}`, ...n, seed: o.seed * 2 + i });
    const m = join(nat, { hostname: `10.0.${i + 1}.2`, port: PORT });
    for (const p of publics.slice(0, 2)) m.node.bootstrap(p.ep.addr, p.node.publicKey, 0);
    return m as Member & { keyPair: { secretKey: Uint8Array } };
  });
  const [pa, pb] = [peers[0]!, peers[1]!];
  pa.meet = new DhtMeet({
    node: pa.node,
    secretKey: pa.keyPair.secretKey,
    peer: pb.node.publicKey,
    now: 0,
  });
  if (o.bSearches ?? true) {
    pb.meet = new DhtMeet({
      node: pb.node,
      secretKey: pb.keyPair.secretKey,
      peer: pa.node.publicKey,
      now: 0,
    });
  }
  let bothOpenAt: number | undefined;
  const limit = o.limitMs ?? 60_000;
  for (let t = 0; t <= limit && bothOpenAt === undefined; t += TICK_MS) {
    clock.runUntil(t);
    for (const m of members) {
      m.node.handleTimeout(t);
      const due = m.meet?.nextTimeout();
      if (due !== undefined && due <= t) m.meet!.handleTimeout(t);
      flush(m);
    }
    if (pa.meet.state === "open" && pb.meet?.state === "open") bothOpenAt = t;
  }
  const r: DhtMeetSimResult = {
    direct: bothOpenAt !== undefined,
    states: [pa.meet.state, pb.meet?.state ?? "none"],
    stats: [pa.meet.stats, pb.meet?.stats ?? null],
  };
  const path = pa.meet.path;
  if (path) r.pathA = path.remote;
  if (bothOpenAt !== undefined) r.timeToOpenMs = bothOpenAt;
  return r;
}
