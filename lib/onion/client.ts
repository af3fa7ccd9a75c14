/**
 * The Tox onion client, sans-IO (c-toxcore 0.2.18 onion_client.c): announces our real key
 * to the nodes closest to it, searches friends' announcements, and exchanges onion data
 * (DHT-PK packets, friend requests) with them, all through three-node onion paths.
 *
 * Flow: `handleTimeout(now)` once a second sends announces (ping id zero first, then the one
 * each node returned) and searches through random paths; each 0x84 answer names closer
 * nodes, which are asked in turn, so the lists converge on the nodes closest to each key. A
 * search answer with is_stored 1 carries the friend's data key; onion data (0x85) is then
 * sealed to it and reaches the friend as 0x86 along the return path it announced with.
 * Feed what hop A returns to {@link OnionClient.handlePacket} (UDP) or
 * {@link OnionClient.handleRelayPacket} (TCP relay packet 9), drain
 * {@link OnionClient.pollTransmit} and {@link OnionClient.pollEvent}.
 *
 * @example
 * ```ts
 * import { OnionClient } from "./client.ts";
 * import { backend } from "../crypto/mod.ts";
 * const c = new OnionClient({ realKeyPair: backend().keyPair(), dhtKeyPair: backend().keyPair(), nodes: () => [] });
 * c.handleTimeout(0);
 * console.assert(c.pollTransmit() === undefined && c.connectionStatus(0) === "offline");
 * ```
 * @module
 */
import type { KeyPair } from "../crypto/backend.ts";
import { backend } from "../crypto/backend.ts";
import { toHex } from "../util/bytes.ts";
import { IS_STORED } from "./announce_wire.ts";
import { type OnionClientTimings, TOXCORE_ONION_CLIENT } from "./client_constants.ts";
import { encodeFriendRequest, FriendRequestFilter } from "./client_friend_request.ts";
import { AnnounceList, type ListNode } from "./client_list.ts";
import { type PathEntry, PathSet } from "./client_paths.ts";
import { maintainList, onAnnounceResponse } from "./client_announce.ts";
import { acceptDhtPk, onDataResponse, sendData, sendDhtPk } from "./client_exchange.ts";
import { type ClientState, storedOn } from "./client_state.ts";
import type {
  OnionClientEvent,
  OnionClientOptions,
  OnionClientStats,
  OnionClientTransmit,
} from "./client_types.ts";
import { ONION_KIND, TCP_ONION_RESPONSE_ID } from "./constants.ts";
import { DHTPK_ID, DhtPkReplayGuard, openDhtPkFromDht } from "./dhtpk.ts";

export type * from "./client_types.ts";

/** The sans-IO onion client; see the module documentation for the flow. */
export class OnionClient {
  readonly #s: ClientState;
  #lastTick: number | undefined;

  /** A client with no friends; it starts announcing on the first {@link handleTimeout}. */
  constructor(opts: OnionClientOptions) {
    const random = opts.random ?? ((n: number) => backend().randomBytes(n));
    const timings = { ...TOXCORE_ONION_CLIENT, ...opts.timings };
    this.#s = {
      opts,
      random,
      timings,
      dataKeyPair: backend().keyPairFromSecretKey(random(32)),
      stats: {
        announcesSent: 0,
        announceResponses: 0,
        dataSent: 0,
        dataReceived: 0,
        replays: 0,
        dropped: 0,
        pathsCreated: 0,
      },
      self: new AnnounceList(opts.realKeyPair.publicKey, timings.announceNodes),
      selfRecent: new Map(),
      selfPaths: new PathSet(timings, opts.dhtKeyPair, random),
      friendPaths: new PathSet(timings, opts.dhtKeyPair, random),
      friends: new Map(),
      pending: new Map(),
      learned: [],
      out: [],
      events: [],
      replay: new DhtPkReplayGuard(),
      requests: new FriendRequestFilter(opts.nospam ?? random(4)),
      selfRefill: undefined,
      lastAnnounce: undefined,
      lastResponse: undefined,
      announced: false,
      lastNoReplay: -1n,
    };
  }

  /** Counters. */
  get stats(): OnionClientStats {
    return this.#s.stats;
  }

  /** Timers and sizes in use. */
  get timings(): Readonly<OnionClientTimings> {
    return this.#s.timings;
  }

  /** The per-session key others seal onion data to (published in our announces). */
  get dataKeyPair(): KeyPair {
    return this.#s.dataKeyPair;
  }

  /** Our nospam (the middle of our Tox ID). */
  get nospam(): Uint8Array {
    return this.#s.requests.nospam;
  }

  /** The nodes we announce to, closest to our key first. */
  get announceNodes(): readonly ListNode[] {
    return this.#s.self.entries;
  }

  /** The announce nodes of a friend's search list, closest to its key first. */
  searchNodes(publicKey: Uint8Array): readonly ListNode[] {
    return this.#s.friends.get(toHex(publicKey))?.list.entries ?? [];
  }

  /** How many announce nodes currently store us. */
  get storedOn(): number {
    return storedOn(this.#s);
  }

  /** Live paths of both sets (announcing and searching), with their nodes' keys. */
  livePaths(
    now: number,
  ): { set: "announce" | "search"; id: number; nodes: Uint8Array[]; relay?: string }[] {
    const show = (set: "announce" | "search", p: PathEntry) => {
      const nodes = p.path.nodes.map((n) => n.publicKey);
      return p.relay === undefined
        ? { set, id: p.id, nodes }
        : { set, id: p.id, nodes, relay: p.relay };
    };
    return [
      ...this.#s.selfPaths.live(now).map((p) => show("announce", p)),
      ...this.#s.friendPaths.live(now).map((p) => show("search", p)),
    ];
  }

  /** Starts searching for `publicKey` (a friend's real key); idempotent. */
  addFriend(publicKey: Uint8Array): void {
    const k = toHex(publicKey);
    if (this.#s.friends.has(k)) return;
    this.#s.friends.set(k, {
      publicKey: publicKey.slice(),
      temp: backend().keyPairFromSecretKey(this.#s.random(32)),
      list: new AnnounceList(publicKey, this.#s.timings.searchNodes),
      dataPublicKey: undefined,
      dhtPublicKey: undefined,
      connected: false,
      lastDhtPkOnion: undefined,
      lastDhtPkDht: undefined,
      lastRefill: undefined,
      recent: new Map(),
      queued: [],
      runCount: 0,
      lastSeen: undefined,
    });
  }

  /** Stops searching for a friend and forgets its replay state. */
  removeFriend(publicKey: Uint8Array): void {
    this.#s.friends.delete(toHex(publicKey));
    this.#s.replay.forget(publicKey);
  }

  /**
   * Marks a friend as directly connected (net_crypto up): searches and DHT-PK packets stop
   * until it is not; `now` dates the start of the search backoff when it goes offline.
   */
  setFriendConnected(publicKey: Uint8Array, connected: boolean, now?: number): void {
    const f = this.#s.friends.get(toHex(publicKey));
    if (!f) return;
    if (f.connected && !connected) {
      // As c-toxcore: going offline restarts the fast search and the replay counter.
      f.runCount = 0;
      f.lastSeen = now;
      this.#s.replay.forget(f.publicKey);
    }
    f.connected = connected;
  }

  /** The friend's data key, once an announce node reported it. */
  friendDataKey(publicKey: Uint8Array): Uint8Array | undefined {
    return this.#s.friends.get(toHex(publicKey))?.dataPublicKey;
  }

  /** The friend's DHT key, once a DHT-PK packet told us. */
  friendDhtKey(publicKey: Uint8Array): Uint8Array | undefined {
    return this.#s.friends.get(toHex(publicKey))?.dhtPublicKey;
  }

  /** "offline" after 75 s without any onion answer; otherwise how paths enter the network. */
  connectionStatus(now: number): "offline" | "udp" | "tcp" {
    const last = this.#s.lastResponse;
    if (last === undefined || now - last >= this.#s.timings.offlineTimeoutMs) return "offline";
    return this.#s.opts.udp === false ? "tcp" : "udp";
  }

  /** The next datagram or relay packet to send. */
  pollTransmit(): OnionClientTransmit | undefined {
    return this.#s.out.shift();
  }

  /** The next event. */
  pollEvent(): OnionClientEvent | undefined {
    return this.#s.events.shift();
  }

  /** When {@link handleTimeout} wants to run next: the client works in 1 s rounds. */
  nextTimeout(): number {
    return this.#lastTick === undefined ? 0 : this.#lastTick + 1000;
  }

  /**
   * Sends `payload` (`[id][data]`, 1..1021 bytes) to a friend through every announce node
   * that holds its entry, each copy through a random path; returns the copies sent (0 while
   * the friend has not been found or is not a friend).
   */
  sendData(publicKey: Uint8Array, payload: Uint8Array, now: number): number {
    const f = this.#s.friends.get(toHex(publicKey));
    return f ? sendData(this.#s, f, payload, now) : 0;
  }

  /**
   * Sends a friend request (`[0x20][nospam][message]`) to `publicKey`, searching for it
   * first if needed: the request goes out once it is found. Returns the copies sent now.
   */
  sendFriendRequest(
    publicKey: Uint8Array,
    nospam: Uint8Array,
    message: Uint8Array,
    now: number,
  ): number {
    const payload = encodeFriendRequest({ nospam, message });
    this.addFriend(publicKey);
    const sent = this.sendData(publicKey, payload, now);
    if (sent === 0) this.#s.friends.get(toHex(publicKey))!.queued.push(payload);
    return sent;
  }

  /** Runs one round of announces, searches, DHT-PK sends and expiry; call about once a second. */
  handleTimeout(now: number): void {
    const s = this.#s;
    this.#lastTick = now;
    for (const [k, p] of s.pending) {
      if (now - p.sentAt >= s.timings.requestTimeoutMs) s.pending.delete(k);
    }
    const { nodeMaxPings, nodeTimeoutMs } = s.timings;
    s.self.expire(now, nodeMaxPings, nodeTimeoutMs);
    if (s.announced && storedOn(s) === 0) s.announced = false;
    maintainList(s, s.self, undefined, now);
    for (const f of s.friends.values()) {
      f.list.expire(now, nodeMaxPings, nodeTimeoutMs);
      maintainList(s, f.list, f, now);
      if (f.dataPublicKey && !f.list.entries.some((e) => e.isStored === IS_STORED.FOUND)) {
        f.dataPublicKey = undefined;
      }
      sendDhtPk(s, f, now);
    }
    s.stats.pathsCreated = s.selfPaths.created + s.friendPaths.created;
  }

  /**
   * Handles an onion response as hop A delivered it over UDP (0x84 or 0x86). Returns false
   * for other kinds (not counted). Never throws on network input.
   */
  handlePacket(data: Uint8Array, now: number): boolean {
    const kind = data[0];
    if (kind !== ONION_KIND.ANNOUNCE_RESPONSE && kind !== ONION_KIND.DATA_RESPONSE) return false;
    try {
      if (kind === ONION_KIND.ANNOUNCE_RESPONSE) onAnnounceResponse(this.#s, data, now);
      else onDataResponse(this.#s, data, now);
    } catch {
      this.#s.stats.dropped++;
    }
    return true;
  }

  /** Handles a TCP relay onion response packet `[9][0x84 | 0x86 ...]`; false for other ids. */
  handleRelayPacket(packet: Uint8Array, now: number): boolean {
    if (packet[0] !== TCP_ONION_RESPONSE_ID) return false;
    if (!this.handlePacket(packet.subarray(1), now)) this.#s.stats.dropped++;
    return true;
  }

  /**
   * Handles a DHT-routed request addressed to us (from `DhtNode`'s routed-request hook):
   * DHT-PK packets (request id 0x9c) from friends. Returns false for other request ids.
   */
  handleDhtRequest(
    r: { requestId: number; data: Uint8Array; senderPublicKey: Uint8Array },
    _now: number,
  ): boolean {
    if (r.requestId !== DHTPK_ID) return false;
    const s = this.#s;
    const opened = openDhtPkFromDht(r.data, r.senderPublicKey, s.opts.realKeyPair.secretKey);
    if (!opened.ok) s.stats.dropped++;
    else acceptDhtPk(s, opened.senderRealPublicKey, opened.packet, "dht");
    return true;
  }
}
