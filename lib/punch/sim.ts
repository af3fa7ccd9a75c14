/**
 * Two peers behind NAT models on the in-memory network, in virtual time, meeting through a
 * rendezvous on the public side and punching with {@link PunchAttempt}: the flow of the
 * relay-coordinated meeting (each peer sends a cookie from its main socket to the
 * rendezvous, which learns both public endpoints and tells each peer the other's), without
 * TCP. Used by the punch tests and benchmarks; everything is seeded.
 *
 * @example
 * ```ts
 * import { simulatePunch } from "./sim.ts";
 * const r = simulatePunch({ a: { preset: "full-cone" }, b: { preset: "symmetric" }, seed: 1 });
 * console.assert(r.direct && r.modes[1] === "birthday-hard");
 * ```
 * @module
 */
import { backend } from "../crypto/backend.ts";
import { type Addr, formatAddr, parseAddr } from "../net/addr.ts";
import { VirtualClock } from "../net/clock.ts";
import { type Endpoint, MemoryNetwork } from "../net/memory.ts";
import { Nat } from "../net/nat.ts";
import type { NatOptions } from "../net/nat_options.ts";
import { seededRandom } from "../net/random.ts";
import { type AttemptState, PunchAttempt, type PunchMode } from "./attempt.ts";

/** One side of a simulated punch: NAT options without the public IP. */
export type SimNat = Omit<NatOptions, "publicIp" | "seed" | "random">;

/** Options of {@link simulatePunch}. */
export interface SimOptions {
  /** Peer A's NAT. */
  a: SimNat;
  /** Peer B's NAT. */
  b: SimNat;
  /** Seed of the NATs' ports and the sprayed ports. */
  seed: number;
  /** One-way latency between public endpoints, ms (default 0). */
  latencyMs?: number;
  /** Loss probability per datagram (default 0). */
  loss?: number;
  /** Delay between telling A and telling B the other's address, ms (default 0). */
  introDelayMs?: number;
  /** Virtual time limit, ms (default 15 000). */
  limitMs?: number;
}

/** Outcome of {@link simulatePunch}. */
export interface SimResult {
  /** Both sides have an open path. */
  direct: boolean;
  /** Final state of A and B. */
  states: [AttemptState | "none", AttemptState | "none"];
  /** Modes of A and B. */
  modes: [PunchMode | "none", PunchMode | "none"];
  /** Probes A and B sent. */
  probes: [number, number];
  /** Virtual ms from the first introduction until both sides had an open path. */
  timeToOpenMs?: number;
  /** Virtual ms from the first introduction until the attempt handed over to the relay. */
  relayAfterMs?: number;
}

const RENDEZVOUS: Addr = { hostname: "203.0.113.10", port: 3478 };
const INTRO = 0x7f;

/**
 * Runs one punch between two NATed peers and reports it. Deterministic for a seed, except
 * the random bytes of nonces and tokens, which do not change the outcome.
 *
 * @example
 * ```ts
 * import { simulatePunch } from "./sim.ts";
 * const r = simulatePunch({ a: { preset: "symmetric" }, b: { preset: "symmetric" }, seed: 2 });
 * console.assert(!r.direct && r.states[0] === "relay");
 * ```
 */
export function simulatePunch(o: SimOptions): SimResult {
  const clock = new VirtualClock();
  const rnd = seededRandom(o.seed);
  const net = new MemoryNetwork({
    clock,
    latencyMs: o.latencyMs ?? 0,
    loss: o.loss ?? 0,
    random: seededRandom(o.seed * 7 + 3),
  });
  const keys = [backend().keyPair(), backend().keyPair()] as const;
  const hard = [o.a, o.b].map((n) => {
    const m = n.mapping ?? (n.preset === "symmetric" ? "address-and-port-dependent" : undefined);
    return m !== undefined && m !== "endpoint-independent";
  });
  const nats = [
    new Nat(net, { publicIp: "203.0.113.1", ...o.a, seed: o.seed * 2 + 1 }),
    new Nat(net, { publicIp: "203.0.113.2", ...o.b, seed: o.seed * 2 + 2 }),
  ];
  const attempts: (PunchAttempt | undefined)[] = [undefined, undefined];
  const timers: (number | undefined)[] = [undefined, undefined];
  const sockets: Endpoint[][] = [[], []];
  const attemptId = backend().randomBytes(8);
  let introAt: number | undefined;
  let bothOpenAt: number | undefined;

  const pump = (i: number) => {
    const at = attempts[i];
    if (!at) return;
    for (let t; (t = at.pollTransmit());) sockets[i]![t.socket]?.send(t.data, t.to);
    if (timers[i] !== undefined) clock.clearTimeout(timers[i]!);
    timers[i] = undefined;
    const next = at.nextTimeout();
    if (next !== undefined) {
      timers[i] = clock.setTimeout(() => {
        timers[i] = undefined;
        at.handleTimeout(clock.now());
        pump(i);
      }, next - clock.now());
    }
    if (
      bothOpenAt === undefined && attempts[0]?.state === "open" && attempts[1]?.state === "open"
    ) bothOpenAt = clock.now();
  };

  const onIntro = (i: number, data: Uint8Array) => {
    if (attempts[i]) return;
    const peer = parseAddr(new TextDecoder().decode(data.subarray(1)));
    const me = keys[i]!, other = keys[1 - i]!;
    attempts[i] = new PunchAttempt({
      selfPublicKey: me.publicKey,
      peerPublicKey: other.publicKey,
      sharedKey: backend().sharedKey(other.publicKey, me.secretKey),
      attemptId,
      peerEndpoints: [peer],
      selfHard: hard[i]!,
      peerHard: hard[1 - i]!,
      now: clock.now(),
      random: rnd,
    });
    introAt ??= clock.now();
    pump(i);
  };

  for (const i of [0, 1]) {
    const count = PunchAttempt.socketsNeeded(hard[i]!, hard[1 - i]!);
    for (let s = 0; s < count; s++) {
      const ep = nats[i]!.attach({ hostname: `10.0.${i + 1}.2`, port: 5000 + s }, (data, from) => {
        if (data[0] === INTRO && s === 0) return onIntro(i, data);
        const at = attempts[i];
        if (!at) return;
        at.handleDatagram(s, from, data, clock.now());
        pump(i);
      });
      sockets[i]!.push(ep);
    }
  }

  const seen: (Addr | undefined)[] = [undefined, undefined];
  let told = false;
  const rv = net.attach(RENDEZVOUS, (data, from) => {
    const i = data[0];
    if (i !== 0 && i !== 1) return;
    seen[i] ??= from;
    if (!seen[0] || !seen[1]) return;
    // Told again on every later cookie (a peer resends while it has heard nothing).
    if (told) {
      rv.send(
        new Uint8Array([INTRO, ...new TextEncoder().encode(formatAddr(seen[1 - i]!))]),
        seen[i]!,
      );
      return;
    }
    told = true;
    const tell = (j: number) =>
      rv.send(
        new Uint8Array([INTRO, ...new TextEncoder().encode(formatAddr(seen[1 - j]!))]),
        seen[j]!,
      );
    tell(0);
    clock.setTimeout(() => tell(1), o.introDelayMs ?? 0);
  });
  // Cookies to the rendezvous (resent, for lossy runs), bounded in count.
  for (let k = 0; k < 10; k++) {
    clock.setTimeout(() => {
      for (const i of [0, 1]) {
        if (!attempts[i]) sockets[i]![0]!.send(new Uint8Array([i]), RENDEZVOUS);
      }
    }, k * 200);
  }
  clock.runUntil(o.limitMs ?? 15_000);
  for (const t of timers) if (t !== undefined) clock.clearTimeout(t);

  const st = (i: number) => attempts[i]?.state ?? "none";
  const r: SimResult = {
    direct: bothOpenAt !== undefined,
    states: [st(0), st(1)],
    modes: [attempts[0]?.mode ?? "none", attempts[1]?.mode ?? "none"],
    probes: [attempts[0]?.stats.probes ?? 0, attempts[1]?.stats.probes ?? 0],
  };
  if (bothOpenAt !== undefined && introAt !== undefined) r.timeToOpenMs = bothOpenAt - introAt;
  if (attempts[0]?.mode === "relay" && introAt !== undefined) {
    r.relayAfterMs = attempts[0].startedAt - introAt;
  }
  return r;
}
