/**
 * Friend connections found through the onion, sans-IO (the role of c-toxcore 0.2.18's
 * `friend_connection.c` between the onion and net_crypto): for each friend, what to do
 * once its DHT-PK packet arrived (its DHT key, its TCP relays, its close DHT nodes), and
 * while its session lives.
 *
 * - A DHT-PK names the friend's DHT key: look that key up in the DHT, starting from the
 *   close nodes the packet lists (c-toxcore `dht_getnodes` to each of them), connect to the
 *   TCP relays it lists, and open a session to the DHT key (with the address once the DHT
 *   found it). A DHT-PK with another DHT key than the session's ends that session first
 *   (the friend restarted), as c-toxcore's `change_dht_pk` does.
 * - A friend with `dial: false` is only accepted: it opens the session (it has our DHT-PK);
 *   we never send a cookie request to it.
 * - Only friends may open sessions ({@link FriendReach.accepts}).
 * - Once established: the onion stops DHT-PK packets and searches for the friend
 *   (`connected`), the Messenger online packet `[24]` goes out (c-toxcore reports a friend
 *   online only after it), then alive `[16]` every 8 s; the friend is dead after 32 s of
 *   silence (kill). When the session ends, the friend is searched again and, when dialled,
 *   dialled again {@link REDIAL_MS} later.
 *
 * Every input takes `now`; outputs are drained with {@link FriendReach.drain}.
 *
 * @example
 * ```ts
 * import { FriendReach } from "./reach_state.ts";
 * const r = new FriendReach();
 * const friend = new Uint8Array(32).fill(7), dhtKey = new Uint8Array(32).fill(8);
 * r.add(friend);
 * r.onDhtPk({ publicKey: friend, dhtPublicKey: dhtKey, nodes: [] }, 0);
 * const dial = r.drain().find((a) => a.do === "dial");
 * console.assert(dial?.do === "dial" && dial.dhtKey[0] === 8);
 * ```
 * @module
 */
import type { NodeInfo } from "../dht/packed_node.ts";
import type { Addr } from "../net/addr.ts";
import { ALIVE_PACKET, FriendLiveness } from "../session/friend.ts";
import type { SessionEvent } from "../session/types.ts";
import { toHex } from "../util/bytes.ts";

/** Messenger's online packet (c-toxcore `PACKET_ID_ONLINE`): the friend counts us online. */
export const PACKET_ID_ONLINE = 24;
/** How long after a session ended a dialled friend is dialled again (ms). */
export const REDIAL_MS = 2000;
/** TCP relays taken from one DHT-PK (c-toxcore puts at most 2 in it). */
export const MAX_DHTPK_RELAYS = 2;

/** What the owner of a {@link FriendReach} must do. */
export type ReachAction =
  /** Open a session to the friend (real key `peer`) under `dhtKey`, at `addr` when known. */
  | { do: "dial"; peer: Uint8Array; dhtKey: Uint8Array; addr?: Addr }
  /** Look `dhtKey` up in the DHT, starting from `seeds`; report with `onAddr`. */
  | { do: "lookup"; dhtKey: Uint8Array; seeds: NodeInfo[] }
  /** The friend's UDP address: give it to its session. */
  | { do: "direct"; peer: Uint8Array; addr: Addr }
  /** TCP relays the friend is on: connect to them. */
  | { do: "relays"; peer: Uint8Array; relays: NodeInfo[] }
  /** Tell the onion whether the friend is connected (stops or resumes DHT-PK and search). */
  | { do: "connected"; peer: Uint8Array; connected: boolean }
  /** Send a lossless payload on the friend's session. */
  | { do: "send"; peer: Uint8Array; data: Uint8Array }
  /** End the friend's session. */
  | { do: "kill"; peer: Uint8Array };

/** The parts of a DHT-PK event this state machine reads. */
export interface DhtPkInfo {
  /** The friend's real key. */
  publicKey: Uint8Array;
  /** The DHT key it runs under now. */
  dhtPublicKey: Uint8Array;
  /** TCP relays (tcp: true) and close DHT nodes. */
  nodes: readonly NodeInfo[];
}

/** Options of one friend. */
export interface FriendOptions {
  /** Open the session ourselves (default true); false: only accept the friend's. */
  dial?: boolean;
}

/** A friend's state, as {@link FriendReach.friend} reports it. */
export interface FriendInfo {
  /** Its real key. */
  publicKey: Uint8Array;
  /** Whether we dial it. */
  dial: boolean;
  /** Its DHT key, once a DHT-PK or its session told it. */
  dhtKey?: Uint8Array;
  /** Its UDP address, once the DHT found it. */
  addr?: Addr;
  /** TCP relays from its last DHT-PK. */
  relays: NodeInfo[];
  /** Session state as seen here. */
  session: "none" | "opening" | "up";
  /** Sessions opened by us. */
  dials: number;
  /** Sessions it opened. */
  incoming: number;
}

interface Friend extends FriendInfo {
  liveness?: FriendLiveness;
  redialAt: number;
}

/** The friend-connection state machine; see the module documentation. */
export class FriendReach {
  readonly #friends = new Map<string, Friend>();
  #out: ReachAction[] = [];

  /** Adds a friend (idempotent; a second call may change `dial`). */
  add(publicKey: Uint8Array, o: FriendOptions = {}): void {
    const id = toHex(publicKey);
    const f = this.#friends.get(id);
    if (f) {
      f.dial = o.dial ?? f.dial;
      return;
    }
    this.#friends.set(id, {
      publicKey: publicKey.slice(),
      dial: o.dial ?? true,
      relays: [],
      session: "none",
      dials: 0,
      incoming: 0,
      redialAt: 0,
    });
  }

  /** Removes a friend; its session is killed. */
  remove(publicKey: Uint8Array): void {
    const f = this.#friends.get(toHex(publicKey));
    if (!f) return;
    if (f.session !== "none") this.#out.push({ do: "kill", peer: f.publicKey });
    this.#friends.delete(toHex(publicKey));
  }

  /** True for a friend: the `acceptPeer` of the session host. */
  accepts(publicKey: Uint8Array): boolean {
    return this.#friends.has(toHex(publicKey));
  }

  /** A copy of what is known about a friend. */
  friend(publicKey: Uint8Array): FriendInfo | undefined {
    const f = this.#friends.get(toHex(publicKey));
    if (!f) return undefined;
    const { liveness: _l, redialAt: _r, ...info } = f;
    return { ...info, relays: [...info.relays] };
  }

  /** The friend's DHT-PK packet arrived (through the onion or the DHT). */
  onDhtPk(e: DhtPkInfo, now: number): void {
    const f = this.#friends.get(toHex(e.publicKey));
    if (!f) return;
    const changed = f.dhtKey !== undefined && toHex(f.dhtKey) !== toHex(e.dhtPublicKey);
    // The old session ends first; the new key is dialled on the next round, after the
    // old session's "closed" event (which then finds nothing to end).
    const restart = changed && f.session !== "none";
    if (restart) {
      this.#out.push({ do: "kill", peer: f.publicKey });
      this.#down(f, now, 0);
    }
    if (changed) delete f.addr;
    f.dhtKey = e.dhtPublicKey.slice();
    const relays = e.nodes.filter((n) => n.tcp).slice(0, MAX_DHTPK_RELAYS);
    if (relays.length > 0) {
      f.relays = relays;
      this.#out.push({ do: "relays", peer: f.publicKey, relays });
    }
    if (f.addr === undefined) {
      this.#out.push({ do: "lookup", dhtKey: f.dhtKey, seeds: e.nodes.filter((n) => !n.tcp) });
    }
    if (!restart) this.#maybeDial(f, now);
  }

  /** The DHT found `dhtKey` at `addr`. */
  onAddr(dhtKey: Uint8Array, addr: Addr, _now: number): void {
    const id = toHex(dhtKey);
    for (const f of this.#friends.values()) {
      if (!f.dhtKey || toHex(f.dhtKey) !== id) continue;
      f.addr = addr;
      if (f.session !== "none") this.#out.push({ do: "direct", peer: f.publicKey, addr });
    }
  }

  /** A session event (from the session driver). */
  onSession(e: SessionEvent, now: number): void {
    const f = this.#friends.get(e.peer);
    if (!f) return;
    switch (e.type) {
      case "incoming":
        f.incoming++;
        f.session = "opening";
        f.dhtKey = e.dhtPublicKey.slice();
        if (f.addr) this.#out.push({ do: "direct", peer: f.publicKey, addr: f.addr });
        break;
      case "established":
        f.session = "up";
        f.liveness = new FriendLiveness(now);
        this.#out.push({ do: "connected", peer: f.publicKey, connected: true });
        this.#out.push({ do: "send", peer: f.publicKey, data: new Uint8Array([PACKET_ID_ONLINE]) });
        break;
      case "data":
      case "lossy":
        f.liveness?.received(now);
        break;
      case "closed":
        if (f.session !== "none") this.#down(f, now, REDIAL_MS);
        break;
    }
  }

  /** Alive packets, dead friends, redials. */
  handleTimeout(now: number): void {
    for (const f of this.#friends.values()) {
      if (f.session === "up" && f.liveness) {
        const a = f.liveness.poll(now);
        if (a.dead) {
          this.#out.push({ do: "kill", peer: f.publicKey });
          this.#down(f, now, REDIAL_MS);
        } else if (a.sendAlive) {
          this.#out.push({ do: "send", peer: f.publicKey, data: ALIVE_PACKET });
        }
      }
      this.#maybeDial(f, now);
    }
  }

  /** When {@link handleTimeout} next has work (ms; Infinity when none). */
  nextTimeout(): number {
    let t = Infinity;
    for (const f of this.#friends.values()) {
      if (f.session === "up" && f.liveness) t = Math.min(t, f.liveness.nextTimeout());
      if (f.session === "none" && f.dial && f.dhtKey) t = Math.min(t, f.redialAt);
    }
    return t;
  }

  /** Takes the actions queued so far, oldest first. */
  drain(): ReachAction[] {
    const out = this.#out;
    this.#out = [];
    return out;
  }

  #down(f: Friend, now: number, redialIn: number): void {
    const wasUp = f.session === "up";
    f.session = "none";
    delete f.liveness;
    f.redialAt = now + redialIn;
    if (wasUp) this.#out.push({ do: "connected", peer: f.publicKey, connected: false });
  }

  #maybeDial(f: Friend, now: number): void {
    if (!f.dial || !f.dhtKey || f.session !== "none" || now < f.redialAt) return;
    f.session = "opening";
    f.dials++;
    this.#out.push({
      do: "dial",
      peer: f.publicKey,
      dhtKey: f.dhtKey,
      ...(f.addr ? { addr: f.addr } : {}),
    });
  }
}
