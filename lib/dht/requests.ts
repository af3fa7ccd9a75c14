/**
 * The DHT node's outgoing requests and what waits on them: each ping or nodes request gets
 * a random 8-byte id and an entry in the pending table; a response is accepted only with
 * that id, from the address and key asked, in time. Iterative lookups ride on the same
 * table (an entry names its lookup and hop), so a timeout or an answer drives the lookup.
 *
 * @example
 * ```ts
 * import { DhtNode } from "./node.ts";
 * import { backend } from "../crypto/mod.ts";
 * const a = new DhtNode({ keyPair: backend().keyPair() });
 * a.ping({ hostname: "10.0.0.2", port: 1 }, backend().keyPair().publicKey, 0);
 * a.handleTimeout(10_000); // no answer: the request times out
 * console.assert(a.stats.timeouts === 1);
 * ```
 * @module
 */
import type { Addr } from "../net/addr.ts";
import type { DhtCipher } from "./cipher.ts";
import { KIND } from "./constants.ts";
import type { LookupResult, LookupState } from "./lookup.ts";
import type { NodeInfo } from "./packed_node.ts";
import { type Pending, PendingTable } from "./pending.ts";
import type { DhtStats } from "./stats.ts";
import { type DhtMessage, sealDhtPacket } from "./wire.ts";

/** A request the node sends: a ping or a nodes request for `target`. */
export type DhtRequest = { type: "pingRequest" } | { type: "nodesRequest"; target: Uint8Array };

/** What {@link DhtRequests} needs of its node. */
export interface DhtRequestsHost {
  /** Our DHT public key. */
  publicKey: Uint8Array;
  /** Encryption. */
  cipher: DhtCipher;
  /** Random bytes. */
  random: (n: number) => Uint8Array;
  /** Counters (timeouts, unexpected responses). */
  stats: DhtStats;
  /** Queues a datagram. */
  send(to: Addr, data: Uint8Array): void;
}

/**
 * Pending requests and running lookups of one DHT node.
 *
 * @example
 * ```ts
 * import { DhtRequests } from "./requests.ts";
 * import { naclCipher } from "./cipher.ts";
 * import { emptyStats } from "./stats.ts";
 * import { backend } from "../crypto/mod.ts";
 * const kp = backend().keyPair(), stats = emptyStats();
 * const sent: Uint8Array[] = [];
 * const r = new DhtRequests({
 *   publicKey: kp.publicKey,
 *   cipher: naclCipher(kp.secretKey),
 *   random: (n) => crypto.getRandomValues(new Uint8Array(n)),
 *   stats,
 *   send: (_to, d) => void sent.push(d),
 * }, 512, 5000);
 * r.request({ publicKey: backend().keyPair().publicKey, addr: { hostname: "10.0.0.2", port: 1 } },
 *   { type: "pingRequest" }, 0);
 * r.expire(5001);
 * console.assert(sent[0]?.[0] === 0x00 && stats.timeouts === 1);
 * ```
 */
export class DhtRequests {
  readonly #h: DhtRequestsHost;
  readonly #pending: PendingTable;
  readonly #lookups = new Set<LookupState>();
  readonly #lookupDone = new Map<LookupState, (r: LookupResult) => void>();

  /** Requests of `host`: at most `max` pending, each answered within `timeoutMs`. */
  constructor(host: DhtRequestsHost, max: number, timeoutMs: number) {
    this.#h = host;
    this.#pending = new PendingTable(max, timeoutMs);
  }

  /** Seals `m` for `to` (with `sharedKey` when the caller has it) and queues it for `addr`. */
  reply(to: Uint8Array, addr: Addr, m: DhtMessage, sharedKey?: Uint8Array): void {
    const h = this.#h;
    const key = sharedKey ?? h.cipher.sharedKey(to);
    h.send(addr, sealDhtPacket(m, h.publicKey, key, h.random(24), h.cipher.seal));
  }

  /** Sends request `m` to `n` and remembers it (for `lookup` at `hop`, when given). */
  request(n: NodeInfo, m: DhtRequest, now: number, lookup?: LookupState, hop?: number): void {
    const pingId = this.#h.random(8);
    const p: Pending = {
      pk: n.publicKey,
      addr: n.addr,
      kind: m.type === "pingRequest" ? KIND.PING_REQUEST : KIND.NODES_REQUEST,
      sentAt: now,
    };
    if (lookup) {
      p.lookup = lookup;
      p.hop = hop ?? 0;
    }
    const evicted = this.#pending.add(pingId, p);
    if (evicted) this.#expired(evicted, now);
    const msg: DhtMessage = m.type === "pingRequest"
      ? { type: "pingRequest", pingId }
      : { type: "nodesRequest", target: m.target, pingId };
    this.reply(n.publicKey, n.addr, msg);
  }

  /** The request a response of `kind` answers, or `undefined` (counted) when none does. */
  take(
    pingId: Uint8Array,
    sender: Uint8Array,
    from: Addr,
    now: number,
    kind: number,
  ): Pending | undefined {
    const wantKind = kind === KIND.PING_RESPONSE ? KIND.PING_REQUEST : KIND.NODES_REQUEST;
    const p = this.#pending.take(pingId, sender, from, now, wantKind);
    if (!p) this.#h.stats.dropUnexpected++;
    return p;
  }

  /** Times out what is due at `now`. */
  expire(now: number): void {
    for (const p of this.#pending.expire(now)) this.#expired(p, now);
  }

  /** Runs lookup `l`; `onDone` is called once when it ends. */
  startLookup(l: LookupState, now: number, onDone?: (r: LookupResult) => void): void {
    this.#lookups.add(l);
    if (onDone) this.#lookupDone.set(l, onDone);
    this.drive(l, now);
  }

  /** Drives every running lookup. */
  driveAll(now: number): void {
    for (const l of this.#lookups) this.drive(l, now);
  }

  /** Sends what lookup `l` asks next; reports it once it is done. */
  drive(l: LookupState, now: number): void {
    if (!l.done) {
      for (const q of l.next()) {
        this.request(q.node, { type: "nodesRequest", target: l.target }, now, l, q.hop);
      }
      l.check(now);
    }
    if (l.done && this.#lookups.delete(l)) {
      const cb = this.#lookupDone.get(l);
      this.#lookupDone.delete(l);
      cb?.(l.result!);
    }
  }

  #expired(p: Pending, now: number): void {
    this.#h.stats.timeouts++;
    if (p.lookup) {
      p.lookup.failed(p.pk);
      this.drive(p.lookup, now);
    }
  }
}
