/**
 * Onion data between friends (onion_client.c `send_onion_data`, `handle_data_response`,
 * `send_dhtpk_announce`, `handle_dhtpk_announce`): sealing payloads to a found friend's
 * data key, opening what reaches us, DHT-PK packets (through the onion every 30 s, through
 * DHT routing every 20 s while the friend is not connected) and friend requests.
 *
 * @example
 * ```ts
 * import { OnionClient } from "./client.ts";
 * import { backend } from "../crypto/mod.ts";
 * const c = new OnionClient({ realKeyPair: backend().keyPair(), dhtKeyPair: backend().keyPair(), nodes: () => [] });
 * console.assert(c.sendData(new Uint8Array(32), new Uint8Array([0x42]), 0) === 0);
 * ```
 * @module
 */
import { toHex } from "../util/bytes.ts";
import { IS_STORED } from "./announce_wire.ts";
import { buildDataRequest, openDataResponse } from "./client_packets.ts";
import { openOnionDataInner, sealOnionDataInner } from "./client_data.ts";
import { decodeFriendRequest, FRIEND_REQUEST_ID } from "./client_friend_request.ts";
import { type ClientState, type Friend, newKeyPair, sendThroughPath } from "./client_state.ts";
import { NONCE_SIZE } from "./constants.ts";
import { decodeDhtPk, DHTPK_ID, DHTPK_MAX_NODES, encodeDhtPk, sealDhtPkForDht } from "./dhtpk.ts";

/**
 * Sends `payload` (`[id][data]`, 1..1021 bytes) to `f` through every announce node that
 * holds its entry, each copy through a random path; returns the copies sent.
 */
export function sendData(s: ClientState, f: Friend, payload: Uint8Array, now: number): number {
  let sent = 0;
  for (const n of f.list.entries) {
    if (n.isStored !== IS_STORED.FOUND || !n.dataPublicKey) continue;
    const nonce = s.random(NONCE_SIZE);
    const inner = sealOnionDataInner(payload, s.opts.realKeyPair, f.publicKey, nonce);
    const req = buildDataRequest({
      destPublicKey: f.publicKey,
      dataPublicKey: n.dataPublicKey,
      plain: inner,
      nonce,
      ephemeral: newKeyPair(s),
    });
    if (sendThroughPath(s, s.friendPaths, undefined, n.addr, req, now)) sent++;
  }
  s.stats.dataSent += sent;
  return sent;
}

/** Handles a 0x86: opens both layers and dispatches DHT-PK, friend requests and other data. */
export function onDataResponse(s: ClientState, data: Uint8Array, now: number): void {
  const opened = openDataResponse(data, s.dataKeyPair.secretKey);
  const inner = opened &&
    openOnionDataInner(opened.plain, s.opts.realKeyPair.secretKey, opened.nonce);
  if (!inner) {
    s.stats.dropped++;
    return;
  }
  s.stats.dataReceived++;
  s.lastResponse = now;
  const { sender, payload } = inner;
  const id = payload[0]!;
  if (id === DHTPK_ID) {
    let packet;
    try {
      packet = decodeDhtPk(payload);
    } catch {
      s.stats.dropped++;
      return;
    }
    acceptDhtPk(s, sender, packet, "onion");
  } else if (id === FRIEND_REQUEST_ID) {
    let req;
    try {
      req = decodeFriendRequest(payload);
    } catch {
      s.stats.dropped++;
      return;
    }
    if (s.requests.check(sender, req) !== "accept") {
      s.stats.dropped++;
      return;
    }
    s.events.push({ type: "friend_request", publicKey: sender, message: req.message });
  } else {
    s.events.push({ type: "data", publicKey: sender, id, data: payload.slice(1) });
  }
}

/** Accepts a DHT-PK packet from a friend unless it is a replay. */
export function acceptDhtPk(
  s: ClientState,
  sender: Uint8Array,
  packet: ReturnType<typeof decodeDhtPk>,
  via: "onion" | "dht",
): void {
  const f = s.friends.get(toHex(sender));
  if (!f) {
    s.stats.dropped++;
    return;
  }
  if (!s.replay.accept(sender, packet.noReplay)) {
    s.stats.replays++;
    return;
  }
  f.dhtPublicKey = packet.dhtPublicKey;
  s.events.push({
    type: "dhtpk",
    publicKey: f.publicKey,
    dhtPublicKey: packet.dhtPublicKey,
    nodes: packet.nodes,
    via,
  });
}

/** The no_replay of the next DHT-PK packet: the configured clock, kept strictly increasing. */
export function nextNoReplay(s: ClientState, now: number): bigint {
  const want = s.opts.noReplay ? s.opts.noReplay(now) : BigInt(Math.floor(now / 1000));
  s.lastNoReplay = want > s.lastNoReplay ? want : s.lastNoReplay + 1n;
  return s.lastNoReplay;
}

/** Our DHT-PK packet: DHT key, up to 2 TCP relays, then close nodes. */
export function dhtPkPacket(s: ClientState, now: number): Uint8Array {
  const all = s.opts.dhtPkNodes?.() ?? [];
  const relays = all.filter((n) => n.tcp).slice(0, 2);
  const udp = all.filter((n) => !n.tcp).slice(0, DHTPK_MAX_NODES - relays.length);
  return encodeDhtPk({
    noReplay: nextNoReplay(s, now),
    dhtPublicKey: s.opts.dhtKeyPair.publicKey,
    nodes: [...relays, ...udp],
  });
}

/** DHT-PK to a friend that is not connected: via the onion every 30 s, via the DHT every 20 s. */
export function sendDhtPk(s: ClientState, f: Friend, now: number): void {
  if (f.connected) return;
  const t = s.timings;
  if (
    f.dataPublicKey &&
    (f.lastDhtPkOnion === undefined || now - f.lastDhtPkOnion >= t.dhtPkOnionIntervalMs)
  ) {
    if (sendData(s, f, dhtPkPacket(s, now), now) > 0) f.lastDhtPkOnion = now;
  }
  if (
    f.dhtPublicKey &&
    (f.lastDhtPkDht === undefined || now - f.lastDhtPkDht >= t.dhtPkDhtIntervalMs)
  ) {
    f.lastDhtPkDht = now;
    s.out.push({
      to: "dht",
      receiver: f.dhtPublicKey,
      requestId: DHTPK_ID,
      data: sealDhtPkForDht(
        dhtPkPacket(s, now),
        s.opts.realKeyPair,
        f.publicKey,
        s.random(NONCE_SIZE),
      ),
    });
  }
}
