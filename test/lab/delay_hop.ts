/**
 * The lab's WAN delay without tc netem: `delay_hop.c` (ours, beside this file), compiled
 * with `gcc` once per process, joins each router's WAN veth to the inet bridge through two
 * AF_PACKET sockets and holds every frame `delayMs` before passing it on, each direction.
 * Started by {@link ./lab.ts} when `delayMs` is set; the lab stops it by PID.
 *
 * @example
 * ```ts ignore
 * import { NatLab } from "./lab.ts";
 * await using lab = await NatLab.create({ a: "full-cone", b: "full-cone", delayMs: 20 });
 * ```
 * @module
 */
import type { NatLab } from "./lab.ts";
import { buildC } from "../_support/build_c.ts";
import { delayHops } from "./plan.ts";

const SOURCE = new URL("./delay_hop.c", import.meta.url).pathname;

/**
 * Compiles `delay_hop.c` into a temporary directory (once per process, removed at exit) and
 * returns the binary's path; rejects in one line when `gcc` fails.
 *
 * @example
 * ```ts ignore
 * import { buildDelayHop } from "./delay_hop.ts";
 * console.log(await buildDelayHop());
 * ```
 */
export function buildDelayHop(): Promise<string> {
  return buildC(SOURCE, "delay_hop");
}

/**
 * Starts one delay hop per router in "inet" and waits (10 s at most) until each is ready;
 * nothing without `delayMs`. {@link NatLab.create} calls it.
 *
 * @example
 * ```ts ignore
 * import { startDelayHops } from "./delay_hop.ts";
 * await startDelayHops(lab); // lab.options.delayMs === 20: wa~xa and wb~xb delayed
 * ```
 */
export async function startDelayHops(lab: NatLab): Promise<void> {
  const hops = delayHops(lab.options);
  if (hops.length === 0) return;
  const bin = await buildDelayHop();
  const ms = String(lab.options.delayMs);
  for (const [wan, bridge] of hops) {
    const p = lab.spawn("inet", [bin, wan, bridge, ms, "900"]);
    const line = await p.firstLine(10_000);
    if (line !== "ready") throw new Error(`delay hop ${wan}-${bridge} did not start: ${line}`);
  }
}
