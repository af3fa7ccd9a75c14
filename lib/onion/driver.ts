/**
 * The thin driver of an {@link OnionClient} on a node's UDP socket: it registers the onion
 * response kinds (0x84, 0x86) in the DHT driver's {@link UdpHost} table, runs the client's
 * 1 s round on a timer, takes the DHT's good nodes as the nodes to build paths from, sends
 * DHT-routed DHT-PK packets through `DhtNode.routeRequest`, and, given a
 * {@link RelayClient}, starts paths at its ready TCP relays (all of them with `udp: false`,
 * for when UDP is blocked).
 *
 * With `serveOnion`, the driver also runs an {@link OnionNode} (hop and announce node) on
 * the same socket, as every c-toxcore client is one: a peer that sits in the DHT is then
 * a usable path node and announce node for others instead of a dead end.
 *
 * DHT-routed requests reach the driver only if the DHT node's `onRoutedRequest` hook hands
 * them to {@link OnionDriver.handleRoutedRequest}.
 *
 * @example
 * ```ts
 * import { OnionDriver } from "./driver.ts";
 * import { DhtDriver } from "../dht/driver.ts";
 * import { MemoryNetwork } from "../net/memory.ts";
 * import { backend } from "../crypto/mod.ts";
 * const dhtKeyPair = backend().keyPair();
 * const socket = await new MemoryNetwork().bindDatagram({ hostname: "10.0.0.1", port: 1 });
 * await using dht = new DhtDriver({ socket, node: { keyPair: dhtKeyPair } });
 * await using onion = new OnionDriver({ dht, dhtKeyPair, realKeyPair: backend().keyPair() });
 * dht.start();
 * onion.start();
 * console.assert(onion.client.connectionStatus(dht.now()) === "offline");
 * ```
 * @module
 */
import type { KeyPair } from "../crypto/backend.ts";
import type { DhtDriver } from "../dht/driver.ts";
import type { RoutedRequest } from "../dht/node_types.ts";
import type { NodeInfo } from "../dht/packed_node.ts";
import { type Clock, realClock, type TimerId } from "../net/clock.ts";
import type { RelayClient } from "../relay/client_driver.ts";
import { keyEquals } from "../dht/distance.ts";
import { fromHex, toHex } from "../util/bytes.ts";
import { encodeFriendRequest } from "./client_friend_request.ts";
import { OnionClient } from "./client.ts";
import type { PathNode } from "./client_packets.ts";
import type { RelayEntry } from "./client_paths.ts";
import type { OnionClientEvent, OnionClientOptions } from "./client_types.ts";
import { ONION_KIND } from "./constants.ts";
import { OnionNode } from "./node.ts";

/** The UDP kinds the onion client takes from its host: announce and data responses. */
export const ONION_CLIENT_KINDS: readonly number[] = [
  ONION_KIND.ANNOUNCE_RESPONSE,
  ONION_KIND.DATA_RESPONSE,
];

/** The UDP kinds an onion node takes: requests through hops, announce and data requests, returns. */
export const ONION_NODE_KINDS: readonly number[] = [
  ONION_KIND.SEND_INITIAL,
  ONION_KIND.SEND_1,
  ONION_KIND.SEND_2,
  ONION_KIND.ANNOUNCE_REQUEST,
  ONION_KIND.DATA_REQUEST,
  ONION_KIND.RECV_3,
  ONION_KIND.RECV_2,
  ONION_KIND.RECV_1,
];

/** How often a friend request is sent again while it is pending (c-toxcore: every 5 s). */
export const FRIEND_REQUEST_RESEND_MS = 5000;
/** How many times a friend request is sent again before the driver gives up on it. */
export const FRIEND_REQUEST_RESENDS = 12;

/** Options of an {@link OnionDriver}. */
export interface OnionDriverOptions {
  /** The DHT whose socket, nodes and routed requests the client uses. */
  dht: DhtDriver;
  /** The DHT key pair (the one the DHT node was made with). */
  dhtKeyPair: KeyPair;
  /** Our long-term key pair: what we announce. */
  realKeyPair: KeyPair;
  /** Our nospam (default: 4 random bytes). */
  nospam?: Uint8Array;
  /** TCP relay links to start paths at (their ready relays). */
  relay?: RelayClient;
  /** Whether paths may start with a UDP hop (default true). */
  udp?: boolean;
  /** Time source (default real time; use the DHT driver's). */
  clock?: Clock;
  /** Receives every client event. */
  onEvent?: (e: OnionClientEvent) => void;
  /** Also serve as an onion node (hop and announce node) on the socket (default false). */
  serveOnion?: boolean;
  /**
   * Nodes to build paths from while the DHT knows fewer than {@link MIN_DHT_PATH_NODES}
   * good ones (c-toxcore keeps its bootstrap nodes as path nodes the same way, which is how
   * a TCP-only client builds paths: relay first, then two of these).
   */
  bootstrapNodes?: readonly PathNode[];
  /** More client options (timings, random...). */
  client?: Partial<OnionClientOptions>;
}

/** Runs an {@link OnionClient} beside a {@link DhtDriver}; see the module documentation. */
export class OnionDriver implements AsyncDisposable {
  /** The client. */
  readonly client: OnionClient;
  /** The onion node, with `serveOnion`. */
  readonly node: OnionNode | undefined;
  /** Relay packets that could not be written (no such link or queue full). */
  relaySendFailures = 0;
  /** Event receivers that threw. */
  listenerErrors = 0;
  readonly #dht: DhtDriver;
  readonly #clock: Clock;
  readonly #relay: RelayClient | undefined;
  readonly #listeners = new Set<(e: OnionClientEvent) => void>();
  readonly #requests = new Map<
    string,
    { publicKey: Uint8Array; nospam: Uint8Array; message: Uint8Array; next: number; left: number }
  >();
  #timer: TimerId | undefined;
  #started = false;
  #closed = false;

  /** A driver on `opts.dht`'s host; registers the onion response kinds at once. */
  constructor(opts: OnionDriverOptions) {
    if (!keyEquals(opts.dhtKeyPair.publicKey, opts.dht.node.publicKey)) {
      throw new RangeError("dhtKeyPair is not the DHT node's key pair");
    }
    this.#dht = opts.dht;
    this.#clock = opts.clock ?? realClock;
    this.#relay = opts.relay;
    if (opts.onEvent) this.#listeners.add(opts.onEvent);
    const relay = opts.relay;
    const clientOpts: OnionClientOptions = {
      realKeyPair: opts.realKeyPair,
      dhtKeyPair: opts.dhtKeyPair,
      nodes: () => withBootstrap(opts.dht.node.goodNodes(), opts.bootstrapNodes ?? []),
      // c-toxcore: up to 2 connected TCP relays first, then close DHT nodes (4 in all).
      dhtPkNodes: () => [
        ...(relay ? readyRelays(relay).slice(0, 2).map(relayNode) : []),
        ...opts.dht.node.closestNodes(opts.dhtKeyPair.publicKey, 4),
      ],
      ...opts.client,
    };
    if (relay) clientOpts.relays = () => readyRelays(relay);
    if (opts.udp !== undefined) clientOpts.udp = opts.udp;
    if (opts.nospam) clientOpts.nospam = opts.nospam;
    this.client = new OnionClient(clientOpts);
    opts.dht.host.table.register("onion-client", ONION_CLIENT_KINDS, (data, _from, now) => {
      this.client.handlePacket(data, now);
      this.flush();
    });
    if (opts.serveOnion) {
      const node = new OnionNode({
        keyPair: opts.dhtKeyPair,
        closestNodes: (target, count) => opts.dht.node.closestNodes(target, count),
      });
      this.node = node;
      opts.dht.host.table.register("onion-node", ONION_NODE_KINDS, (data, from, now) => {
        for (const s of node.handleUdp(data, from, now)) {
          if (s.to === "udp") opts.dht.send(s.data, s.addr);
        }
      });
    }
    if (relay) {
      relay.onOnionResponse = (data) => {
        if (this.#closed) return;
        this.client.handlePacket(data, this.#clock.now());
        this.flush();
      };
    }
  }

  /**
   * Adds a receiver of client events (beside `onEvent`); returns the function that removes
   * it. A receiver that throws is counted in {@link OnionDriver.listenerErrors}.
   */
  on(fn: (e: OnionClientEvent) => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  /** Starts the 1 s round (the first runs at once). Idempotent. */
  start(): void {
    if (this.#started || this.#closed) return;
    this.#started = true;
    this.#tick();
  }

  /** Starts searching for a friend's real key (and its DHT key once told). */
  addFriend(publicKey: Uint8Array): void {
    this.client.addFriend(publicKey);
    this.#wake();
  }

  /**
   * Sends a friend request: it goes out once the friend is found, then again every 5 s
   * (onion data has no acknowledgement; the receiver drops repeats) up to 12 times or until
   * {@link OnionDriver.cancelFriendRequest}. Returns the copies sent now.
   */
  sendFriendRequest(publicKey: Uint8Array, nospam: Uint8Array, message: Uint8Array): number {
    const now = this.#clock.now();
    const n = this.client.sendFriendRequest(publicKey, nospam, message, now);
    this.#requests.set(toHex(publicKey), {
      publicKey: publicKey.slice(),
      nospam: nospam.slice(),
      message: message.slice(),
      next: now + FRIEND_REQUEST_RESEND_MS,
      left: FRIEND_REQUEST_RESENDS,
    });
    this.flush();
    this.#wake();
    return n;
  }

  /** Stops sending a pending friend request again (the friend answered or was removed). */
  cancelFriendRequest(publicKey: Uint8Array): void {
    this.#requests.delete(toHex(publicKey));
  }

  /** Friend requests still being sent again. */
  get pendingFriendRequests(): number {
    return this.#requests.size;
  }

  /** Feed from the DHT node's `onRoutedRequest` hook; true when it was a DHT-PK. */
  handleRoutedRequest(r: RoutedRequest, now: number): boolean {
    const used = this.client.handleDhtRequest(r, now);
    this.flush();
    return used;
  }

  /** Sends what the client queued and delivers its events. */
  flush(): void {
    if (this.#closed) return;
    for (let t = this.client.pollTransmit(); t; t = this.client.pollTransmit()) {
      if (t.to === "udp") this.#dht.send(t.data, t.addr);
      else if (t.to === "dht") {
        this.#dht.node.routeRequest(t.receiver, t.requestId, t.data);
        this.#dht.flush();
      } else if (!this.#relay?.sendOnionRequest(fromHex(t.relay), t.data.subarray(1))) {
        this.relaySendFailures++;
      }
    }
    for (let e = this.client.pollEvent(); e; e = this.client.pollEvent()) {
      if (e.type === "dhtpk") this.#dht.node.addSearch(e.dhtPublicKey);
      for (const fn of [...this.#listeners]) {
        try {
          fn(e);
        } catch {
          this.listenerErrors++;
        }
      }
    }
  }

  /** Stops the timer and unregisters the onion kinds (the DHT driver keeps the socket). */
  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#dht.host.table.unregister("onion-client");
    this.#dht.host.table.unregister("onion-node");
    if (this.#relay) this.#relay.onOnionResponse = undefined;
    return Promise.resolve();
  }

  /** Same as {@link OnionDriver.close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #wake(): void {
    if (!this.#started || this.#closed) return;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#tick();
  }

  #tick(): void {
    this.#timer = undefined;
    if (this.#closed) return;
    const now = this.#clock.now();
    this.client.handleTimeout(now);
    for (const [k, r] of this.#requests) {
      // Only once found: before that the first copy is still queued in the client.
      if (r.next > now || !this.client.friendDataKey(r.publicKey)) continue;
      this.client.sendData(r.publicKey, encodeFriendRequest(r), now);
      r.next = now + FRIEND_REQUEST_RESEND_MS;
      if (--r.left <= 0) this.#requests.delete(k);
    }
    this.flush();
    const wait = Math.max(1, this.client.nextTimeout() - this.#clock.now());
    this.#timer = this.#clock.setTimeout(() => this.#tick(), wait);
  }
}

/** Good DHT nodes below which the driver adds its bootstrap nodes as path nodes. */
export const MIN_DHT_PATH_NODES = 4;

/**
 * The DHT's good nodes, plus the bootstrap nodes it lacks while it has fewer than
 * {@link MIN_DHT_PATH_NODES}.
 *
 * @example
 * ```ts
 * import { withBootstrap } from "./driver.ts";
 * const n = (i: number) => ({ publicKey: new Uint8Array(32).fill(i), addr: { hostname: "127.0.0.1", port: i } });
 * console.assert(withBootstrap([n(1)], [n(1), n(2)]).length === 2);
 * console.assert(withBootstrap([n(1), n(2), n(3), n(4)], [n(5)]).length === 4);
 * ```
 */
export function withBootstrap(
  good: readonly PathNode[],
  bootstrap: readonly PathNode[],
): PathNode[] {
  if (good.length >= MIN_DHT_PATH_NODES || bootstrap.length === 0) return [...good];
  const have = new Set(good.map((n) => toHex(n.publicKey)));
  return [...good, ...bootstrap.filter((n) => !have.has(toHex(n.publicKey)))];
}

/** A path entry as a DHT-PK node (TCP family). */
function relayNode(r: RelayEntry): NodeInfo {
  return { publicKey: r.publicKey, addr: r.addr, tcp: true };
}

/** The ready links of a relay client, as path entries (id: the relay key in hex). */
function readyRelays(relay: RelayClient): RelayEntry[] {
  return relay.relays().filter((l) => l.state === "ready").map((l) => ({
    id: l.publicKey,
    publicKey: fromHex(l.publicKey),
    addr: l.addr,
  }));
}
