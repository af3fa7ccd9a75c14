/**
 * The iterative lookup of one key: a shortlist of candidates ordered by XOR distance to the
 * target, a few nodes requests in flight at a time, closest first, until the target itself
 * answers or no unasked candidate remains among the closest. The state machine is driven by
 * {@link DhtNode}; {@link lookup} runs one on a {@link DhtDriver}-like host and resolves with the
 * result.
 *
 * @example
 * ```ts
 * import { LookupState } from "./lookup.ts";
 * const l = new LookupState(new Uint8Array(32), 0, {});
 * console.assert(l.next().length === 0 && !l.done);
 * ```
 * @module
 */
import type { Addr } from "../net/addr.ts";
import { closer, keyEquals } from "./distance.ts";
import type { NodeInfo } from "./packed_node.ts";

/** Options of a lookup. */
export interface LookupOptions {
  /** Requests in flight at once (default 3). */
  parallel?: number;
  /** Size of the closest set that must be asked before giving up (default 8). */
  keep?: number;
  /** Nodes to start from in addition to the node's own good nodes. */
  seeds?: NodeInfo[];
  /** Give up after this many ms (default 20 000). */
  timeoutMs?: number;
  /** Called after each response with the progress so far. */
  onProgress?: (p: LookupProgress) => void;
}

/** Progress of a running lookup. */
export interface LookupProgress {
  /** Requests sent. */
  requests: number;
  /** Valid responses. */
  responses: number;
  /** Distinct nodes heard of. */
  seen: number;
}

/** Outcome of a lookup. */
export interface LookupResult {
  /** The key looked up. */
  target: Uint8Array;
  /** True when the target itself answered. */
  found: boolean;
  /** Where the target answered from. */
  addr?: Addr;
  /** Addresses other nodes gave for the target (may differ behind NAT). */
  reported: Addr[];
  /** Closest nodes that answered, closest first (at most `keep`). */
  closest: NodeInfo[];
  /** Responses on the chain that led to the target (0 when it was a seed). */
  hops: number;
  /** Nodes requests sent. */
  requests: number;
  /** Valid responses received. */
  responses: number;
  /** Milliseconds from start to end. */
  elapsedMs: number;
  /** Why it ended. */
  reason: "found" | "exhausted" | "timeout" | "cancelled";
}

const NEW = 0, ASKED = 1, ANSWERED = 2, FAILED = 3;
interface Candidate {
  node: NodeInfo;
  hop: number;
  state: number;
  tries: number;
}

/** Asks per candidate before it counts as failed (retries cover lost datagrams). */
const MAX_TRIES = 3;

const MAX_CANDIDATES = 64;

/** One lookup's state. */
export class LookupState {
  /** The key looked up (a copy). */
  readonly target: Uint8Array;
  /** Start time, ms. */
  readonly startedAt: number;
  /** Time at which it ends as `timeout`, ms. */
  readonly deadline: number;
  /** Requests in flight at once. */
  readonly parallel: number;
  /** Size of the closest set that must be asked before giving up. */
  readonly keep: number;
  /** Progress callback. */
  readonly onProgress: ((p: LookupProgress) => void) | undefined;
  #cands: Candidate[] = [];
  #seen = new Set<string>();
  #inflight = 0;
  #requests = 0;
  #responses = 0;
  #reported: Addr[] = [];
  #result: LookupResult | undefined;

  /** A lookup with no candidates yet. @param target key @param now start time @param opts options */
  constructor(target: Uint8Array, now: number, opts: LookupOptions) {
    this.target = target.slice();
    this.startedAt = now;
    this.deadline = now + (opts.timeoutMs ?? 20_000);
    this.parallel = Math.max(1, opts.parallel ?? 3);
    this.keep = Math.max(1, opts.keep ?? 8);
    this.onProgress = opts.onProgress;
  }

  /** Result once done. */
  get result(): LookupResult | undefined {
    return this.#result;
  }

  /** True once finished. */
  get done(): boolean {
    return this.#result !== undefined;
  }

  /** Adds a candidate heard of at `hop`. */
  add(node: NodeInfo, hop: number): void {
    if (this.done) return;
    if (keyEquals(node.publicKey, this.target)) this.#reported.push(node.addr);
    const id = `${node.addr.hostname}|${node.addr.port}|${node.publicKey.join(",")}`;
    if (this.#seen.has(id)) return;
    this.#seen.add(id);
    const c: Candidate = { node, hop, state: NEW, tries: 0 };
    let i = this.#cands.length;
    while (i > 0 && closer(this.target, node.publicKey, this.#cands[i - 1]!.node.publicKey) < 0) {
      i--;
    }
    if (i >= MAX_CANDIDATES) return;
    this.#cands.splice(i, 0, c);
    if (this.#cands.length > MAX_CANDIDATES) {
      const drop = this.#cands.findLastIndex((x) => x.state !== ASKED);
      if (drop >= 0) this.#cands.splice(drop, 1);
    }
  }

  /** Candidates to ask now (marks them asked). */
  next(): { node: NodeInfo; hop: number }[] {
    const out: { node: NodeInfo; hop: number }[] = [];
    if (this.done) return out;
    let live = 0;
    for (const c of this.#cands) {
      if (this.#inflight >= this.parallel || live >= this.keep) break;
      if (c.state === FAILED) continue;
      live++;
      if (c.state !== NEW) continue;
      c.state = ASKED;
      c.tries++;
      this.#inflight++;
      this.#requests++;
      out.push({ node: c.node, hop: c.hop });
    }
    return out;
  }

  /** A valid response from `pk` at `addr`, carrying `nodes`. */
  answered(pk: Uint8Array, addr: Addr, nodes: NodeInfo[], hop: number, now: number): void {
    if (this.done) return;
    this.#inflight = Math.max(0, this.#inflight - 1);
    this.#responses++;
    for (const c of this.#cands) {
      if (c.state === ASKED && keyEquals(pk, c.node.publicKey)) c.state = ANSWERED;
    }
    if (keyEquals(pk, this.target)) {
      this.#finish(now, "found", addr, hop);
      return;
    }
    for (const n of nodes) this.add(n, hop + 1);
    this.onProgress?.({
      requests: this.#requests,
      responses: this.#responses,
      seen: this.#seen.size,
    });
  }

  /** A request to `pk` timed out. */
  failed(pk: Uint8Array): void {
    if (this.done) return;
    this.#inflight = Math.max(0, this.#inflight - 1);
    for (const c of this.#cands) {
      if (c.state === ASKED && keyEquals(pk, c.node.publicKey)) {
        c.state = c.tries < MAX_TRIES ? NEW : FAILED;
      }
    }
  }

  /** Ends the lookup when nothing is left to do or time is up; returns true when done. */
  check(now: number): boolean {
    if (this.done) return true;
    if (now >= this.deadline) this.#finish(now, "timeout");
    else if (this.#inflight === 0) this.#finish(now, "exhausted");
    return this.done;
  }

  /** Stops the lookup. */
  cancel(now: number): void {
    if (!this.done) this.#finish(now, "cancelled");
  }

  #finish(now: number, reason: LookupResult["reason"], addr?: Addr, hop = 0): void {
    const closest = this.#cands.filter((c) => c.state === ANSWERED).slice(0, this.keep)
      .map((c) => c.node);
    const r: LookupResult = {
      target: this.target,
      found: reason === "found",
      reported: this.#reported,
      closest,
      hops: reason === "found" ? hop : 0,
      requests: this.#requests,
      responses: this.#responses,
      elapsedMs: now - this.startedAt,
      reason,
    };
    if (addr) r.addr = addr;
    this.#result = r;
  }
}
