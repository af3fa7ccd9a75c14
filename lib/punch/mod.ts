/**
 * Hole punching: a direct UDP path between two peers behind NATs.
 *
 * Flow: the peers meet (through a TCP relay: a peerkit relay coordinates the attempt, any
 * other Tox TCP relay forwards the peers' own meeting messages), learn each other's public
 * endpoints and NAT verdicts, then probe each other at once with boxed probes of kind 0xe5
 * `[0xe5][type][sender key 32][nonce 24][box(type, attempt id, time, token, echo, endpoint)]`.
 * A path opens only when our random token comes back inside the peer's box from the very
 * address it was sent to. One symmetric NAT: the birthday method; both: the relay at once.
 *
 * - {@link encodePunch}/{@link decodePunchHeader}/{@link openPunch}: the pure probe codec.
 * - {@link PunchAttempt}: the sans-IO attempt (takes `now`, returns datagrams to send).
 * - {@link PunchDriver}: runs an attempt on `UdpHost`s with a timer.
 * - {@link runPunchSession}: STUN, meeting, attempt and hold on real sockets.
 * - {@link planAttempts}, {@link recordAttempt}, {@link describeBeliefs}: beliefs about paths.
 * - {@link simulatePunch}: two NATed peers in virtual time on the in-memory network.
 * - {@link DhtMeet}: the DHT-coordinated meeting (NAT pings through the close nodes, then
 *   probes, no relay); {@link simulateDhtMeet} runs it in virtual time, {@link runDhtMeet}
 *   on a real socket.
 *
 * The attempt's own probing budgets are `DIRECT_BUDGET_MS`/`BIRTHDAY_BUDGET_MS` in
 * `constants.ts`; the names exported here are the beliefs' plan budgets.
 *
 * @example
 * ```ts
 * import { describeBeliefs, emptyBeliefs, recordAttempt, simulatePunch } from "./mod.ts";
 * const r = simulatePunch({ a: { preset: "full-cone" }, b: { preset: "port-restricted" }, seed: 7 });
 * console.assert(r.direct);
 * const peer = "AB".repeat(32);
 * const b = recordAttempt(emptyBeliefs(0), peer, "direct", r.direct, 0);
 * console.assert(describeBeliefs(b, peer, 0).some((l) => l.startsWith("direct to")));
 * ```
 * @module
 */
export {
  ATTEMPT_ID_SIZE,
  BIRTHDAY_RESEND_MS,
  BIRTHDAY_SOCKETS,
  KEEPALIVE_MS,
  PATH_LOST_MS,
  PROBE_INTERVAL_MS,
  PUNCH_KIND,
  PUNCH_PACKET_SIZE,
  PunchType,
  SPRAY_MAX_PROBES,
} from "./constants.ts";
export * from "./wire.ts";
export * from "./attempt.ts";
export * from "./driver.ts";
export * from "./session.ts";
export type { NatLevel } from "./hello.ts";
export * from "./beliefs.ts";
export * from "./sim.ts";
export * from "./dht_meet.ts";
export * from "./dht_reports.ts";
export * from "./ttl_network.ts";
export * from "./dht_meet_sim.ts";
export * from "./dht_meet_driver.ts";
