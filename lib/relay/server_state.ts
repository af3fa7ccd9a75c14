/**
 * The state the relay server core shares between its parts: resolved options, the
 * connection tables, counters, and the primitives every part uses to queue a frame for a
 * client or close it ({@link ServerState.write}, {@link ServerState.kill}).
 *
 * @example
 * ```ts
 * import { backend } from "../crypto/mod.ts";
 * import { ServerState } from "./server_state.ts";
 * const st = new ServerState({ keyPair: backend().keyPair() });
 * console.assert(st.o.maxClients === 10_000 && st.stats().clients === 0);
 * ```
 * @module
 */
import { backend, type CryptoBackend } from "../crypto/mod.ts";
import {
  MAX_PLAINTEXT_SIZE,
  NUM_CLIENT_CONNECTIONS,
  PING_INTERVAL_MS,
  PING_TIMEOUT_MS,
} from "./constants.ts";
import type { Conn } from "./server_conn.ts";
import { freeSlot } from "./server_routes.ts";
import {
  DROP_REASONS,
  KILL_REASONS,
  type KillReason,
  type RelayServerOptions,
  type RelayServerStats,
  zeroCounts,
} from "./server_options.ts";

/** {@link RelayServerOptions} with every limit filled in. */
export type ResolvedServerOptions = Required<
  Omit<
    RelayServerOptions,
    "onOnionRequest" | "onForwardRequest" | "onOobToSelf" | "crypto" | "random"
  >
>;

/**
 * The limits of `opts` with their defaults.
 *
 * @example
 * ```ts
 * import { backend } from "../crypto/mod.ts";
 * import { resolveServerOptions } from "./server_state.ts";
 * const o = resolveServerOptions({ keyPair: backend().keyPair(), maxPending: 4 });
 * console.assert(o.maxPending === 4 && o.maxPendingPerIp === 256);
 * ```
 */
export function resolveServerOptions(opts: RelayServerOptions): ResolvedServerOptions {
  return {
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
}

/**
 * Tables, counters and queue/close primitives of one relay server core.
 *
 * @example
 * ```ts
 * import { backend } from "../crypto/mod.ts";
 * import { newConn } from "./server_conn.ts";
 * import { ServerState } from "./server_state.ts";
 * const st = new ServerState({ keyPair: backend().keyPair() });
 * const c = newConn(1, { hostname: "127.0.0.1", port: 1 }, 0);
 * st.conns.set(1, c);
 * st.kill(c, "misuse");
 * console.assert(st.closed[0]?.reason === "misuse" && st.kills.misuse === 1);
 * ```
 */
export class ServerState {
  /** Limits. */
  readonly o: ResolvedServerOptions;
  /** Crypto backend of handshakes and frames. */
  readonly crypto: CryptoBackend;
  /** Random bytes for handshakes and ping ids. */
  readonly random: (n: number) => Uint8Array;
  /** Onion request handler, when the server has one. */
  readonly onion?: RelayServerOptions["onOnionRequest"];
  /** Handler of out-of-band packets to the relay's own key. */
  readonly oobSelf?: RelayServerOptions["onOobToSelf"];
  /** Forward request handler. */
  readonly forward?: RelayServerOptions["onForwardRequest"];
  /** Every open connection by id. */
  readonly conns = new Map<number, Conn>();
  /** Unfinished handshakes; insertion order = age. */
  readonly pending = new Map<number, Conn>();
  /** Unfinished handshakes per IP. */
  readonly pendingPerIp = new Map<string, number>();
  /** Confirmed clients per IP. */
  readonly clientsPerIp = new Map<string, number>();
  /** Confirmed clients by key (hex). */
  readonly byKey = new Map<string, Conn>();
  /** Connections with new output. */
  readonly dirty = new Set<number>();
  /** Connections closed by the server, not yet polled. */
  closed: { id: number; reason: KillReason }[] = [];
  /** Time of the last call that had one. */
  now = 0;
  /** Routes in use. */
  routes = 0;
  /** Routes with both ends online (counted once per end). */
  onlineRoutes = 0;
  /** Payload bytes relayed. */
  bytesRelayed = 0;
  /** Packets relayed. */
  packetsRelayed = 0;
  /** Connections accepted. */
  accepted = 0;
  /** One plaintext buffer shared by every frame opened. */
  readonly scratch = new Uint8Array(MAX_PLAINTEXT_SIZE);
  /** Drops by reason. */
  readonly drops = zeroCounts(DROP_REASONS);
  /** Closes by reason. */
  readonly kills = zeroCounts(KILL_REASONS);

  /** State for a server with `opts`. */
  constructor(opts: RelayServerOptions) {
    this.o = resolveServerOptions(opts);
    this.onion = opts.onOnionRequest;
    this.forward = opts.onForwardRequest;
    const crypto = this.crypto = opts.crypto ?? backend();
    this.random = opts.random ?? ((n) => crypto.randomBytes(n));
    this.oobSelf = opts.onOobToSelf;
  }

  /** Current counters. */
  stats(): RelayServerStats {
    return {
      clients: this.byKey.size,
      pending: this.pending.size,
      routes: this.routes,
      onlineRoutes: this.onlineRoutes,
      bytesRelayed: this.bytesRelayed,
      packetsRelayed: this.packetsRelayed,
      drops: { ...this.drops },
      kills: { ...this.kills },
      accepted: this.accepted,
    };
  }

  /** Counts `n` payload bytes relayed in one packet. */
  relayed(n: number): void {
    this.bytesRelayed += n;
    this.packetsRelayed++;
  }

  /** Queues bytes for `c` as they are (the handshake reply). */
  queueRaw(c: Conn, bytes: Uint8Array): void {
    c.out.push(bytes);
    c.outBytes += bytes.length;
    this.dirty.add(c.id);
  }

  /** Seals and queues a packet; non-priority packets are dropped while the queue is full. */
  write(c: Conn, plain: Uint8Array, priority: boolean, now: number): boolean {
    if (!this.conns.has(c.id) || !c.codec) return false;
    if (c.outBytes >= this.o.maxQueueBytes) {
      c.fullSince ??= now;
      if (!priority) {
        this.drops.queue_full++;
        return false;
      }
      if (c.outBytes >= 4 * this.o.maxQueueBytes) {
        this.kill(c, "slow_reader");
        return false;
      }
    }
    this.queueRaw(c, c.codec.seal(plain));
    return true;
  }

  /** Takes `c` out of the unfinished handshakes. */
  leavePending(c: Conn): void {
    if (!this.pending.delete(c.id)) return;
    const n = (this.pendingPerIp.get(c.ip) ?? 1) - 1;
    if (n <= 0) this.pendingPerIp.delete(c.ip);
    else this.pendingPerIp.set(c.ip, n);
  }

  /** Closes `c` for `reason` and tells the driver (through `closed`). */
  kill(c: Conn, reason: KillReason): void {
    if (!this.conns.has(c.id)) return;
    this.remove(c, reason);
    this.closed.push({ id: c.id, reason });
  }

  /** Forgets `c` and frees its routes, telling their other ends. */
  remove(c: Conn, reason: KillReason): void {
    if (!this.conns.delete(c.id)) return;
    this.kills[reason]++;
    this.leavePending(c);
    this.dirty.delete(c.id);
    if (c.state === "confirmed") {
      if (this.byKey.get(c.hex) === c) this.byKey.delete(c.hex);
      const n = (this.clientsPerIp.get(c.ip) ?? 1) - 1;
      if (n <= 0) this.clientsPerIp.delete(c.ip);
      else this.clientsPerIp.set(c.ip, n);
      if (c.slots) {
        for (let i = 0; i < NUM_CLIENT_CONNECTIONS; i++) {
          if (c.slots[i]) freeSlot(this, c, i, this.now);
        }
      }
    }
    c.out = [];
    c.outBytes = 0;
  }
}
