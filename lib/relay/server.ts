/**
 * The relay server's protocol core, without sockets or timers: handshakes, the encrypted
 * framing, routes, keep-alive and c-toxcore 0.2.18's reactions to misuse (TCP_server.c),
 * plus the hardening a public relay needs (handshake deadline, per-IP caps, bounded send
 * queues, a rate limit).
 *
 * A driver numbers each accepted socket through {@link RelayServer.accept}, feeds bytes to
 * {@link RelayServer.receive}, writes what {@link RelayServer.takeOutput} returns, closes what
 * {@link RelayServer.pollClosed} names, and calls {@link RelayServer.handleTimeout} at
 * {@link RelayServer.nextTimeout}.
 *
 * @example
 * ```ts
 * import { backend } from "../crypto/mod.ts";
 * import { RelayServer } from "./server.ts";
 * const s = new RelayServer({ keyPair: backend().keyPair() });
 * const id = s.accept({ hostname: "127.0.0.1", port: 5000 }, 0)!;
 * s.receive(id, new Uint8Array(128), 0); // not a valid handshake
 * console.assert(s.pollClosed()[0]?.reason === "bad_handshake");
 * ```
 * @module
 */
import { backend, type CryptoBackend } from "../crypto/mod.ts";
import type { Addr } from "../net/addr.ts";
import { toHex } from "../util/bytes.ts";
import { WireError } from "../util/wire_error.ts";
import {
  CLIENT_HANDSHAKE_SIZE,
  MAX_PLAINTEXT_SIZE,
  MIN_ONION_REQUEST_EXCLUSIVE,
  NUM_CLIENT_CONNECTIONS,
  NUM_RESERVED_PORTS,
  PACKET_ID,
  PING_ID_SIZE,
  PING_INTERVAL_MS,
  PING_TIMEOUT_MS,
} from "./constants.ts";
import { FrameCodec, FrameReader } from "./framing.ts";
import { acceptClientHandshake } from "./handshake.ts";
import { TokenBucket } from "./rate.ts";

/**
 * Bytes of rate limit a routing request, out-of-band send, onion request or forward request
 * costs on top of its size: at the default 1 MiB/s, 128 of them a second per client.
 *
 * @example
 * ```ts
 * import { CONTROL_PACKET_COST } from "./server.ts";
 * console.assert((1024 * 1024) / CONTROL_PACKET_COST === 128);
 * ```
 */
export const CONTROL_PACKET_COST = 8192;
const COSTLY_CONTROL: ReadonlySet<number> = new Set([
  PACKET_ID.ROUTING_REQUEST,
  PACKET_ID.OOB_SEND,
  PACKET_ID.ONION_REQUEST,
  PACKET_ID.FORWARD_REQUEST,
]);
import { decodePacket, encodePacket, type RelayPacket } from "./wire.ts";
import {
  DROP_REASONS,
  KILL_REASONS,
  type KillReason,
  type RelayServerOptions,
  type RelayServerStats,
  zeroCounts,
} from "./server_options.ts";

interface Slot {
  key: Uint8Array;
  hex: string;
  online: boolean;
  other: Conn | null;
  otherSlot: number;
}

interface Conn {
  id: number;
  ip: string;
  state: "handshake" | "unconfirmed" | "confirmed";
  opened: number;
  hs: Uint8Array | null;
  hsLen: number;
  reader: FrameReader;
  codec: FrameCodec | null;
  key: Uint8Array | null;
  hex: string;
  slots: (Slot | null)[] | null;
  slotCount: number;
  lastPinged: number;
  pingId: Uint8Array | null;
  out: Uint8Array[];
  outBytes: number;
  fullSince: number | null;
  bucket: TokenBucket | null;
}

const TICK_MS = 1000;

/**
 * The relay server core.
 *
 * @example
 * ```ts
 * import { backend } from "../crypto/mod.ts";
 * import { RelayServer } from "./server.ts";
 * const s = new RelayServer({ keyPair: backend().keyPair(), rateBytesPerSecond: 0 });
 * s.accept({ hostname: "127.0.0.1", port: 1 }, 0);
 * console.assert(s.stats().pending === 1);
 * ```
 */
export class RelayServer {
  readonly #o: Required<
    Omit<
      RelayServerOptions,
      "onOnionRequest" | "onForwardRequest" | "onOobToSelf" | "crypto" | "random"
    >
  >;
  readonly #crypto: CryptoBackend;
  readonly #random: (n: number) => Uint8Array;
  readonly #onion?: RelayServerOptions["onOnionRequest"];
  readonly #oobSelf?: RelayServerOptions["onOobToSelf"];
  readonly #forward?: RelayServerOptions["onForwardRequest"];
  readonly #conns = new Map<number, Conn>();
  readonly #pending = new Map<number, Conn>(); // insertion order = age
  readonly #pendingPerIp = new Map<string, number>();
  readonly #clientsPerIp = new Map<string, number>();
  readonly #byKey = new Map<string, Conn>();
  readonly #dirty = new Set<number>();
  #closed: { id: number; reason: KillReason }[] = [];
  #nextId = 1;
  #lastTick = -Infinity;
  #now = 0;
  #routes = 0;
  #onlineRoutes = 0;
  #bytesRelayed = 0;
  #packetsRelayed = 0;
  #accepted = 0;
  readonly #scratch = new Uint8Array(MAX_PLAINTEXT_SIZE);
  readonly #drops = zeroCounts(DROP_REASONS);
  readonly #kills = zeroCounts(KILL_REASONS);

  /**
   * A server core with no connections yet.
   *
   * @param opts key pair, limits and optional onion/forwarding handlers
   */
  constructor(opts: RelayServerOptions) {
    this.#o = {
      keyPair: opts.keyPair,
      maxClients: opts.maxClients ?? 10_000,
      maxPending: opts.maxPending ?? 2048,
      maxPendingPerIp: opts.maxPendingPerIp ?? 256,
      maxClientsPerIp: opts.maxClientsPerIp ?? 256,
      handshakeTimeoutMs: opts.handshakeTimeoutMs ?? 10_000,
      rateBytesPerSecond: opts.rateBytesPerSecond ?? 1024 * 1024,
      rateBurstBytes: opts.rateBurstBytes ?? 256 * 1024,
      maxQueueBytes: opts.maxQueueBytes ?? 256 * 1024,
      slowReaderTimeoutMs: opts.slowReaderTimeoutMs ?? 10_000,
      pingIntervalMs: opts.pingIntervalMs ?? PING_INTERVAL_MS,
      pingTimeoutMs: opts.pingTimeoutMs ?? PING_TIMEOUT_MS,
    };
    this.#onion = opts.onOnionRequest;
    this.#forward = opts.onForwardRequest;
    const crypto = this.#crypto = opts.crypto ?? backend();
    this.#random = opts.random ?? ((n) => crypto.randomBytes(n));
    this.#oobSelf = opts.onOobToSelf;
  }

  /** The relay's public key. */
  get publicKey(): Uint8Array {
    return this.#o.keyPair.publicKey;
  }

  /**
   * Registers a new socket from `from` and returns its stable number. Makes room by closing
   * the oldest unfinished handshake (overall, or from the same IP) when a cap is reached.
   */
  accept(from: Addr, now: number): number {
    this.#now = now;
    const id = this.#nextId++;
    const c: Conn = {
      id,
      ip: from.hostname,
      state: "handshake",
      opened: now,
      hs: null,
      hsLen: 0,
      reader: new FrameReader(),
      codec: null,
      key: null,
      hex: "",
      slots: null,
      slotCount: 0,
      lastPinged: now,
      pingId: null,
      out: [],
      outBytes: 0,
      fullSince: null,
      bucket: null,
    };
    this.#accepted++;
    const perIp = this.#pendingPerIp.get(c.ip) ?? 0;
    if (perIp >= this.#o.maxPendingPerIp) {
      for (const p of this.#pending.values()) {
        if (p.ip === c.ip) {
          this.#kill(p, "pending_evicted");
          break;
        }
      }
    }
    if (this.#pending.size >= this.#o.maxPending) {
      const oldest = this.#pending.values().next().value;
      if (oldest) this.#kill(oldest, "pending_evicted");
    }
    this.#conns.set(id, c);
    this.#pending.set(id, c);
    this.#pendingPerIp.set(c.ip, (this.#pendingPerIp.get(c.ip) ?? 0) + 1);
    return id;
  }

  /** Feeds bytes read from connection `id`. Unknown ids are ignored. */
  receive(id: number, bytes: Uint8Array, now: number): void {
    this.#now = now;
    const c = this.#conns.get(id);
    if (!c) return;
    let rest = bytes;
    if (c.state === "handshake") {
      const need = CLIENT_HANDSHAKE_SIZE - c.hsLen;
      c.hs ??= new Uint8Array(CLIENT_HANDSHAKE_SIZE);
      const take = Math.min(need, rest.length);
      c.hs.set(rest.subarray(0, take), c.hsLen);
      c.hsLen += take;
      rest = rest.subarray(take);
      if (c.hsLen < CLIENT_HANDSHAKE_SIZE) return;
      const acc = acceptClientHandshake(this.#o.keyPair, c.hs, {
        crypto: this.#crypto,
        random: this.#random,
      });
      c.hs = null;
      if (!acc) return this.#kill(c, "bad_handshake");
      c.key = acc.clientPublicKey;
      c.codec = new FrameCodec(acc.session, this.#crypto);
      c.state = "unconfirmed";
      this.#queueRaw(c, acc.reply);
      if (rest.length === 0) return;
    }
    let frames: Uint8Array[];
    try {
      frames = c.reader.push(rest);
    } catch (e) {
      if (e instanceof WireError) return this.#kill(c, "bad_frame");
      throw e;
    }
    for (const f of frames) {
      // Every handler copies what it keeps, so all frames share one plaintext buffer.
      const plain = c.codec!.open(f, this.#scratch);
      if (!plain) return this.#kill(c, "bad_frame");
      if (c.state === "unconfirmed" && !this.#confirm(c, now)) return;
      this.#handlePacket(c, plain, now);
      if (!this.#conns.has(c.id)) return;
    }
  }

  /** The driver reports that connection `id` ended (EOF or error). */
  closed(id: number): void {
    const c = this.#conns.get(id);
    if (c) this.#remove(c, "peer_closed");
  }

  /** Bytes to write to `id` (all queued frames, joined), or `null` when nothing is queued. */
  takeOutput(id: number): Uint8Array | null {
    const c = this.#conns.get(id);
    if (!c || c.out.length === 0) return null;
    let out: Uint8Array;
    if (c.out.length === 1) out = c.out[0]!;
    else {
      out = new Uint8Array(c.outBytes);
      let off = 0;
      for (const f of c.out) {
        out.set(f, off);
        off += f.length;
      }
    }
    c.out = [];
    c.outBytes = 0;
    c.fullSince = null;
    return out;
  }

  /** Connections with new output since the last call. */
  pollWritable(): number[] {
    if (this.#dirty.size === 0) return [];
    const ids = [...this.#dirty];
    this.#dirty.clear();
    return ids;
  }

  /** Connections the server closed since the last call, with the reason; close their sockets. */
  pollClosed(): { id: number; reason: KillReason }[] {
    const out = this.#closed;
    this.#closed = [];
    return out;
  }

  /** How long the driver should wait before reading more from `id` (rate limit). */
  readPauseMs(id: number, now: number): number {
    return this.#conns.get(id)?.bucket?.pauseMs(now) ?? 0;
  }

  /**
   * Sends a plaintext packet (starting with its id, e.g. 9 for onion responses) to a confirmed
   * connection. Returns false when the connection is gone or its queue is full. `now`
   * (default: the time of the last call that had one) starts the slow-reader grace period
   * when the queue is full.
   */
  sendPacket(id: number, plaintext: Uint8Array, now: number = this.#now): boolean {
    this.#now = now;
    const c = this.#conns.get(id);
    if (!c || c.state !== "confirmed") return false;
    return this.#write(c, plaintext, false, now);
  }

  /**
   * Sends an out-of-band packet from the relay's own key to the client with `key` (punch
   * coordination). Returns false when no such client is connected or its queue is full.
   */
  sendOobFromSelf(key: Uint8Array, data: Uint8Array): boolean {
    const c = this.#byKey.get(toHex(key));
    if (!c) return false;
    const out = encodePacket({ type: "oobRecv", publicKey: this.#o.keyPair.publicKey, data });
    return this.#write(c, out, false, this.#now);
  }

  /** True while a client with `key` is connected. */
  hasClient(key: Uint8Array): boolean {
    return this.#byKey.has(toHex(key));
  }

  /** True while `id` is a confirmed connection. */
  isConfirmed(id: number): boolean {
    return this.#conns.get(id)?.state === "confirmed";
  }

  /** Time at which {@link handleTimeout} should run next. */
  nextTimeout(): number {
    return this.#lastTick === -Infinity ? 0 : this.#lastTick + TICK_MS;
  }

  /** Handshake deadlines, keep-alive pings and their timeouts, slow readers. */
  handleTimeout(now: number): void {
    this.#now = now;
    if (now < this.#lastTick + TICK_MS) return;
    this.#lastTick = now;
    for (const c of [...this.#conns.values()]) {
      if (c.state !== "confirmed") {
        if (now - c.opened >= this.#o.handshakeTimeoutMs) this.#kill(c, "handshake_timeout");
        continue;
      }
      if (c.fullSince !== null && now - c.fullSince >= this.#o.slowReaderTimeoutMs) {
        this.#kill(c, "slow_reader");
        continue;
      }
      if (c.pingId && now - c.lastPinged >= this.#o.pingTimeoutMs) {
        this.#kill(c, "ping_timeout");
        continue;
      }
      if (now - c.lastPinged >= this.#o.pingIntervalMs) {
        const id = this.#random(PING_ID_SIZE).slice();
        if (id.every((b) => b === 0)) id[7] = 1;
        this.#write(c, encodePacket({ type: "ping", pingId: id }), true, now);
        c.pingId = id;
        c.lastPinged = now;
      }
    }
  }

  /** Closes every connection (reason `shutdown`). */
  closeAll(): void {
    for (const c of [...this.#conns.values()]) this.#kill(c, "shutdown");
  }

  /** Current counters. */
  stats(): RelayServerStats {
    return {
      clients: this.#byKey.size,
      pending: this.#pending.size,
      routes: this.#routes,
      onlineRoutes: this.#onlineRoutes,
      bytesRelayed: this.#bytesRelayed,
      packetsRelayed: this.#packetsRelayed,
      drops: { ...this.#drops },
      kills: { ...this.#kills },
      accepted: this.#accepted,
    };
  }

  #confirm(c: Conn, now: number): boolean {
    this.#leavePending(c);
    const hex = toHex(c.key!);
    const old = this.#byKey.get(hex);
    if (old) this.#kill(old, "replaced");
    if (this.#byKey.size >= this.#o.maxClients) {
      this.#kill(c, "max_clients");
      return false;
    }
    const perIp = this.#clientsPerIp.get(c.ip) ?? 0;
    if (this.#o.maxClientsPerIp > 0 && perIp >= this.#o.maxClientsPerIp) {
      this.#kill(c, "per_ip_limit");
      return false;
    }
    this.#clientsPerIp.set(c.ip, perIp + 1);
    c.state = "confirmed";
    c.hex = hex;
    c.lastPinged = now;
    this.#byKey.set(hex, c);
    if (this.#o.rateBytesPerSecond > 0) {
      c.bucket = new TokenBucket(this.#o.rateBytesPerSecond, this.#o.rateBurstBytes, now);
    }
    return true;
  }

  #handlePacket(c: Conn, plain: Uint8Array, now: number): void {
    const id = plain[0]!;
    if (id >= NUM_RESERVED_PORTS) return this.#handleData(c, plain, now);
    // Control packets make the relay answer, route or send a UDP datagram (onion requests):
    // all of them count against the rate limit, out-of-band packets by their payload below.
    if (id !== PACKET_ID.OOB_SEND) c.bucket?.spend(plain.length, now);
    // Those that make the relay route, send out of band or send a datagram for the client
    // count extra, so a flood of them pauses the client's reads long before it can starve
    // other clients or the node's UDP side.
    if (COSTLY_CONTROL.has(id)) c.bucket?.spend(CONTROL_PACKET_COST, now);
    if (id === PACKET_ID.CONNECT_NOTIFICATION && plain.length === 2) return;
    let p: RelayPacket;
    try {
      p = decodePacket(plain);
    } catch (e) {
      if (e instanceof WireError) return this.#kill(c, "malformed");
      throw e;
    }
    switch (p.type) {
      case "routingRequest":
        return this.#routingRequest(c, p.publicKey, now);
      case "disconnectNotification": {
        const slot = p.connId - NUM_RESERVED_PORTS;
        if (slot >= NUM_CLIENT_CONNECTIONS || !c.slots?.[slot]) return this.#kill(c, "misuse");
        return this.#freeSlot(c, slot, now);
      }
      case "ping":
        this.#write(c, encodePacket({ type: "pong", pingId: p.pingId }), true, now);
        return;
      case "pong":
        if (p.pingId.every((b) => b === 0)) return this.#kill(c, "misuse");
        if (c.pingId && p.pingId.every((b, i) => b === c.pingId![i])) c.pingId = null;
        return;
      case "oobSend": {
        c.bucket?.spend(p.data.length, now);
        if (this.#oobSelf && toHex(p.publicKey) === toHex(this.#o.keyPair.publicKey)) {
          return this.#oobSelf(c.key!, p.data.slice(), now); // punch coordination
        }
        const dest = this.#byKey.get(toHex(p.publicKey));
        if (!dest) {
          this.#drops.no_route++;
          return;
        }
        const out = encodePacket({ type: "oobRecv", publicKey: c.key!, data: p.data });
        if (this.#write(dest, out, false, now)) this.#relayed(p.data.length);
        return;
      }
      case "onionRequest":
        if (!this.#onion) {
          this.#drops.no_onion++;
          return;
        }
        if (plain.length <= MIN_ONION_REQUEST_EXCLUSIVE) return this.#kill(c, "misuse");
        this.#onion(plain.slice(1), c.id, now);
        return;
      case "forwardRequest":
        if (!this.#forward) {
          this.#drops.no_forwarding++;
          return;
        }
        this.#forward(p.addr, p.data.slice(), c.id, now);
        return;
      default: // routing response, connect notification of a wrong size, oob recv, onion
        // response, forwarding: server-to-client packets sent by a client
        return this.#kill(c, "misuse");
    }
  }

  #handleData(c: Conn, plain: Uint8Array, now: number): void {
    const slot = c.slots?.[plain[0]! - NUM_RESERVED_PORTS];
    if (!slot) return this.#kill(c, "misuse");
    c.bucket?.spend(plain.length - 1, now);
    if (!slot.online || !slot.other) {
      this.#drops.not_online++;
      return;
    }
    plain[0] = slot.otherSlot + NUM_RESERVED_PORTS;
    if (this.#write(slot.other, plain, false, now)) this.#relayed(plain.length - 1);
  }

  #relayed(n: number): void {
    this.#bytesRelayed += n;
    this.#packetsRelayed++;
  }

  #routingRequest(c: Conn, key: Uint8Array, now: number): void {
    const respond = (connId: number) =>
      this.#write(
        c,
        encodePacket({ type: "routingResponse", connId, publicKey: key }),
        true,
        now,
      );
    const hex = toHex(key);
    if (hex === c.hex) return void respond(0);
    c.slots ??= new Array<Slot | null>(NUM_CLIENT_CONNECTIONS).fill(null);
    let free = -1;
    for (let i = 0; i < NUM_CLIENT_CONNECTIONS; i++) {
      const s = c.slots[i];
      if (s) {
        if (s.hex === hex) return void respond(i + NUM_RESERVED_PORTS);
      } else if (free === -1) free = i;
    }
    if (free === -1) return void respond(0);
    respond(free + NUM_RESERVED_PORTS);
    if (!this.#conns.has(c.id)) return;
    const slot: Slot = { key: key.slice(), hex, online: false, other: null, otherSlot: 0 };
    c.slots[free] = slot;
    c.slotCount++;
    this.#routes++;
    const other = this.#byKey.get(hex);
    if (!other?.slots) return;
    for (let j = 0; j < NUM_CLIENT_CONNECTIONS; j++) {
      const os = other.slots[j];
      if (os && !os.online && os.hex === c.hex) {
        slot.online = os.online = true;
        slot.other = other;
        slot.otherSlot = j;
        os.other = c;
        os.otherSlot = free;
        this.#onlineRoutes += 2;
        const cn = (connId: number) => encodePacket({ type: "connectNotification", connId });
        this.#write(c, cn(free + NUM_RESERVED_PORTS), true, now);
        this.#write(other, cn(j + NUM_RESERVED_PORTS), true, now);
        return;
      }
    }
  }

  #freeSlot(c: Conn, i: number, now: number): void {
    const s = c.slots![i]!;
    if (s.online && s.other) {
      const os = s.other.slots?.[s.otherSlot];
      if (os) {
        os.online = false;
        os.other = null;
        os.otherSlot = 0;
        this.#onlineRoutes -= 2;
        this.#write(
          s.other,
          encodePacket({
            type: "disconnectNotification",
            connId: s.otherSlot + NUM_RESERVED_PORTS,
          }),
          true,
          now,
        );
      }
    }
    c.slots![i] = null;
    c.slotCount--;
    this.#routes--;
  }

  #queueRaw(c: Conn, bytes: Uint8Array): void {
    c.out.push(bytes);
    c.outBytes += bytes.length;
    this.#dirty.add(c.id);
  }

  /** Queues a packet; non-priority packets are dropped while the queue is full. */
  #write(c: Conn, plain: Uint8Array, priority: boolean, now: number): boolean {
    if (!this.#conns.has(c.id) || !c.codec) return false;
    if (c.outBytes >= this.#o.maxQueueBytes) {
      c.fullSince ??= now;
      if (!priority) {
        this.#drops.queue_full++;
        return false;
      }
      if (c.outBytes >= 4 * this.#o.maxQueueBytes) {
        this.#kill(c, "slow_reader");
        return false;
      }
    }
    this.#queueRaw(c, c.codec.seal(plain));
    return true;
  }

  #leavePending(c: Conn): void {
    if (!this.#pending.delete(c.id)) return;
    const n = (this.#pendingPerIp.get(c.ip) ?? 1) - 1;
    if (n <= 0) this.#pendingPerIp.delete(c.ip);
    else this.#pendingPerIp.set(c.ip, n);
  }

  #kill(c: Conn, reason: KillReason): void {
    if (!this.#conns.has(c.id)) return;
    this.#remove(c, reason);
    this.#closed.push({ id: c.id, reason });
  }

  #remove(c: Conn, reason: KillReason): void {
    if (!this.#conns.delete(c.id)) return;
    this.#kills[reason]++;
    this.#leavePending(c);
    this.#dirty.delete(c.id);
    if (c.state === "confirmed") {
      if (this.#byKey.get(c.hex) === c) this.#byKey.delete(c.hex);
      const n = (this.#clientsPerIp.get(c.ip) ?? 1) - 1;
      if (n <= 0) this.#clientsPerIp.delete(c.ip);
      else this.#clientsPerIp.set(c.ip, n);
      if (c.slots) {
        for (let i = 0; i < NUM_CLIENT_CONNECTIONS; i++) {
          if (c.slots[i]) this.#freeSlot(c, i, this.#now);
        }
      }
    }
    c.out = [];
    c.outBytes = 0;
  }
}
