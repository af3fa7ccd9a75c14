/**
 * `peerkit lookup`: find a peer's address on the DHT from its public key. Not built yet: it says so and exits 1 until its issue lands.
 *
 * @example
 * ```ts
 * import { Command } from "@commander-js/extra-typings";
 * import { registerLookup } from "./lookup.ts";
 * registerLookup(new Command(), async () => {});
 * ```
 * @module
 */
import { notBuilt, type Program, type Runner } from "./_io.ts";

/**
 * Adds `lookup` to the program.
 *
 * @example
 * ```ts
 * import { Command } from "@commander-js/extra-typings";
 * import { registerLookup } from "./lookup.ts";
 * registerLookup(new Command(), async () => {});
 * ```
 */
export function registerLookup(program: Program, run: Runner): void {
  program.command("lookup <id>")
    .description("find a peer's address on the DHT from its public key (not built yet)")
    .addHelpText(
      "after",
      `
Example:
  $ peerkit lookup 0123…(64 hex)`,
    )
    .action(() => run(notBuilt("lookup")));
}
