/**
 * What the DHT says about where a peer is: each close node that lists the peer in a nodes
 * response "reports" an address for it (c-toxcore `returnedip_ports`). Pure helpers for the
 * DHT-coordinated meeting (tox-protocol.md §4):
 *
 * - {@link ReportBook}: the latest report of each node (bounded, fresh for 122 s);
 * - {@link ReportBook.agreed}: the address to trust: the IP most nodes report, only when at
 *   least `min` of them agree and they are the majority (c-toxcore `nat_commonip` wants 4);
 * - {@link guessPorts}: c-toxcore's port guessing around the reported ports, for a NAT that
 *   maps per destination (the ports the nodes saw differ).
 *
 * @example
 * ```ts
 * import { guessPorts, ReportBook } from "./dht_reports.ts";
 * const book = new ReportBook();
 * for (const [n, port] of [[1, 4000], [2, 4000], [3, 4001]] as const) {
 *   book.add(new Uint8Array(32).fill(n), { hostname: "203.0.113.2", port }, 0);
 * }
 * const a = book.agreed(0, 3);
 * console.assert(a?.ip === "203.0.113.2" && a.ports.join() === "4000,4001");
 * console.assert(guessPorts([4000], 0, 4).join() === "4000,4000,4001,3999");
 * ```
 * @module
 */
import type { Addr } from "../net/addr.ts";
import { toHex } from "../util/bytes.ts";

/** c-toxcore `nat_commonip`: reports of one IP needed before punching (4 of 8 nodes). */
export const MIN_AGREEING_REPORTS = 4;
/** A report older than this is ignored (c-toxcore `BAD_NODE_TIMEOUT`, 122 s). */
export const REPORT_FRESH_MS = 122_000;
/** Reporting nodes remembered per peer (the oldest report is forgotten first). */
export const MAX_REPORTERS = 16;
/** c-toxcore `MAX_PUNCHING_PORTS`: port guesses per round. */
export const GUESSES_PER_ROUND = 48;

/** The address the reports agree on. */
export interface AgreedAddress {
  /** The IP most reporters give. */
  ip: string;
  /** The ports reported with it, most recent report first, without repeats. */
  ports: number[];
  /** How many reporters gave that IP. */
  reporters: number;
}

/**
 * The latest report of each node about one peer.
 *
 * @example
 * ```ts
 * import { ReportBook } from "./dht_reports.ts";
 * const book = new ReportBook();
 * book.add(new Uint8Array(32), { hostname: "203.0.113.2", port: 1 }, 0);
 * console.assert(book.size === 1 && book.agreed(0, 2) === undefined);
 * ```
 */
export class ReportBook {
  readonly #reports = new Map<string, { addr: Addr; at: number }>();

  /** Reporters remembered. */
  get size(): number {
    return this.#reports.size;
  }

  /** `reporter` (its DHT key) says the peer is at `addr`. */
  add(reporter: Uint8Array, addr: Addr, now: number): void {
    const id = toHex(reporter);
    this.#reports.delete(id);
    this.#reports.set(id, { addr: { hostname: addr.hostname, port: addr.port }, at: now });
    while (this.#reports.size > MAX_REPORTERS) {
      this.#reports.delete(this.#reports.keys().next().value!);
    }
  }

  /**
   * The IP at least `min` fresh reporters give, when they are also more than half of the
   * fresh reporters; `undefined` otherwise.
   */
  agreed(now: number, min: number = MIN_AGREEING_REPORTS): AgreedAddress | undefined {
    const fresh = [...this.#reports.values()].filter((r) => now - r.at <= REPORT_FRESH_MS);
    const byIp = new Map<string, { at: number; port: number }[]>();
    for (const r of fresh) {
      const list = byIp.get(r.addr.hostname) ?? [];
      list.push({ at: r.at, port: r.addr.port });
      byIp.set(r.addr.hostname, list);
    }
    let best: [string, { at: number; port: number }[]] | undefined;
    for (const e of byIp) if (!best || e[1].length > best[1].length) best = e;
    if (!best || best[1].length < Math.max(1, min) || best[1].length * 2 <= fresh.length) {
      return undefined;
    }
    const ports = [...new Set(best[1].sort((x, y) => y.at - x.at).map((r) => r.port))];
    return { ip: best[0], ports, reporters: best[1].length };
  }
}

/**
 * c-toxcore's port guessing (`punch_holes`, tox-protocol.md §4): for `it = index + i`
 * (i < count), the port `ports[(it / 2) % n] + (it odd ? -1 : +1) * (it / (2 n))` (integer
 * division, modulo 2^16). A round starts at `index` and the next round at `index + count`.
 * Port 0 is skipped. An empty `ports` gives no guess.
 *
 * @example
 * ```ts
 * import { guessPorts } from "./dht_reports.ts";
 * console.assert(guessPorts([100, 200], 0, 6).join() === "100,100,200,200,101,99");
 * ```
 */
export function guessPorts(
  ports: readonly number[],
  index: number,
  count: number = GUESSES_PER_ROUND,
): number[] {
  const n = ports.length;
  if (n === 0) return [];
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const it = index + i;
    const delta = (it % 2 === 1 ? -1 : 1) * Math.floor(it / (2 * n));
    const port = (((ports[Math.floor(it / 2) % n]! + delta) % 65536) + 65536) % 65536;
    if (port !== 0) out.push(port);
  }
  return out;
}
