/**
 * Announcing and searching (onion_client.c `client_send_announce_request`,
 * `handle_announce_response`, `do_announce`, `do_friend`): each round pings the list's
 * nodes (3 s until they store us or the friend is found, then 15 s), refills a short list
 * from fresh nodes, and every answer's closer nodes are asked in turn.
 *
 * @example
 * ```ts
 * import { OnionClient } from "./client.ts";
 * import { backend } from "../crypto/mod.ts";
 * const n = (i: number) => ({ publicKey: backend().keyPair().publicKey, addr: { hostname: `10.0.0.${i}`, port: 1 } });
 * const nodes = [n(1), n(2), n(3), n(4)];
 * const c = new OnionClient({ realKeyPair: backend().keyPair(), dhtKeyPair: backend().keyPair(), nodes: () => nodes });
 * c.handleTimeout(0);
 * console.assert(c.stats.announcesSent === 4 && c.pollTransmit()?.to === "udp");
 * ```
 * @module
 */
import { keyEquals } from "../dht/distance.ts";
import type { Addr } from "../net/addr.ts";
import { toHex } from "../util/bytes.ts";
import { IS_STORED } from "./announce_wire.ts";
import { buildAnnounceRequest, openAnnounceResponse } from "./client_packets.ts";
import type { AnnounceList, ListNode } from "./client_list.ts";
import { randomInt } from "./client_paths.ts";
import {
  type ClientState,
  type Friend,
  learnNode,
  nodePool,
  sendThroughPath,
  storedOn,
  ZERO_KEY,
  ZERO_PING,
} from "./client_state.ts";
import { sendData } from "./client_exchange.ts";
import { NONCE_SIZE, SENDBACK_SIZE } from "./constants.ts";

/** Sends an announce (no friend) or a search for `friend` to `node`; false when no path could be made. */
export function sendAnnounce(
  s: ClientState,
  friend: Friend | undefined,
  node: { publicKey: Uint8Array; addr: Addr },
  pingId: Uint8Array,
  preferredPath: number | undefined,
  now: number,
): boolean {
  const sendback = s.random(SENDBACK_SIZE);
  const req = buildAnnounceRequest({
    destPublicKey: node.publicKey,
    sender: friend ? friend.temp : s.opts.realKeyPair,
    pingId,
    searchedPublicKey: friend ? friend.publicKey : s.opts.realKeyPair.publicKey,
    dataPublicKey: friend ? ZERO_KEY : s.dataKeyPair.publicKey,
    sendback,
    nonce: s.random(NONCE_SIZE),
  });
  const set = friend ? s.friendPaths : s.selfPaths;
  const path = sendThroughPath(s, set, preferredPath, node.addr, req, now);
  if (!path) return false;
  s.pending.set(toHex(sendback), {
    friend,
    nodePublicKey: node.publicKey,
    addr: node.addr,
    pathId: path.id,
    sentAt: now,
  });
  (friend ? friend.recent : s.selfRecent).set(toHex(node.publicKey), now);
  s.stats.announcesSent++;
  return true;
}

/** Pings due list nodes and, while the list is short, asks fresh nodes (ping id zero). */
export function maintainList(
  s: ClientState,
  list: AnnounceList,
  friend: Friend | undefined,
  now: number,
): void {
  const t = s.timings;
  if (friend?.connected) return; // c-toxcore searches only for friends that are not online
  const friendInterval = friend ? searchInterval(s, friend, now) : 0;
  // c-toxcore also pings one node at random when the list has gone quiet: for a search, no
  // answer within interval / 8 and no ping for 15 s; for our announce, no announce for 15 s.
  let pingRandom = friend
    ? list.entries.every((e) =>
      now - e.lastResponse >= friendInterval / t.searchNodes &&
      (e.lastPinged === undefined || now - e.lastPinged >= t.nodePingIntervalMs)
    )
    : s.lastAnnounce === undefined || now - s.lastAnnounce >= t.nodePingIntervalMs;
  const entries = list.entries;
  for (let i = 0; i < entries.length; i++) {
    const n = entries[i]!;
    // After 3 unanswered pings a node is left alone until it times out (15 s later).
    if (n.pingsSinceResponse >= t.nodeMaxPings) continue;
    const interval = friend ? friendInterval : announceInterval(s, n, now);
    const due = n.lastPinged === undefined || now - n.lastPinged >= interval;
    const lucky = pingRandom && randomInt(s.random, entries.length - i) === 0;
    if (!due && !lucky) continue;
    // Searches always carry a zero ping id: a valid one would make the node store the
    // searcher instead of answering with the friend's entry (c-toxcore does the same).
    // A long-lived node's last chance goes through a random path (c-toxcore does the same).
    const lastChance = !friend && n.pingsSinceResponse === t.nodeMaxPings - 1 &&
      now - n.added >= t.timeToStableMs;
    const pathId = lastChance ? undefined : n.pathId;
    if (sendAnnounce(s, friend, n, friend ? ZERO_PING : n.pingId, pathId, now)) {
      n.lastPinged = now;
      n.pingsSinceResponse++;
      pingRandom = false;
      if (!friend) s.lastAnnounce = now;
    }
  }
  if (list.full) {
    if (friend) friend.runCount++;
    return;
  }
  const last = friend ? friend.lastRefill : s.selfRefill;
  if (last !== undefined && now - last < t.notAnnouncedIntervalMs) return;
  if (friend) {
    friend.lastRefill = now;
    friend.runCount++;
  } else s.selfRefill = now;
  const pool = nodePool(s).filter((n) => list.wouldAdd(n.publicKey));
  for (let i = 0; i < t.bootstrapFanout && pool.length > 0; i++) {
    const n = pool.splice(randomInt(s.random, pool.length), 1)[0]!;
    sendAnnounce(s, friend, n, ZERO_PING, undefined, now);
  }
}

/**
 * c-toxcore `do_announce`'s interval for one of our announce nodes: 3 s until it stores us
 * through a live path, 15 s once it does, 120 s once node and path have lasted 90 s without
 * a missed answer.
 */
function announceInterval(s: ClientState, n: ListNode, now: number): number {
  const t = s.timings;
  const path = n.pathId === undefined ? undefined : s.selfPaths.get(n.pathId, now);
  if (n.isStored !== IS_STORED.YOU || !path) return t.notAnnouncedIntervalMs;
  const stable = now - n.added >= t.timeToStableMs && n.pingsSinceResponse === 0 &&
    now - path.created >= t.timeToStableMs && path.uses === 0;
  return stable ? t.announceStableIntervalMs : t.nodePingIntervalMs;
}

/**
 * c-toxcore `do_friend`'s search interval: 3 s for the first 17 rounds, then 90 s, or a
 * quarter of the time since the friend was last seen when that is longer (at most 40 min).
 */
function searchInterval(s: ClientState, f: Friend, now: number): number {
  const t = s.timings;
  if (f.runCount < t.searchBeginningRuns) return t.notAnnouncedIntervalMs;
  f.lastSeen ??= now;
  const backoff = Math.min((now - f.lastSeen) / t.searchBackoffFactor, t.searchMaxIntervalMs);
  return Math.max(t.searchIntervalMs, backoff);
}

/** Handles a 0x84: matches its sendback, opens it, updates the list, reports events, asks closer nodes. */
export function onAnnounceResponse(s: ClientState, data: Uint8Array, now: number): void {
  const key = toHex(data.subarray(1, 1 + SENDBACK_SIZE));
  const p = s.pending.get(key);
  if (!p || data.length < 1 + SENDBACK_SIZE) {
    s.stats.dropped++;
    return;
  }
  const f = p.friend;
  const opened = openAnnounceResponse(
    data,
    p.nodePublicKey,
    f ? f.temp.secretKey : s.opts.realKeyPair.secretKey,
  );
  if (!opened) {
    s.stats.dropped++;
    return;
  }
  s.pending.delete(key);
  s.stats.announceResponses++;
  s.lastResponse = now;
  const set = f ? s.friendPaths : s.selfPaths;
  set.answered(p.pathId, now);
  const list = f ? f.list : s.self;
  const r = opened.reply;
  const entry = list.upsert(p.nodePublicKey, p.addr, now);
  if (entry) {
    entry.pathId = p.pathId;
    entry.isStored = r.isStored;
    if (r.isStored === IS_STORED.FOUND) entry.dataPublicKey = r.dataPublicKey;
    else {
      const fresh = !keyEquals(entry.pingId, r.pingId);
      entry.pingId = r.pingId;
      // Not stored yet: answer the new ping id right away rather than in 3 s.
      if (!f && r.isStored === IS_STORED.NO && fresh) {
        if (sendAnnounce(s, undefined, entry, entry.pingId, entry.pathId, now)) {
          entry.lastPinged = now;
        }
      }
    }
  }
  if (!f && r.isStored === IS_STORED.YOU && !s.announced) {
    s.announced = true;
    s.events.push({ type: "announced", nodes: storedOn(s) });
  }
  if (f && r.isStored === IS_STORED.FOUND) friendFound(s, f, r.dataPublicKey, now);
  askCloser(s, list, f, r.nodes, now);
}

/** Records a friend's (new) data key and sends what was queued for it. */
export function friendFound(
  s: ClientState,
  f: Friend,
  dataPublicKey: Uint8Array,
  now: number,
): void {
  if (f.dataPublicKey && keyEquals(f.dataPublicKey, dataPublicKey)) return;
  f.dataPublicKey = dataPublicKey.slice();
  f.lastDhtPkOnion = undefined;
  s.events.push({ type: "peer_found", publicKey: f.publicKey, dataPublicKey });
  const queued = f.queued.splice(0);
  for (const q of queued) if (sendData(s, f, q, now) === 0) f.queued.push(q);
}

/** Asks the answer's nodes that would enter the list (not asked in the last 10 s). */
export function askCloser(
  s: ClientState,
  list: AnnounceList,
  f: Friend | undefined,
  nodes: readonly { publicKey: Uint8Array; addr: Addr; tcp?: boolean }[],
  now: number,
): void {
  const recent = f ? f.recent : s.selfRecent;
  for (const [k, at] of recent) {
    if (now - at >= s.timings.requestTimeoutMs) recent.delete(k);
  }
  for (const n of nodes) {
    if (n.tcp) continue;
    learnNode(s, n);
    if (keyEquals(n.publicKey, s.opts.dhtKeyPair.publicKey)) continue;
    if (!list.wouldAdd(n.publicKey) || recent.has(toHex(n.publicKey))) continue;
    sendAnnounce(s, f, n, ZERO_PING, undefined, now);
  }
}
