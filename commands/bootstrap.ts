/**
 * `peerkit bootstrap`: join the DHT through known nodes. Not built yet: it says so and exits 1 until its issue lands.
 *
 * @example
 * ```ts
 * import { Command } from "@commander-js/extra-typings";
 * import { registerBootstrap } from "./bootstrap.ts";
 * registerBootstrap(new Command(), async () => {});
 * ```
 * @module
 */
import { notBuilt, type Program, type Runner } from "./_io.ts";

/**
 * Adds `bootstrap` to the program.
 *
 * @example
 * ```ts
 * import { Command } from "@commander-js/extra-typings";
 * import { registerBootstrap } from "./bootstrap.ts";
 * registerBootstrap(new Command(), async () => {});
 * ```
 */
export function registerBootstrap(program: Program, run: Runner): void {
  program.command("bootstrap")
    .description("join the DHT through known nodes (not built yet)")
    .addHelpText(
      "after",
      `
Example:
  $ peerkit bootstrap --bootstrap 127.0.0.1:33445:<64-hex key>`,
    )
    .action(() => run(notBuilt("bootstrap")));
}
