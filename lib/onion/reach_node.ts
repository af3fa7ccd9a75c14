/**
 * A node that reaches friends by key, put together in one place: one UDP socket with the
 * DHT ({@link openUdpStack}), the onion client announcing our real key (and serving as
 * onion node, as every c-toxcore client does), sessions on the same socket (and on the
 * relay route when a {@link RelayClient} under the DHT key pair is given), and a
 * {@link FriendConnector} that opens a session to each friend once its DHT-PK arrives and
 * accepts sessions from friends only. This is what `connect` and `send` build when they
 * are given a Tox ID or a key without an address.
 *
 * @example
 * ```ts
 * import { backend } from "../crypto/mod.ts";
 * import { openReachNode } from "./reach_node.ts";
 * await using n = await openReachNode({ realKeyPair: backend().keyPair(), bootstrap: [] });
 * console.assert(n.toxId.length === 76 && n.stack.host.localAddr.port > 0);
 * ```
 * @module
 */
import type { KeyPair } from "../crypto/backend.ts";
import { backend } from "../crypto/mod.ts";
import type { NodeInfo } from "../dht/packed_node.ts";
import { formatToxId } from "../identity/tox_id.ts";
import { openUdpStack, type UdpStack } from "../node/stack.ts";
import type { RelayClient } from "../relay/client_driver.ts";
import { SessionDriver } from "../session/driver.ts";
import { SessionHost } from "../session/host.ts";
import { RelayPath } from "../session/relay_path.ts";
import { OnionDriver } from "./driver.ts";
import type { OnionClientEvent } from "./client_types.ts";
import { FriendConnector } from "./reach.ts";

/** Options of {@link openReachNode}. */
export interface ReachNodeOptions {
  /** Our long-term key pair (what friends know us by). */
  realKeyPair: KeyPair;
  /** The DHT key pair (default a new one per run, as c-toxcore's temporary DHT key). */
  dhtKeyPair?: KeyPair;
  /** DHT nodes to bootstrap from. */
  bootstrap: readonly NodeInfo[];
  /** Our nospam (default: 4 random bytes). */
  nospam?: Uint8Array;
  /** Relay links under `dhtKeyPair`: paths may start there and sessions may run through them. */
  relay?: RelayClient;
  /** With a relay: false when UDP is blocked (paths start at relays, sessions go by relay). */
  udp?: boolean;
  /** Address to bind (default 127.0.0.1). */
  hostname?: string;
  /** Receives every onion client event (friend requests, DHT-PK...). */
  onOnionEvent?: (e: OnionClientEvent) => void;
}

/** A running node; see the module documentation. */
export interface ReachNode extends AsyncDisposable {
  /** Socket, packet table and DHT. */
  stack: UdpStack;
  /** The onion client (and node). */
  onion: OnionDriver;
  /** Sessions on the socket (and the relay route). */
  sessions: SessionDriver;
  /** Friend connections. */
  connector: FriendConnector;
  /** Our Tox ID (76 upper-case hex): real key, nospam, checksum. */
  toxId: string;
  /** Closes everything this call opened (not the relay client). Idempotent. */
  close(): Promise<void>;
}

/**
 * Opens a {@link ReachNode} and starts it (bootstrap sent, onion round running).
 *
 * @example
 * ```ts
 * import { backend } from "../crypto/mod.ts";
 * import { openReachNode } from "./reach_node.ts";
 * const n = await openReachNode({ realKeyPair: backend().keyPair(), bootstrap: [] });
 * n.connector.add(backend().keyPair().publicKey);
 * await n.close();
 * ```
 */
export async function openReachNode(o: ReachNodeOptions): Promise<ReachNode> {
  const crypto = backend();
  const dhtKeyPair = o.dhtKeyPair ?? crypto.keyPair();
  const ref: { onion?: OnionDriver; connector?: FriendConnector } = {};
  const stack = await openUdpStack({
    keyPair: dhtKeyPair,
    lanDiscovery: false,
    ...(o.hostname ? { hostname: o.hostname } : {}),
    onRoutedRequest: (r, now) => ref.onion?.handleRoutedRequest(r, now),
  });
  const udp = o.udp ?? true;
  const onion = ref.onion = new OnionDriver({
    dht: stack.dht,
    dhtKeyPair,
    realKeyPair: o.realKeyPair,
    serveOnion: true,
    // No bootstrapNodes: with the start nodes as first path nodes, a c-toxcore friend's
    // onion data did not reach our first announcement (see docs/onion.md, "Not done yet").
    ...(o.relay && !udp ? { bootstrapNodes: o.bootstrap } : {}),
    ...(o.nospam ? { nospam: o.nospam } : {}),
    ...(o.relay ? { relay: o.relay, udp } : {}),
    ...(o.onOnionEvent ? { onEvent: o.onOnionEvent } : {}),
  });
  const host = new SessionHost({
    crypto,
    self: o.realKeyPair,
    selfDht: dhtKeyPair,
    acceptPeer: (real) => ref.connector?.accepts(real) ?? false,
  });
  const sessions = new SessionDriver({
    udp: stack.host,
    host,
    ...(o.relay ? { relay: new RelayPath(o.relay), direct: udp } : {}),
  });
  const connector = ref.connector = new FriendConnector({
    onion,
    dht: stack.dht,
    sessions,
    ...(o.relay ? { relay: o.relay } : {}),
  });
  for (const n of o.bootstrap) stack.dht.bootstrap(n.addr, n.publicKey);
  onion.start();
  let closing: Promise<void> | undefined;
  const close = () =>
    closing ??= (async () => {
      await connector.close();
      await sessions.close();
      await onion.close();
      await stack.close();
    })();
  return {
    stack,
    onion,
    sessions,
    connector,
    toxId: formatToxId({ publicKey: o.realKeyPair.publicKey, nospam: onion.client.nospam }),
    close,
    [Symbol.asyncDispose]: close,
  };
}
