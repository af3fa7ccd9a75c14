/**
 * How two peers meet through their TCP relays before punching, in two ways:
 *
 * - **relay-coordinated** (a peerkit relay, `rendezvous.ts`): the starting side sends `meet`
 *   to the relay's own key; the relay answers both sides with an attempt id and a cookie;
 *   each side sends its cookie from its punch socket to the relay's UDP port (resent every
 *   250 ms), the joining side also `ready` with its NAT level; the relay introduces each to
 *   the other's WAN address as it saw it.
 * - **peer exchange** (any Tox TCP relay, `hello.ts`): when no relay answers `meet` within
 *   1.5 s, the starting side sends `hello` to the peer's key out of band and the listener
 *   answers `reply`, each with its STUN-learned endpoints.
 *
 * The starting side picks the way, so both sides always agree; a listener takes whichever
 * arrives. With several relays, `meet` goes to every ready one (a relay that is not
 * peerkit's, or a dead one, stops nothing): the starting side takes the first attempt that
 * comes back, the joining side follows every attempt offered (cookie and `ready` to each
 * relay) and takes the first introduction, so both end on the relay the starter chose.
 * Bounded by the deadline, resends every 250-500 ms.
 *
 * @example
 * ```ts ignore
 * import { meetPeer } from "./meet.ts";
 * const met = await meetPeer({ relay, relays, host, endpoints, nat, clock, deadline, peer });
 * console.log(met?.via, met?.hello.endpoints);
 * ```
 * @module
 */
import { backend } from "../crypto/backend.ts";
import type { Addr } from "../net/addr.ts";
import type { Clock } from "../net/clock.ts";
import type { UdpHost } from "../node/host.ts";
import type { RelayClient } from "../relay/client_driver.ts";
import { fromHex, toHex } from "../util/bytes.ts";
import { decodeHello, encodeHello, type Hello, isHello, type NatLevel } from "./hello.ts";
import {
  type Control,
  CONTROL_MAGIC,
  COOKIE_KIND,
  decodeControl,
  encodeControl,
} from "./rendezvous.ts";

/** Options of {@link meetPeer}. */
export interface MeetOptions {
  /** Connected relay client. */
  relay: RelayClient;
  /** The relays (TCP address and key): cookies go to the TCP host at the relay's UDP port. */
  relays: { addr: Addr; publicKey: Uint8Array }[];
  /** The punch socket (cookies go from it, so the relay sees its mapping). */
  host: UdpHost;
  /** Our endpoints for the peer exchange. */
  endpoints: Addr[];
  /** Our NAT level. */
  nat: NatLevel;
  /** Clock. */
  clock: Clock;
  /** Give up at this clock time. */
  deadline: number;
  /** The peer to meet (starting side); absent for a listener. */
  peer?: Uint8Array;
  /** Peers a listener accepts. */
  allow?: Uint8Array[] | "any";
  /** Ends early. */
  signal?: AbortSignal;
}

/** A meeting: who, the peer's endpoints and NAT level, and which way. */
export interface Met {
  /** The peer's key. */
  peer: Uint8Array;
  /** Attempt id, endpoints and NAT level of the peer. */
  hello: Hello;
  /** Which way the peers met. */
  via: "relay-coordinated" | "peer-exchange";
}

const RESEND_MS = 250;
/** How long the starting side waits for a relay to answer `meet` before the peer exchange. */
export const COORDINATION_WAIT_MS = 1_500;

const isControl = (d: Uint8Array) => d.length >= 5 && CONTROL_MAGIC.every((b, i) => d[i] === b);

/**
 * Meets the peer (see the module notes); `null` when the deadline passes first.
 *
 * @example
 * ```ts ignore
 * import { meetPeer } from "./meet.ts";
 * const met = await meetPeer({ relay, relays, host, endpoints: [], nat: "easy", clock, deadline, allow: "any" });
 * ```
 */
export async function meetPeer(o: MeetOptions): Promise<Met | null> {
  const { relay, clock } = o;
  let got: Met | null = null;
  const start = clock.now();
  const helloId = toHex(backend().randomBytes(8));
  const relayHex = new Set(o.relays.map((r) => toHex(r.publicKey)));
  let coordinated: "unknown" | "yes" | "no" = o.peer ? "unknown" : "no";
  // Relay-coordinated state, per relay that offered an attempt: its UDP target, our cookie,
  // the attempt. The starting side keeps the first only; the joining side each relay's.
  const attempts = new Map<
    string,
    { relay: Uint8Array; to: Addr; cookie: Uint8Array; id: string; peer: Uint8Array }
  >();
  const allowed = (k: Uint8Array) =>
    o.peer
      ? toHex(k) === toHex(o.peer)
      : o.allow === "any" || (o.allow ?? []).some((a) => toHex(a) === toHex(k));

  const onControl = (from: Uint8Array, m: Control) => {
    if (m.t === "attempt") {
      if (!allowed(fromHex(m.peer))) return;
      if ((m.role === "start") !== (o.peer !== undefined)) return;
      // The starter keeps its first attempt; a joiner one per relay (repeats ignored).
      if ((o.peer && attempts.size > 0) || attempts.has(toHex(from))) return;
      const spec = o.relays.find((r) => toHex(r.publicKey) === toHex(from));
      if (!spec) return;
      const port = Number(m.udp.slice(m.udp.lastIndexOf(":") + 1));
      attempts.set(toHex(from), {
        relay: from,
        to: { hostname: spec.addr.hostname, port },
        cookie: fromHex(m.cookie),
        id: m.id,
        peer: fromHex(m.peer),
      });
      coordinated = "yes";
      if (m.role === "join") {
        relay.sendOob(from, encodeControl({ t: "ready", id: m.id, nat: o.nat }), from);
      }
    } else if (m.t === "intro") {
      const rv = attempts.get(toHex(from));
      if (!rv || m.id !== rv.id || m.peer !== toHex(rv.peer)) return;
      const colon = m.addr.lastIndexOf(":");
      const hostname = m.addr.slice(0, colon).replace(/^\[|\]$/g, "");
      got = {
        peer: rv.peer,
        hello: {
          type: "reply",
          id: m.id,
          endpoints: [{ hostname, port: Number(m.addr.slice(colon + 1)) }],
          nat: m.nat,
        },
        via: "relay-coordinated",
      };
    } else if (m.t === "refused" && o.peer && m.peer === toHex(o.peer)) {
      coordinated = "yes"; // a peerkit relay; the peer is not there yet: ask again
    }
  };

  const off = relay.on("oob", (sender, data) => {
    if (got) return;
    try {
      if (relayHex.has(toHex(sender)) && isControl(data)) {
        return onControl(sender, decodeControl(data));
      }
      if (!isHello(data) || !allowed(sender)) return;
      const h = decodeHello(data);
      if (o.peer) {
        if (h.type === "reply" && h.id === helloId && coordinated === "no") {
          got = { peer: sender, hello: h, via: "peer-exchange" };
        }
      } else if (h.type === "hello" && attempts.size === 0) {
        relay.sendOob(
          sender,
          encodeHello({ type: "reply", id: h.id, endpoints: o.endpoints, nat: o.nat }),
        );
        got = { peer: sender, hello: h, via: "peer-exchange" };
      }
    } catch {
      // malformed meeting or control message: dropped
    }
  });
  try {
    let lastMeet = -Infinity;
    while (!got && clock.now() < o.deadline && !o.signal?.aborted) {
      const now = clock.now();
      if (o.peer) {
        if (coordinated === "unknown" && now - start >= COORDINATION_WAIT_MS) coordinated = "no";
        if (coordinated !== "no" && attempts.size === 0 && now - lastMeet >= 2 * RESEND_MS) {
          // Every ready relay: the first attempt back wins (see the module notes).
          const ready = new Set(
            relay.relays().filter((l) => l.state === "ready").map((l) => l.publicKey.toLowerCase()),
          );
          for (const r of o.relays.filter((x) => ready.has(toHex(x.publicKey)))) {
            relay.sendOob(
              r.publicKey,
              encodeControl({ t: "meet", peer: toHex(o.peer), nat: o.nat }),
              r.publicKey,
            );
          }
          lastMeet = now;
        }
        if (coordinated === "no" && now - lastMeet >= 2 * RESEND_MS) {
          relay.sendOob(
            o.peer,
            encodeHello({ type: "hello", id: helloId, endpoints: o.endpoints, nat: o.nat }),
          );
          lastMeet = now;
        }
      }
      for (const a of attempts.values()) {
        o.host.send(new Uint8Array([COOKIE_KIND, ...a.cookie]), a.to);
      }
      await sleep(Math.min(RESEND_MS, Math.max(1, o.deadline - clock.now())), clock, o.signal);
    }
  } finally {
    off();
  }
  return got;
}

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
