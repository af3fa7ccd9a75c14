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
import { keyEquals } from "../dht/distance.ts";
import type { Addr } from "../net/addr.ts";
import { concat, toHex } from "../util/bytes.ts";
import { IS_STORED } from "./announce_wire.ts";
import {
  buildAnnounceRequest,
  buildDataRequest,
  buildOnionPacket,
  buildOnionPacketTcp,
  openAnnounceResponse,
  openDataResponse,
  type PathNode,
} from "./client_packets.ts";
import { type OnionClientTimings, TOXCORE_ONION_CLIENT } from "./client_constants.ts";
import { openOnionDataInner, sealOnionDataInner } from "./client_data.ts";
import {
  decodeFriendRequest,
  encodeFriendRequest,
  FRIEND_REQUEST_ID,
  FriendRequestFilter,
} from "./client_friend_request.ts";
import { AnnounceList, type ListNode } from "./client_list.ts";
import { type PathEntry, PathSet, type RandomBytes, randomInt } from "./client_paths.ts";
import type {
  OnionClientEvent,
  OnionClientOptions,
  OnionClientStats,
  OnionClientTransmit,
} from "./client_types.ts";
import {
  NONCE_SIZE,
  ONION_KIND,
  SENDBACK_SIZE,
  TCP_ONION_REQUEST_ID,
  TCP_ONION_RESPONSE_ID,
} from "./constants.ts";
import {
  decodeDhtPk,
  DHTPK_ID,
  DHTPK_MAX_NODES,
  DhtPkReplayGuard,
  encodeDhtPk,
  openDhtPkFromDht,
  sealDhtPkForDht,
} from "./dhtpk.ts";

export type * from "./client_types.ts";

interface Friend {
  publicKey: Uint8Array;
  temp: KeyPair;
  list: AnnounceList;
  dataPublicKey: Uint8Array | undefined;
  dhtPublicKey: Uint8Array | undefined;
  connected: boolean;
  lastDhtPkOnion: number | undefined;
  lastDhtPkDht: number | undefined;
  lastRefill: number | undefined;
  recent: Map<string, number>;
  queued: Uint8Array[];
}

interface Pending {
  friend: Friend | undefined;
  nodePublicKey: Uint8Array;
  addr: Addr;
  pathId: number;
  sentAt: number;
}

const ZERO_PING = new Uint8Array(32);
const ZERO_KEY = new Uint8Array(32);

/** The sans-IO onion client; see the module documentation for the flow. */
export class OnionClient {
  /** Counters. */
  readonly stats: OnionClientStats = {
    announcesSent: 0,
    announceResponses: 0,
    dataSent: 0,
    dataReceived: 0,
    replays: 0,
    dropped: 0,
    pathsCreated: 0,
  };
  /** Timers and sizes in use. */
  readonly timings: Readonly<OnionClientTimings>;
  /** The per-session key others seal onion data to (published in our announces). */
  readonly dataKeyPair: KeyPair;
  readonly #o: OnionClientOptions;
  readonly #random: RandomBytes;
  readonly #self: AnnounceList;
  readonly #selfRecent = new Map<string, number>();
  readonly #selfPaths: PathSet;
  readonly #friendPaths: PathSet;
  readonly #friends = new Map<string, Friend>();
  readonly #pending = new Map<string, Pending>();
  readonly #learned: PathNode[] = [];
  readonly #out: OnionClientTransmit[] = [];
  readonly #events: OnionClientEvent[] = [];
  readonly #replay = new DhtPkReplayGuard();
  readonly #requests: FriendRequestFilter;
  #selfRefill: number | undefined;
  #lastResponse: number | undefined;
  #announced = false;
  #lastNoReplay = -1n;
  #lastTick: number | undefined;

  /** A client with no friends; it starts announcing on the first {@link handleTimeout}. */
  constructor(opts: OnionClientOptions) {
    this.#o = opts;
    this.#random = opts.random ?? ((n) => backend().randomBytes(n));
    this.timings = { ...TOXCORE_ONION_CLIENT, ...opts.timings };
    this.dataKeyPair = this.#keyPair();
    this.#self = new AnnounceList(opts.realKeyPair.publicKey, this.timings.announceNodes);
    this.#selfPaths = new PathSet(this.timings, opts.dhtKeyPair, this.#random);
    this.#friendPaths = new PathSet(this.timings, opts.dhtKeyPair, this.#random);
    this.#requests = new FriendRequestFilter(opts.nospam ?? this.#random(4));
  }

  /** Our nospam (the middle of our Tox ID). */
  get nospam(): Uint8Array {
    return this.#requests.nospam;
  }

  /** The nodes we announce to, closest to our key first. */
  get announceNodes(): readonly ListNode[] {
    return this.#self.entries;
  }

  /** How many announce nodes currently store us. */
  get storedOn(): number {
    return this.#self.entries.filter((e) => e.isStored === IS_STORED.YOU).length;
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
      ...this.#selfPaths.live(now).map((p) => show("announce", p)),
      ...this.#friendPaths.live(now).map((p) => show("search", p)),
    ];
  }

  /** Starts searching for `publicKey` (a friend's real key); idempotent. */
  addFriend(publicKey: Uint8Array): void {
    const k = toHex(publicKey);
    if (this.#friends.has(k)) return;
    this.#friends.set(k, {
      publicKey: publicKey.slice(),
      temp: this.#keyPair(),
      list: new AnnounceList(publicKey, this.timings.searchNodes),
      dataPublicKey: undefined,
      dhtPublicKey: undefined,
      connected: false,
      lastDhtPkOnion: undefined,
      lastDhtPkDht: undefined,
      lastRefill: undefined,
      recent: new Map(),
      queued: [],
    });
  }

  /** Stops searching for a friend and forgets its replay state. */
  removeFriend(publicKey: Uint8Array): void {
    this.#friends.delete(toHex(publicKey));
    this.#replay.forget(publicKey);
  }

  /** Marks a friend as directly connected (net_crypto up): DHT-PK packets stop until it is not. */
  setFriendConnected(publicKey: Uint8Array, connected: boolean): void {
    const f = this.#friends.get(toHex(publicKey));
    if (f) f.connected = connected;
  }

  /** The friend's data key, once an announce node reported it. */
  friendDataKey(publicKey: Uint8Array): Uint8Array | undefined {
    return this.#friends.get(toHex(publicKey))?.dataPublicKey;
  }

  /** The friend's DHT key, once a DHT-PK packet told us. */
  friendDhtKey(publicKey: Uint8Array): Uint8Array | undefined {
    return this.#friends.get(toHex(publicKey))?.dhtPublicKey;
  }

  /** "offline" after 75 s without any onion answer; otherwise how paths enter the network. */
  connectionStatus(now: number): "offline" | "udp" | "tcp" {
    if (this.#lastResponse === undefined) return "offline";
    if (now - this.#lastResponse >= this.timings.offlineTimeoutMs) return "offline";
    return this.#o.udp === false ? "tcp" : "udp";
  }

  /** The next datagram or relay packet to send. */
  pollTransmit(): OnionClientTransmit | undefined {
    return this.#out.shift();
  }

  /** The next event. */
  pollEvent(): OnionClientEvent | undefined {
    return this.#events.shift();
  }

  /** When {@link handleTimeout} wants to run next: the client works in 1 s rounds. */
  nextTimeout(): number {
    return this.#lastTick === undefined ? 0 : this.#lastTick + 1000;
  }

  /**
   * Sends `payload` (`[id][data]`, 1..1021 bytes) to a friend through every announce node
   * that holds its entry, each copy through a random path; returns the copies sent (0 while
   * the friend has not been found).
   */
  sendData(publicKey: Uint8Array, payload: Uint8Array, now: number): number {
    const f = this.#friends.get(toHex(publicKey));
    if (!f) return 0;
    let sent = 0;
    for (const n of f.list.entries) {
      if (n.isStored !== IS_STORED.FOUND || !n.dataPublicKey) continue;
      const nonce = this.#random(NONCE_SIZE);
      const inner = sealOnionDataInner(payload, this.#o.realKeyPair, f.publicKey, nonce);
      const req = buildDataRequest({
        destPublicKey: f.publicKey,
        dataPublicKey: n.dataPublicKey,
        plain: inner,
        nonce,
        ephemeral: this.#keyPair(),
      });
      if (this.#send(this.#friendPaths, undefined, n.addr, req, now)) sent++;
    }
    this.stats.dataSent += sent;
    return sent;
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
    if (sent === 0) this.#friends.get(toHex(publicKey))!.queued.push(payload);
    return sent;
  }

  /** Runs one round of announces, searches, DHT-PK sends and expiry; call about once a second. */
  handleTimeout(now: number): void {
    this.#lastTick = now;
    for (const [k, p] of this.#pending) {
      if (now - p.sentAt >= this.timings.requestTimeoutMs) this.#pending.delete(k);
    }
    const { nodeMaxPings, nodeTimeoutMs } = this.timings;
    this.#self.expire(now, nodeMaxPings, nodeTimeoutMs);
    if (this.#announced && this.storedOn === 0) this.#announced = false;
    this.#maintain(this.#self, undefined, now);
    for (const f of this.#friends.values()) {
      f.list.expire(now, nodeMaxPings, nodeTimeoutMs);
      this.#maintain(f.list, f, now);
      if (f.dataPublicKey && !f.list.entries.some((e) => e.isStored === IS_STORED.FOUND)) {
        f.dataPublicKey = undefined;
      }
      this.#dhtPk(f, now);
    }
    this.stats.pathsCreated = this.#selfPaths.created + this.#friendPaths.created;
  }

  /**
   * Handles an onion response as hop A delivered it over UDP (0x84 or 0x86). Returns false
   * for other kinds (not counted). Never throws on network input.
   */
  handlePacket(data: Uint8Array, now: number): boolean {
    const kind = data[0];
    if (kind !== ONION_KIND.ANNOUNCE_RESPONSE && kind !== ONION_KIND.DATA_RESPONSE) return false;
    try {
      if (kind === ONION_KIND.ANNOUNCE_RESPONSE) this.#onAnnounceResponse(data, now);
      else this.#onDataResponse(data, now);
    } catch {
      this.stats.dropped++;
    }
    return true;
  }

  /** Handles a TCP relay onion response packet `[9][0x84 | 0x86 ...]`; false for other ids. */
  handleRelayPacket(packet: Uint8Array, now: number): boolean {
    if (packet[0] !== TCP_ONION_RESPONSE_ID) return false;
    if (!this.handlePacket(packet.subarray(1), now)) this.stats.dropped++;
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
    const opened = openDhtPkFromDht(r.data, r.senderPublicKey, this.#o.realKeyPair.secretKey);
    if (!opened.ok) {
      this.stats.dropped++;
      return true;
    }
    this.#acceptDhtPk(opened.senderRealPublicKey, opened.packet, "dht");
    return true;
  }

  #keyPair(): KeyPair {
    return backend().keyPairFromSecretKey(this.#random(32));
  }

  #nodePool(): PathNode[] {
    const fromDht = this.#o.nodes();
    const out = [...fromDht];
    for (const n of this.#learned) {
      if (!out.some((o) => keyEquals(o.publicKey, n.publicKey))) out.push(n);
    }
    return out;
  }

  #relays() {
    return this.#o.udp === false ? (this.#o.relays?.() ?? []) : [];
  }

  /** Wraps `req` for `dest` through a path of `set` (the preferred one if alive). */
  #send(
    set: PathSet,
    preferred: number | undefined,
    dest: Addr,
    req: Uint8Array,
    now: number,
  ): PathEntry | null {
    if (this.#o.udp === false && this.#relays().length === 0) return null;
    let p = preferred === undefined ? undefined : set.get(preferred, now);
    if (p && this.#o.udp === false && !p.relay) p = undefined;
    const path = p ?? set.pick(now, this.#nodePool(), this.#relays());
    if (!path) return null;
    const nonce = this.#random(NONCE_SIZE);
    if (path.relay !== undefined) {
      const payload = buildOnionPacketTcp(path.path, dest, req, nonce);
      this.#out.push({
        to: "relay",
        relay: path.relay,
        data: concat(new Uint8Array([TCP_ONION_REQUEST_ID]), payload),
      });
    } else {
      const data = buildOnionPacket(path.path, dest, req, nonce);
      this.#out.push({ to: "udp", addr: path.path.nodes[0].addr, data });
    }
    set.used(path, now);
    return path;
  }

  #announce(
    friend: Friend | undefined,
    node: { publicKey: Uint8Array; addr: Addr },
    pingId: Uint8Array,
    preferredPath: number | undefined,
    now: number,
  ): boolean {
    const sendback = this.#random(SENDBACK_SIZE);
    const req = buildAnnounceRequest({
      destPublicKey: node.publicKey,
      sender: friend ? friend.temp : this.#o.realKeyPair,
      pingId,
      searchedPublicKey: friend ? friend.publicKey : this.#o.realKeyPair.publicKey,
      dataPublicKey: friend ? ZERO_KEY : this.dataKeyPair.publicKey,
      sendback,
      nonce: this.#random(NONCE_SIZE),
    });
    const set = friend ? this.#friendPaths : this.#selfPaths;
    const path = this.#send(set, preferredPath, node.addr, req, now);
    if (!path) return false;
    this.#pending.set(toHex(sendback), {
      friend,
      nodePublicKey: node.publicKey,
      addr: node.addr,
      pathId: path.id,
      sentAt: now,
    });
    (friend ? friend.recent : this.#selfRecent).set(toHex(node.publicKey), now);
    this.stats.announcesSent++;
    return true;
  }

  /** Pings due list nodes and, while the list is short, asks fresh nodes (ping id zero). */
  #maintain(list: AnnounceList, friend: Friend | undefined, now: number): void {
    const t = this.timings;
    for (const n of list.entries) {
      const settled = friend ? friend.dataPublicKey !== undefined : n.isStored === IS_STORED.YOU;
      const interval = settled ? t.nodePingIntervalMs : t.notAnnouncedIntervalMs;
      if (n.lastPinged !== undefined && now - n.lastPinged < interval) continue;
      // Searches always carry a zero ping id: a valid one would make the node store the
      // searcher instead of answering with the friend's entry (c-toxcore does the same).
      if (this.#announce(friend, n, friend ? ZERO_PING : n.pingId, n.pathId, now)) {
        n.lastPinged = now;
        n.pingsSinceResponse++;
      }
    }
    const last = friend ? friend.lastRefill : this.#selfRefill;
    if (list.full || (last !== undefined && now - last < t.notAnnouncedIntervalMs)) return;
    if (friend) friend.lastRefill = now;
    else this.#selfRefill = now;
    const pool = this.#nodePool().filter((n) => list.wouldAdd(n.publicKey));
    for (let i = 0; i < t.bootstrapFanout && pool.length > 0; i++) {
      const n = pool.splice(randomInt(this.#random, pool.length), 1)[0]!;
      this.#announce(friend, n, ZERO_PING, undefined, now);
    }
  }

  #onAnnounceResponse(data: Uint8Array, now: number): void {
    const key = toHex(data.subarray(1, 1 + SENDBACK_SIZE));
    const p = this.#pending.get(key);
    if (!p || data.length < 1 + SENDBACK_SIZE) {
      this.stats.dropped++;
      return;
    }
    const f = p.friend;
    const opened = openAnnounceResponse(
      data,
      p.nodePublicKey,
      f ? f.temp.secretKey : this.#o.realKeyPair.secretKey,
    );
    if (!opened) {
      this.stats.dropped++;
      return;
    }
    this.#pending.delete(key);
    this.stats.announceResponses++;
    this.#lastResponse = now;
    const set = f ? this.#friendPaths : this.#selfPaths;
    set.answered(p.pathId, now);
    const list = f ? f.list : this.#self;
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
          if (this.#announce(undefined, entry, entry.pingId, entry.pathId, now)) {
            entry.lastPinged = now;
          }
        }
      }
    }
    if (!f && r.isStored === IS_STORED.YOU && !this.#announced) {
      this.#announced = true;
      this.#events.push({ type: "announced", nodes: this.storedOn });
    }
    if (f && r.isStored === IS_STORED.FOUND) this.#found(f, r.dataPublicKey, now);
    this.#askCloser(list, f, r.nodes, now);
  }

  #found(f: Friend, dataPublicKey: Uint8Array, now: number): void {
    if (f.dataPublicKey && keyEquals(f.dataPublicKey, dataPublicKey)) return;
    f.dataPublicKey = dataPublicKey.slice();
    f.lastDhtPkOnion = undefined;
    this.#events.push({ type: "peer_found", publicKey: f.publicKey, dataPublicKey });
    const queued = f.queued.splice(0);
    for (const q of queued) if (this.sendData(f.publicKey, q, now) === 0) f.queued.push(q);
  }

  #askCloser(
    list: AnnounceList,
    f: Friend | undefined,
    nodes: readonly { publicKey: Uint8Array; addr: Addr; tcp?: boolean }[],
    now: number,
  ): void {
    const recent = f ? f.recent : this.#selfRecent;
    for (const [k, at] of recent) {
      if (now - at >= this.timings.requestTimeoutMs) recent.delete(k);
    }
    for (const n of nodes) {
      if (n.tcp) continue;
      this.#learn(n);
      if (keyEquals(n.publicKey, this.#o.dhtKeyPair.publicKey)) continue;
      if (!list.wouldAdd(n.publicKey) || recent.has(toHex(n.publicKey))) continue;
      this.#announce(f, n, ZERO_PING, undefined, now);
    }
  }

  #learn(n: PathNode): void {
    if (this.#learned.some((l) => keyEquals(l.publicKey, n.publicKey))) return;
    this.#learned.push({ publicKey: n.publicKey, addr: n.addr });
    if (this.#learned.length > this.timings.maxPathNodes) this.#learned.shift();
  }

  #onDataResponse(data: Uint8Array, now: number): void {
    const opened = openDataResponse(data, this.dataKeyPair.secretKey);
    const inner = opened &&
      openOnionDataInner(opened.plain, this.#o.realKeyPair.secretKey, opened.nonce);
    if (!inner) {
      this.stats.dropped++;
      return;
    }
    this.stats.dataReceived++;
    this.#lastResponse = now;
    const { sender, payload } = inner;
    const id = payload[0]!;
    if (id === DHTPK_ID) {
      let packet;
      try {
        packet = decodeDhtPk(payload);
      } catch {
        this.stats.dropped++;
        return;
      }
      this.#acceptDhtPk(sender, packet, "onion");
    } else if (id === FRIEND_REQUEST_ID) {
      let req;
      try {
        req = decodeFriendRequest(payload);
      } catch {
        this.stats.dropped++;
        return;
      }
      if (this.#requests.check(sender, req) !== "accept") {
        this.stats.dropped++;
        return;
      }
      this.#events.push({ type: "friend_request", publicKey: sender, message: req.message });
    } else {
      this.#events.push({ type: "data", publicKey: sender, id, data: payload.slice(1) });
    }
  }

  #acceptDhtPk(
    sender: Uint8Array,
    packet: ReturnType<typeof decodeDhtPk>,
    via: "onion" | "dht",
  ): void {
    const f = this.#friends.get(toHex(sender));
    if (!f) {
      this.stats.dropped++;
      return;
    }
    if (!this.#replay.accept(sender, packet.noReplay)) {
      this.stats.replays++;
      return;
    }
    f.dhtPublicKey = packet.dhtPublicKey;
    this.#events.push({
      type: "dhtpk",
      publicKey: f.publicKey,
      dhtPublicKey: packet.dhtPublicKey,
      nodes: packet.nodes,
      via,
    });
  }

  #noReplay(now: number): bigint {
    const want = this.#o.noReplay ? this.#o.noReplay(now) : BigInt(Math.floor(now / 1000));
    this.#lastNoReplay = want > this.#lastNoReplay ? want : this.#lastNoReplay + 1n;
    return this.#lastNoReplay;
  }

  #dhtPkPacket(now: number): Uint8Array {
    const all = this.#o.dhtPkNodes?.() ?? [];
    const relays = all.filter((n) => n.tcp).slice(0, 2);
    const udp = all.filter((n) => !n.tcp).slice(0, DHTPK_MAX_NODES - relays.length);
    return encodeDhtPk({
      noReplay: this.#noReplay(now),
      dhtPublicKey: this.#o.dhtKeyPair.publicKey,
      nodes: [...relays, ...udp],
    });
  }

  /** DHT-PK to a friend that is not connected: via the onion every 30 s, via the DHT every 20 s. */
  #dhtPk(f: Friend, now: number): void {
    if (f.connected) return;
    const t = this.timings;
    if (
      f.dataPublicKey &&
      (f.lastDhtPkOnion === undefined || now - f.lastDhtPkOnion >= t.dhtPkOnionIntervalMs)
    ) {
      if (this.sendData(f.publicKey, this.#dhtPkPacket(now), now) > 0) f.lastDhtPkOnion = now;
    }
    if (
      f.dhtPublicKey &&
      (f.lastDhtPkDht === undefined || now - f.lastDhtPkDht >= t.dhtPkDhtIntervalMs)
    ) {
      f.lastDhtPkDht = now;
      this.#out.push({
        to: "dht",
        receiver: f.dhtPublicKey,
        requestId: DHTPK_ID,
        data: sealDhtPkForDht(
          this.#dhtPkPacket(now),
          this.#o.realKeyPair,
          f.publicKey,
          this.#random(NONCE_SIZE),
        ),
      });
    }
  }
}
