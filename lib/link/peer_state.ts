/**
 * What a link keeps per peer (its channel, path watch and liveness clock) and the rules
 * that map session events onto it: which messages reach the channel, and why it ended.
 *
 * @example
 * ```ts
 * import { endWhy } from "./peer_state.ts";
 * console.assert(endWhy({ reason: "timeout" }) === "nothing heard from the peer for 32 s");
 * ```
 * @module
 */
import type { Clock } from "../net/clock.ts";
import type { SessionDriver } from "../session/driver.ts";
import type { FriendLiveness } from "../session/friend.ts";
import type { CloseReason } from "../session/types.ts";
import { type ChannelEnd, isChannelId, isMessengerId, MESSENGER, PACKET } from "./channel.ts";
import { PathWatch } from "./path_watch.ts";
import { LinkChannel } from "./peer_channel.ts";

/** One peer of a link. */
export interface PeerState {
  /** The peer's DHT key (its relay route). */
  dht: Uint8Array;
  /** Which path carries it. */
  watch: PathWatch;
  /** Alive packets and the 32 s timeout, once established. */
  live: FriendLiveness | undefined;
  /** Its channel. */
  channel: LinkChannel;
  /** dial() is still trying: a handshake that fails is retried, not the end. */
  dialling: boolean;
  /** The listener's refusal, when one came. */
  refused?: string;
  /** The peer's bye reason, when one came. */
  bye?: string;
}

/**
 * A fresh state for `peer` (upper-case hex) whose channel sends through `driver`.
 *
 * @example
 * ```ts ignore
 * const s = newPeerState("AB…", dht, driver, t0, realClock);
 * ```
 */
export function newPeerState(
  peer: string,
  dht: Uint8Array,
  driver: SessionDriver,
  t0: number,
  clock: Clock,
): PeerState {
  const hex = peer.toLowerCase();
  const watch = new PathWatch(peer, t0);
  const channel = new LinkChannel(peer, {
    trySend: (m) => driver.send(hex, m),
    idle: () => {
      const ss = driver.host.session(hex);
      return !ss || (ss.queued === 0 && ss.inFlight === 0);
    },
    kill: () => driver.kill(hex),
    paths: () => watch.used,
  }, clock);
  return { dht, watch, live: undefined, channel, dialling: false };
}

/**
 * One lossless message from the peer: everything counts as a sign of life; a refusal or a
 * bye is kept for the end; `[164]` marks a peerkit peer, a Messenger id before it a Tox
 * client, whose messages and actions (`[64]`, `[65]`) go to the channel and whose other
 * Messenger packets are counted and dropped; other ids 160-191 go to the channel; the rest
 * (alive, share relays) stops here.
 *
 * @example
 * ```ts ignore
 * takeData(state, new Uint8Array([162, 98, 117, 115, 121]), now); // state.refused === "busy"
 * ```
 */
export function takeData(s: PeerState, data: Uint8Array, now: number): void {
  s.live?.received(now);
  const id = data[0]!;
  if (id === PACKET.HELLO) s.channel.setKind("peerkit");
  else if (isMessengerId(id)) {
    s.channel.setKind("tox");
    const text = id === MESSENGER.MESSAGE || id === MESSENGER.ACTION;
    if (text && s.channel.kind === "tox") s.channel.deliver(data);
    else s.channel.messengerDropped++;
  } else if (id === PACKET.REFUSED) s.refused = new TextDecoder().decode(data.subarray(1));
  else if (id === PACKET.BYE) s.bye = new TextDecoder().decode(data.subarray(1));
  else if (isChannelId(id)) s.channel.deliver(data);
}

/**
 * Why a channel ended, from the session's close reason and what the peer said before.
 *
 * @example
 * ```ts ignore
 * endOf(state, "killed"); // { reason: "peer", message: state.bye }
 * ```
 */
export function endOf(s: PeerState, reason: CloseReason): ChannelEnd {
  if (s.refused !== undefined) return { reason: "refused", message: s.refused };
  if (reason === "killed") {
    return { reason: "peer", ...(s.bye !== undefined ? { message: s.bye } : {}) };
  }
  if (reason === "local") return { reason: "local" };
  return { reason: "lost", message: `session ${reason}` };
}

/**
 * A few words on an end, for the last path event.
 *
 * @example
 * ```ts
 * import { endWhy } from "./peer_state.ts";
 * console.assert(endWhy({ reason: "refused", message: "busy" }) === "refused: busy");
 * ```
 */
export function endWhy(end: ChannelEnd): string {
  switch (end.reason) {
    case "local":
      return "closed by us";
    case "peer":
      return "closed by the peer";
    case "refused":
      return `refused: ${end.message}`;
    case "timeout":
      return "nothing heard from the peer for 32 s";
    case "lost":
      return end.message;
  }
}

/**
 * Resolves `"established"` when the session with `peer` is, or why not: the handshake went
 * unanswered (the session gave up), the time ran out, or `signal` fired.
 *
 * @example
 * ```ts ignore
 * const r = await waitEstablished(driver, "AB…", 5000, realClock);
 * ```
 */
export function waitEstablished(
  driver: SessionDriver,
  peer: string,
  ms: number,
  clock: Clock,
  signal?: AbortSignal,
): Promise<string> {
  const hex = peer.toLowerCase();
  if (driver.host.session(hex)?.state === "established") return Promise.resolve("established");
  return new Promise((resolve) => {
    const done = (r: string) => {
      clock.clearTimeout(t);
      off();
      signal?.removeEventListener("abort", abort);
      resolve(r);
    };
    const abort = () => done("interrupted");
    const t = clock.setTimeout(() => done("the peer did not answer in time"), ms);
    signal?.addEventListener("abort", abort, { once: true });
    const off = driver.on((e) => {
      if (e.peer !== hex) return;
      if (e.type === "established") done("established");
      if (e.type === "closed") done("the handshake went unanswered");
    });
  });
}
