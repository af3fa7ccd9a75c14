/**
 * The onion client's paths (onion_client.c `random_path`, `path_timed_out`): a set of up to
 * six paths of three nodes each, picked at random from the known nodes and replaced when
 * they stop answering or grow old. With UDP blocked, the first hop of every path is a TCP
 * relay the client is connected to.
 *
 * A path is dead when it was used {@link OnionClientTimings.pathMaxNoResponseUses} times
 * without an answer and its last use is older than 4 s (never answered) or 10 s (answered
 * before), or when it is older than 1200 s.
 *
 * @example
 * ```ts
 * import { PathSet, seededRandom } from "./client_paths.ts";
 * import { TOXCORE_ONION_CLIENT } from "./client_constants.ts";
 * import { backend } from "../crypto/mod.ts";
 * const random = seededRandom(1);
 * const set = new PathSet(TOXCORE_ONION_CLIENT, backend().keyPair(), random);
 * const n = (i: number) => ({ publicKey: new Uint8Array(32).fill(i), addr: { hostname: `10.0.0.${i}`, port: 1 } });
 * const p = set.pick(0, [n(1), n(2), n(3)], []);
 * console.assert(p !== null && p.path.nodes.length === 3);
 * ```
 * @module
 */
import type { KeyPair } from "../crypto/backend.ts";
import { backend } from "../crypto/backend.ts";
import { sha512 } from "../crypto/hash.ts";
import { keyEquals } from "../dht/distance.ts";
import type { Addr } from "../net/addr.ts";
import { createOnionPath, type OnionPath, type PathNode } from "./client_packets.ts";
import type { OnionClientTimings } from "./client_constants.ts";

/** A TCP relay the client has a confirmed link to, usable as hop A. */
export interface RelayEntry {
  /** How the caller names the link; echoed in transmits. */
  id: string;
  /** The relay's public key. */
  publicKey: Uint8Array;
  /** The relay's address (only used to fill hop A's slot of the path). */
  addr: Addr;
}

/** One path of a set and its bookkeeping. */
export interface PathEntry {
  /** Unique in its set; `id % paths` is its slot. Requests record it to credit answers. */
  readonly id: number;
  /** Keys and nodes. */
  readonly path: OnionPath;
  /** Set when hop A is a TCP relay. */
  readonly relay?: string;
  /** Creation time. */
  readonly created: number;
  /** Last answer through it (`undefined`: never). */
  lastSuccess: number | undefined;
  /** Last send through it. */
  lastUsed: number;
  /** Sends since the last answer. */
  uses: number;
}

/** Random bytes source. */
export type RandomBytes = (n: number) => Uint8Array;

/**
 * A deterministic byte source for tests and simulations: SHA-512 in counter mode over a
 * seed. Not for keys that must stay secret.
 *
 * @example
 * ```ts
 * import { seededRandom } from "./client_paths.ts";
 * console.assert(seededRandom(7)(8).join() === seededRandom(7)(8).join());
 * ```
 */
export function seededRandom(seed: number): RandomBytes {
  let counter = 0;
  let pool: Uint8Array = new Uint8Array(0);
  let off = 0;
  return (n) => {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      if (off >= pool.length) {
        const block = new Uint8Array(16);
        const v = new DataView(block.buffer);
        v.setFloat64(0, seed);
        v.setFloat64(8, counter++);
        pool = sha512(block);
        off = 0;
      }
      out[i] = pool[off++]!;
    }
    return out;
  };
}

/**
 * A uniform-enough integer in `[0, n)` from `random`.
 *
 * @example
 * ```ts
 * import { randomInt, seededRandom } from "./client_paths.ts";
 * const r = randomInt(seededRandom(1), 6);
 * console.assert(r >= 0 && r < 6);
 * ```
 */
export function randomInt(random: RandomBytes, n: number): number {
  const b = random(4);
  return (((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0) % n;
}

/** A set of paths (c-toxcore keeps one for announcing and one for searching). */
export class PathSet {
  readonly #slots: (PathEntry | undefined)[];
  readonly #t: OnionClientTimings;
  readonly #dht: KeyPair;
  readonly #random: RandomBytes;
  #nextRound = 1;
  /** Paths made so far (replacements included). */
  created = 0;

  /**
   * An empty set.
   * @param timings path count and timeouts
   * @param dhtKeyPair the client's DHT key pair (keys hop A's layer)
   * @param random source of the path choice and temporary keys
   */
  constructor(timings: OnionClientTimings, dhtKeyPair: KeyPair, random: RandomBytes) {
    this.#t = timings;
    this.#slots = new Array(timings.paths).fill(undefined);
    this.#dht = dhtKeyPair;
    this.#random = random;
  }

  /** True when `p` is dead at `now` (see the module doc). */
  isDead(p: PathEntry, now: number): boolean {
    if (now - p.created >= this.#t.pathMaxLifetimeMs) return true;
    const timeout = p.lastSuccess === undefined
      ? this.#t.pathFirstTimeoutMs
      : this.#t.pathTimeoutMs;
    return p.uses >= this.#t.pathMaxNoResponseUses && now - p.lastUsed >= timeout;
  }

  /** The live path with this id, if it is still in the set. */
  get(id: number, now: number): PathEntry | undefined {
    const p = this.#slots.find((s) => s?.id === id);
    return p && !this.isDead(p, now) ? p : undefined;
  }

  /** Live paths. */
  live(now: number): PathEntry[] {
    return this.#slots.filter((s): s is PathEntry => s !== undefined && !this.isDead(s, now));
  }

  /**
   * The path in a slot, replaced first when empty or dead (or not starting at a relay while
   * relays are given); `null` when there are not enough distinct nodes (3, or 2 plus a
   * relay). The slot is random, or the one `preferred` (an earlier path id) was in, so a node
   * whose path died gets that slot's replacement (c-toxcore `random_path` with `path_num`).
   */
  pick(
    now: number,
    nodes: readonly PathNode[],
    relays: readonly RelayEntry[],
    preferred?: number,
  ): PathEntry | null {
    const n = this.#slots.length;
    const slot = preferred === undefined ? randomInt(this.#random, n) : preferred % n;
    const cur = this.#slots[slot];
    if (cur && !this.isDead(cur, now) && (relays.length === 0 || cur.relay !== undefined)) {
      return cur;
    }
    const fresh = this.#make(now, nodes, relays, slot);
    if (fresh) this.#slots[slot] = fresh;
    return fresh;
  }

  /**
   * Records a send through `p`. As in c-toxcore, sends past the unanswered-use limit no
   * longer move `lastUsed`, so a path that keeps being tried still times out.
   */
  used(p: PathEntry, now: number): void {
    if (p.uses < this.#t.pathMaxNoResponseUses) p.lastUsed = now;
    p.uses++;
  }

  /** Records an answer through the path `id` (ignored once replaced). */
  answered(id: number, now: number): void {
    const p = this.#slots.find((s) => s?.id === id);
    if (!p) return;
    p.uses = 0;
    p.lastSuccess = now;
  }

  #make(
    now: number,
    nodes: readonly PathNode[],
    relays: readonly RelayEntry[],
    slot: number,
  ): PathEntry | null {
    const chosen: PathNode[] = [];
    let relay: RelayEntry | undefined;
    if (relays.length > 0) {
      relay = relays[randomInt(this.#random, relays.length)]!;
      chosen.push({ publicKey: relay.publicKey, addr: relay.addr });
    }
    const pool = nodes.filter((n) => !chosen.some((c) => keyEquals(c.publicKey, n.publicKey)));
    for (let tries = 0; chosen.length < 3 && pool.length > 0 && tries < 64; tries++) {
      const n = pool.splice(randomInt(this.#random, pool.length), 1)[0]!;
      if (!chosen.some((c) => keyEquals(c.publicKey, n.publicKey))) chosen.push(n);
    }
    if (chosen.length < 3) return null;
    const b = backend();
    const temp: [KeyPair, KeyPair] = [
      b.keyPairFromSecretKey(this.#random(32)),
      b.keyPairFromSecretKey(this.#random(32)),
    ];
    const path = createOnionPath([chosen[0]!, chosen[1]!, chosen[2]!], this.#dht, temp);
    this.created++;
    const entry: PathEntry = {
      id: this.#nextRound++ * this.#slots.length + slot,
      path,
      created: now,
      lastSuccess: undefined,
      lastUsed: now,
      uses: 0,
    };
    return relay ? { ...entry, relay: relay.id } : entry;
  }
}
