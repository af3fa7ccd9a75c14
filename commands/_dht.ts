/**
 * Joining the DHT from a list of bootstrap nodes, as `peerkit bootstrap` does: open a UDP
 * driver, ping and ask each node, and report who answered, their round trips and how many
 * distinct nodes turned up within a time limit. The sockets and the wall-clock wait live
 * here, beside the commands; the protocol itself is `lib/dht`.
 *
 * @example
 * ```ts
 * import { chooseListen } from "./_dht.ts";
 * const pk = new Uint8Array(32);
 * console.assert(chooseListen([{ publicKey: pk, addr: { hostname: "127.0.0.1", port: 1 } }]).hostname === "127.0.0.1");
 * ```
 * @module
 */
import type { Addr } from "../lib/net/addr.ts";
import { formatAddr, isLoopback } from "../lib/net/addr.ts";
import type { Network } from "../lib/net/types.ts";
import { denoNetwork } from "../lib/net/deno.ts";
import type { KeyPair } from "../lib/crypto/backend.ts";
import { backend } from "../lib/crypto/backend.ts";
import { toHex } from "../lib/util/bytes.ts";
import { PeerkitError } from "../lib/util/errors.ts";
import { DhtDriver } from "../lib/dht/driver.ts";
import { naclCipher, sodiumCipher } from "../lib/dht/cipher.ts";
import type { DhtEvent, DhtNodeOptions } from "../lib/dht/node.ts";
import type { NodeInfo } from "../lib/dht/packed_node.ts";

/**
 * Loopback when every node is on loopback (c-toxcore lists LAN addresses only to LAN
 * askers), otherwise the IPv4 wildcard.
 *
 * @example
 * ```ts
 * import { chooseListen } from "./_dht.ts";
 * console.assert(chooseListen([]).hostname === "0.0.0.0");
 * ```
 */
export function chooseListen(nodes: NodeInfo[]): Addr {
  const loop = nodes.length > 0 && nodes.every((n) => isLoopback(n.addr.hostname));
  return { hostname: loop ? "127.0.0.1" : "0.0.0.0", port: 0 };
}

/**
 * Why a bind failed, in a few words: `address in use`, `address not available`,
 * `permission denied`, else the error's own message.
 *
 * @example
 * ```ts
 * import { bindReason } from "./_dht.ts";
 * console.assert(bindReason(new Deno.errors.AddrInUse("x")) === "address in use");
 * ```
 */
export function bindReason(e: unknown): string {
  if (e instanceof Deno.errors.AddrInUse) return "address in use";
  if (e instanceof Deno.errors.AddrNotAvailable) return "address not available";
  if (e instanceof Deno.errors.PermissionDenied) return "permission denied";
  return e instanceof Error ? e.message : String(e);
}

/** Options of {@link openDriver}. */
export interface OpenDriverOptions {
  /** Where to bind. */
  listen: Addr;
  /** Key pair (default: a fresh one, as Tox DHT keys are per session). */
  keyPair?: KeyPair;
  /** Network (default: Deno sockets). */
  network?: Network;
  /** Node events. */
  onEvent?: (e: DhtEvent) => void;
  /** More node options (the cipher defaults to {@link sodiumCipher}). */
  node?: Partial<DhtNodeOptions>;
}

/**
 * Binds a socket and starts a driver on it. A taken port is a `BIND_FAILED` error.
 *
 * @example
 * ```ts ignore
 * import { openDriver } from "./_dht.ts";
 * await using d = await openDriver({ listen: { hostname: "127.0.0.1", port: 0 } });
 * ```
 */
export async function openDriver(o: OpenDriverOptions): Promise<DhtDriver> {
  let socket;
  try {
    socket = await (o.network ?? denoNetwork).bindDatagram(o.listen);
  } catch (e) {
    throw new PeerkitError(
      "BIND_FAILED",
      `cannot bind UDP ${formatAddr(o.listen)}: ${bindReason(e)}`,
      {
        cause: e,
      },
    );
  }
  const keyPair = o.keyPair ?? backend().keyPair();
  const nodeOpts: DhtNodeOptions = {
    keyPair,
    cipher: await sodiumCipher(keyPair.secretKey).catch(() => naclCipher(keyPair.secretKey)),
    ...o.node,
  };
  if (o.onEvent) nodeOpts.onEvent = o.onEvent;
  const d = new DhtDriver({ socket, node: nodeOpts });
  d.start();
  return d;
}

/** One bootstrap node's outcome. */
export interface BootstrapOutcome {
  /** The node. */
  node: NodeInfo;
  /** True when it gave a valid response. */
  answered: boolean;
  /** Round trip of its first valid response, ms. */
  rttMs?: number;
  /** Why sending to it failed, when the socket said ("network unreachable"...). */
  sendError?: string;
}

/** What {@link runBootstrap} found. */
export interface BootstrapReport {
  /** Per bootstrap node. */
  nodes: BootstrapOutcome[];
  /** Distinct nodes that answered us (verified). */
  answered: number;
  /** Distinct nodes heard of (answered or listed by others). */
  discovered: number;
  /** Good close-list nodes at the end. */
  good: NodeInfo[];
  /** Duration, ms. */
  elapsedMs: number;
}

/**
 * Pings and asks each bootstrap node, then keeps the node running for `timeoutMs` while it
 * discovers the DHT. `events` must be the stream of the driver's node events.
 *
 * @example
 * ```ts ignore
 * const events = new EventTarget();
 * const d = await openDriver({ listen, onEvent: (e) => events.dispatchEvent(new CustomEvent("e", { detail: e })) });
 * const r = await runBootstrap(d, nodes, events, { timeoutMs: 5000 });
 * ```
 */
export async function runBootstrap(
  driver: DhtDriver,
  nodes: NodeInfo[],
  events: EventTarget,
  opts: { timeoutMs: number; signal?: AbortSignal; onProgress?: (r: BootstrapReport) => void },
): Promise<BootstrapReport> {
  const start = driver.now();
  const outcomes = new Map<string, BootstrapOutcome>();
  for (const n of nodes) outcomes.set(toHex(n.publicKey), { node: n, answered: false });
  const answered = new Set<string>(), heard = new Set<string>();
  const self = toHex(driver.node.publicKey);
  const report = (): BootstrapReport => ({
    nodes: [...outcomes.values()].map((o) => {
      const sendError = o.answered ? undefined : driver.sendError(o.node.addr);
      return sendError ? { ...o, sendError } : o;
    }),
    answered: answered.size,
    discovered: heard.size,
    good: driver.node.goodNodes(),
    elapsedMs: driver.now() - start,
  });
  const onEvent = (ev: Event) => {
    const e = (ev as CustomEvent<DhtEvent>).detail;
    if (e.type !== "response") return;
    const id = toHex(e.publicKey);
    answered.add(id);
    heard.add(id);
    for (const n of e.nodes) {
      const k = toHex(n.publicKey);
      if (k !== self) heard.add(k);
    }
    const o = outcomes.get(id);
    if (o && !o.answered) {
      o.answered = true;
      o.rttMs = Math.round(e.rttMs * 10) / 10;
    }
    opts.onProgress?.(report());
  };
  events.addEventListener("dht", onEvent);
  try {
    for (const n of nodes) {
      driver.ping(n.addr, n.publicKey);
      driver.bootstrap(n.addr, n.publicKey);
    }
    await new Promise<void>((resolve) => {
      const t = setTimeout(done, opts.timeoutMs);
      function done() {
        clearTimeout(t);
        opts.signal?.removeEventListener("abort", done);
        resolve();
      }
      if (opts.signal?.aborted) done();
      else opts.signal?.addEventListener("abort", done, { once: true });
    });
  } finally {
    events.removeEventListener("dht", onEvent);
  }
  return report();
}

/**
 * An event bridge: pass `emit` as the node's `onEvent`, listen on `target` for `"dht"`.
 *
 * @example
 * ```ts
 * import { eventBridge } from "./_dht.ts";
 * const b = eventBridge();
 * let n = 0;
 * b.target.addEventListener("dht", () => n++);
 * b.emit({ type: "found", publicKey: new Uint8Array(32), addr: { hostname: "::1", port: 1 } });
 * console.assert(n === 1);
 * ```
 */
export function eventBridge(): { target: EventTarget; emit: (e: DhtEvent) => void } {
  const target = new EventTarget();
  return { target, emit: (e) => target.dispatchEvent(new CustomEvent("dht", { detail: e })) };
}
