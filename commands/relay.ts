/**
 * `peerkit relay serve`: a TCP relay and DHT node. Not built yet: it says so and exits 1
 * until its issue lands.
 *
 * @example
 * ```ts
 * import { Command } from "@commander-js/extra-typings";
 * import { registerRelay } from "./relay.ts";
 * registerRelay(new Command(), async () => {});
 * ```
 * @module
 */
import { notBuilt, type Program, type Runner } from "./_io.ts";

/**
 * Adds `relay serve` to the program.
 *
 * @example
 * ```ts
 * import { Command } from "@commander-js/extra-typings";
 * import { registerRelay } from "./relay.ts";
 * registerRelay(new Command(), async () => {});
 * ```
 */
export function registerRelay(program: Program, run: Runner): void {
  const relay = program.command("relay").description("TCP relay for peers that cannot punch");
  relay.command("serve")
    .description("run a TCP relay and DHT node (not built yet)")
    .addHelpText(
      "after",
      `
Example:
  $ peerkit relay serve --tcp-port 33445 --udp-port 33445`,
    )
    .action(() => run(notBuilt("relay serve")));
}
