/**
 * Types of the {@link DhtNode} surface: options, events and results.
 *
 * @example
 * ```ts
 * import type { DhtNodeOptions } from "./node_types.ts";
 * import { backend } from "../crypto/mod.ts";
 * const o: DhtNodeOptions = { keyPair: backend().keyPair(), lanDiscovery: false };
 * console.assert(o.lanDiscovery === false);
 * ```
 * @module
 */
import type { Addr } from "../net/addr.ts";
import type { KeyPair } from "../crypto/backend.ts";
import type { KeyBudget } from "../crypto/key_budget.ts";
import type { DhtCipher } from "./cipher.ts";
import type { DhtSizes, DhtTimings } from "./constants.ts";
import type { NodeInfo } from "./packed_node.ts";

/** Something the node noticed, for drivers and commands. */
export type DhtEvent =
  | {
    type: "response";
    publicKey: Uint8Array;
    addr: Addr;
    rttMs: number;
    kind: "ping" | "nodes";
    nodes: NodeInfo[];
  }
  | { type: "found"; publicKey: Uint8Array; addr: Addr };

/** A routed (0x20) request addressed to us, decrypted. */
export interface RoutedRequest {
  /** Request id (first plaintext byte): 156 DHT-PK, 254 NAT ping… */
  requestId: number;
  /** The rest of the plaintext. */
  data: Uint8Array;
  /** Sender's DHT public key. */
  senderPublicKey: Uint8Array;
  /** The node that delivered it. */
  from: Addr;
}

/** Options of a `DhtNode`. */
export interface DhtNodeOptions {
  /** Our DHT key pair. */
  keyPair: KeyPair;
  /** Timers (default: c-toxcore 0.2.18's, see {@link TOXCORE_TIMINGS}). */
  timings?: Partial<DhtTimings>;
  /** List sizes (default: c-toxcore 0.2.18's, see {@link TOXCORE_SIZES}). */
  sizes?: Partial<DhtSizes>;
  /** Random bytes (nonces, request ids, choices); default Web Crypto's, pooled. */
  random?: (n: number) => Uint8Array;
  /** Encryption (default: NaCl with a 1024-entry shared-key cache). */
  cipher?: DhtCipher;
  /** Answer LAN discovery (0x21) from LAN addresses (default true, as c-toxcore). */
  lanDiscovery?: boolean;
  /**
   * Budget for shared keys computed for packets from uncached keys (needs a cipher with
   * `has`), also spent by routed requests (0x20) this node opens or forwards; packets
   * beyond it are dropped and counted as `dropBudget`. Default: none.
   */
  keyBudget?: KeyBudget;
  /** Our own reachable address: listed, as a last resort, in nodes responses (see docs). */
  selfAddr?: Addr;
  /** Receives routed requests addressed to us (NAT pings are answered by the node). */
  onRoutedRequest?: (r: RoutedRequest, now: number) => void;
  /** Receives events. */
  onEvent?: (e: DhtEvent) => void;
}

/** What `DhtNode.searchResult` reports about a searched key. */
export interface SearchResult {
  /** Where the key itself answered us, if it did. */
  addr?: Addr;
  /** Last address another node gave for it. */
  reported?: Addr;
  /** The good nodes closest to it we know. */
  nodes: NodeInfo[];
}
