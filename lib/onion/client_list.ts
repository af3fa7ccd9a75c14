/**
 * The onion client's list of announce nodes for one key (onion_client.c `client_add_to_list`):
 * the nodes closest to the key that answered, at most 12 for our own key and 8 for a
 * friend's, kept sorted by XOR distance (closest first). A node is dropped when it missed 3
 * pings in a row and the last was 15 s ago.
 *
 * @example
 * ```ts
 * import { AnnounceList } from "./client_list.ts";
 * const list = new AnnounceList(new Uint8Array(32), 2);
 * const at = (i: number) => ({ hostname: `10.0.0.${i}`, port: 1 });
 * list.upsert(new Uint8Array(32).fill(9), at(9), 0);
 * list.upsert(new Uint8Array(32).fill(1), at(1), 0);
 * console.assert(list.entries[0]!.publicKey[0] === 1 && !list.wouldAdd(new Uint8Array(32).fill(10)));
 * ```
 * @module
 */
import type { Addr } from "../net/addr.ts";
import { closer, keyEquals } from "../dht/distance.ts";
import { ANNOUNCE_PING_ID_SIZE } from "./constants.ts";

/** One announce node in a list. */
export interface ListNode {
  /** The node's DHT public key. */
  readonly publicKey: Uint8Array;
  /** Its UDP address. */
  addr: Addr;
  /** The ping id it gave us last (zeros before). */
  pingId: Uint8Array;
  /** Its last is_stored answer: 0 not stored, 1 the searched key is stored (data key known), 2 we are stored. */
  isStored: 0 | 1 | 2;
  /** The searched peer's data key, when `isStored === 1`. */
  dataPublicKey?: Uint8Array;
  /** Last announce sent to it. */
  lastPinged: number | undefined;
  /** Announces sent since its last answer. */
  pingsSinceResponse: number;
  /** Last answer. */
  lastResponse: number;
  /** The path its last answer came through (reused so its stored return path stays ours). */
  pathId: number | undefined;
  /** When it entered the list. */
  readonly added: number;
}

/** Nodes closest to one key that answered our announces or searches. */
export class AnnounceList {
  /** The key the list is about: our real key, or a friend's. */
  readonly target: Uint8Array;
  readonly #max: number;
  #entries: ListNode[] = [];

  /** An empty list of at most `max` nodes around `target`. */
  constructor(target: Uint8Array, max: number) {
    this.target = target;
    this.#max = max;
  }

  /** The nodes, closest first. */
  get entries(): readonly ListNode[] {
    return this.#entries;
  }

  /** Nodes of the list. */
  get size(): number {
    return this.#entries.length;
  }

  /** True when the list has room. */
  get full(): boolean {
    return this.#entries.length >= this.#max;
  }

  /** The entry for `pk`, if present. */
  find(pk: Uint8Array): ListNode | undefined {
    return this.#entries.find((e) => keyEquals(e.publicKey, pk));
  }

  /** True when `pk` is not in the list and would enter it (room, or closer than the furthest). */
  wouldAdd(pk: Uint8Array): boolean {
    if (this.find(pk)) return false;
    if (!this.full) return true;
    const last = this.#entries[this.#entries.length - 1]!;
    return closer(this.target, pk, last.publicKey) < 0;
  }

  /** Adds or refreshes the node that answered; `undefined` when it does not fit. */
  upsert(pk: Uint8Array, addr: Addr, now: number): ListNode | undefined {
    const have = this.find(pk);
    if (have) {
      have.addr = addr;
      have.lastResponse = now;
      have.pingsSinceResponse = 0;
      return have;
    }
    if (!this.wouldAdd(pk)) return undefined;
    const node: ListNode = {
      publicKey: pk.slice(),
      addr,
      pingId: new Uint8Array(ANNOUNCE_PING_ID_SIZE),
      isStored: 0,
      lastPinged: undefined,
      pingsSinceResponse: 0,
      lastResponse: now,
      pathId: undefined,
      added: now,
    };
    this.#entries.push(node);
    this.#entries.sort((a, b) => closer(this.target, a.publicKey, b.publicKey));
    if (this.#entries.length > this.#max) this.#entries.length = this.#max;
    return node;
  }

  /** Removes nodes that missed `maxPings` pings with the last one `timeoutMs` ago; returns how many. */
  expire(now: number, maxPings: number, timeoutMs: number): number {
    const before = this.#entries.length;
    this.#entries = this.#entries.filter((e) =>
      !(e.pingsSinceResponse >= maxPings && e.lastPinged !== undefined &&
        now - e.lastPinged >= timeoutMs)
    );
    return before - this.#entries.length;
  }
}
