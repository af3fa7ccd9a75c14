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
 * The parts: `server_state.ts` (tables, counters, queueing and closing), `server_conn.ts`
 * (one connection), `server_packets.ts` (each client packet), `server_routes.ts` (routes).
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
import type { Addr } from "../net/addr.ts";
import { toHex } from "../util/bytes.ts";
import { WireError } from "../util/wire_error.ts";
import { CLIENT_HANDSHAKE_SIZE, PING_ID_SIZE } from "./constants.ts";
import { FrameCodec } from "./framing.ts";
import { acceptClientHandshake } from "./handshake.ts";
import { TokenBucket } from "./rate.ts";
import { type Conn, newConn, takeQueued } from "./server_conn.ts";
import { handleClientPacket } from "./server_packets.ts";
import { ServerState } from "./server_state.ts";
import { encodePacket } from "./wire.ts";
import type { KillReason, RelayServerOptions, RelayServerStats } from "./server_options.ts";
export { CONTROL_PACKET_COST } from "./server_packets.ts";

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
  readonly #st: ServerState;
  #nextId = 1;
  #lastTick = -Infinity;

  /**
   * A server core with no connections yet.
   *
   * @param opts key pair, limits and optional onion/forwarding handlers
   */
  constructor(opts: RelayServerOptions) {
    this.#st = new ServerState(opts);
  }

  /** The relay's public key. */
  get publicKey(): Uint8Array {
    return this.#st.o.keyPair.publicKey;
  }

  /**
   * Registers a new socket from `from` and returns its stable number. Makes room by closing
   * the oldest unfinished handshake (overall, or from the same IP) when a cap is reached.
   */
  accept(from: Addr, now: number): number {
    const st = this.#st;
    st.now = now;
    const id = this.#nextId++;
    const c = newConn(id, from, now);
    st.accepted++;
    const perIp = st.pendingPerIp.get(c.ip) ?? 0;
    if (perIp >= st.o.maxPendingPerIp) {
      for (const p of st.pending.values()) {
        if (p.ip === c.ip) {
          st.kill(p, "pending_evicted");
          break;
        }
      }
    }
    if (st.pending.size >= st.o.maxPending) {
      const oldest = st.pending.values().next().value;
      if (oldest) st.kill(oldest, "pending_evicted");
    }
    st.conns.set(id, c);
    st.pending.set(id, c);
    st.pendingPerIp.set(c.ip, (st.pendingPerIp.get(c.ip) ?? 0) + 1);
    return id;
  }

  /** Feeds bytes read from connection `id`. Unknown ids are ignored. */
  receive(id: number, bytes: Uint8Array, now: number): void {
    const st = this.#st;
    st.now = now;
    const c = st.conns.get(id);
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
      const acc = acceptClientHandshake(st.o.keyPair, c.hs, {
        crypto: st.crypto,
        random: st.random,
      });
      c.hs = null;
      if (!acc) return st.kill(c, "bad_handshake");
      c.key = acc.clientPublicKey;
      c.codec = new FrameCodec(acc.session, st.crypto);
      c.state = "unconfirmed";
      st.queueRaw(c, acc.reply);
      if (rest.length === 0) return;
    }
    let frames: Uint8Array[];
    try {
      frames = c.reader.push(rest);
    } catch (e) {
      if (e instanceof WireError) return st.kill(c, "bad_frame");
      throw e;
    }
    for (const f of frames) {
      // Every handler copies what it keeps, so all frames share one plaintext buffer.
      const plain = c.codec!.open(f, st.scratch);
      if (!plain) return st.kill(c, "bad_frame");
      if (c.state === "unconfirmed" && !this.#confirm(c, now)) return;
      handleClientPacket(st, c, plain, now);
      if (!st.conns.has(c.id)) return;
    }
  }

  /** The driver reports that connection `id` ended (EOF or error). */
  closed(id: number): void {
    const c = this.#st.conns.get(id);
    if (c) this.#st.remove(c, "peer_closed");
  }

  /** Bytes to write to `id` (all queued frames, joined), or `null` when nothing is queued. */
  takeOutput(id: number): Uint8Array | null {
    const c = this.#st.conns.get(id);
    return c ? takeQueued(c) : null;
  }

  /** Connections with new output since the last call. */
  pollWritable(): number[] {
    const dirty = this.#st.dirty;
    if (dirty.size === 0) return [];
    const ids = [...dirty];
    dirty.clear();
    return ids;
  }

  /** Connections the server closed since the last call, with the reason; close their sockets. */
  pollClosed(): { id: number; reason: KillReason }[] {
    const out = this.#st.closed;
    this.#st.closed = [];
    return out;
  }

  /** How long the driver should wait before reading more from `id` (rate limit). */
  readPauseMs(id: number, now: number): number {
    return this.#st.conns.get(id)?.bucket?.pauseMs(now) ?? 0;
  }

  /**
   * Sends a plaintext packet (starting with its id, e.g. 9 for onion responses) to a confirmed
   * connection. Returns false when the connection is gone or its queue is full. `now`
   * (default: the time of the last call that had one) starts the slow-reader grace period
   * when the queue is full.
   */
  sendPacket(id: number, plaintext: Uint8Array, now: number = this.#st.now): boolean {
    const st = this.#st;
    st.now = now;
    const c = st.conns.get(id);
    if (!c || c.state !== "confirmed") return false;
    return st.write(c, plaintext, false, now);
  }

  /**
   * Sends an out-of-band packet from the relay's own key to the client with `key` (punch
   * coordination). Returns false when no such client is connected or its queue is full.
   */
  sendOobFromSelf(key: Uint8Array, data: Uint8Array): boolean {
    const st = this.#st;
    const c = st.byKey.get(toHex(key));
    if (!c) return false;
    const out = encodePacket({ type: "oobRecv", publicKey: st.o.keyPair.publicKey, data });
    return st.write(c, out, false, st.now);
  }

  /** True while a client with `key` is connected. */
  hasClient(key: Uint8Array): boolean {
    return this.#st.byKey.has(toHex(key));
  }

  /** True while `id` is a confirmed connection. */
  isConfirmed(id: number): boolean {
    return this.#st.conns.get(id)?.state === "confirmed";
  }

  /** Time at which {@link handleTimeout} should run next. */
  nextTimeout(): number {
    return this.#lastTick === -Infinity ? 0 : this.#lastTick + TICK_MS;
  }

  /** Handshake deadlines, keep-alive pings and their timeouts, slow readers. */
  handleTimeout(now: number): void {
    const st = this.#st;
    st.now = now;
    if (now < this.#lastTick + TICK_MS) return;
    this.#lastTick = now;
    const o = st.o;
    for (const c of [...st.conns.values()]) {
      if (c.state !== "confirmed") {
        if (now - c.opened >= o.handshakeTimeoutMs) st.kill(c, "handshake_timeout");
        continue;
      }
      if (c.fullSince !== null && now - c.fullSince >= o.slowReaderTimeoutMs) {
        st.kill(c, "slow_reader");
        continue;
      }
      if (c.pingId && now - c.lastPinged >= o.pingTimeoutMs) {
        st.kill(c, "ping_timeout");
        continue;
      }
      if (now - c.lastPinged >= o.pingIntervalMs) {
        const id = st.random(PING_ID_SIZE).slice();
        if (id.every((b) => b === 0)) id[7] = 1;
        st.write(c, encodePacket({ type: "ping", pingId: id }), true, now);
        c.pingId = id;
        c.lastPinged = now;
      }
    }
  }

  /** Closes every connection (reason `shutdown`). */
  closeAll(): void {
    for (const c of [...this.#st.conns.values()]) this.#st.kill(c, "shutdown");
  }

  /** Current counters. */
  stats(): RelayServerStats {
    return this.#st.stats();
  }

  /** A finished handshake's first packet: the client counts against the caps from now on. */
  #confirm(c: Conn, now: number): boolean {
    const st = this.#st;
    st.leavePending(c);
    const hex = toHex(c.key!);
    const old = st.byKey.get(hex);
    if (old) st.kill(old, "replaced");
    if (st.byKey.size >= st.o.maxClients) {
      st.kill(c, "max_clients");
      return false;
    }
    const perIp = st.clientsPerIp.get(c.ip) ?? 0;
    if (st.o.maxClientsPerIp > 0 && perIp >= st.o.maxClientsPerIp) {
      st.kill(c, "per_ip_limit");
      return false;
    }
    st.clientsPerIp.set(c.ip, perIp + 1);
    c.state = "confirmed";
    c.hex = hex;
    c.lastPinged = now;
    st.byKey.set(hex, c);
    if (st.o.rateBytesPerSecond > 0) {
      c.bucket = new TokenBucket(st.o.rateBytesPerSecond, st.o.rateBurstBytes, now);
    }
    return true;
  }
}
