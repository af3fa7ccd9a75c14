/**
 * `peerkit punch`: open a direct UDP path to a peer through NATs. Not built yet: it says so and exits 1 until its issue lands.
 *
 * @example
 * ```ts
 * import { Command } from "@commander-js/extra-typings";
 * import { registerPunch } from "./punch.ts";
 * registerPunch(new Command(), async () => {});
 * ```
 * @module
 */
import { notBuilt, type Program, type Runner } from "./_io.ts";
import { parsePublicKey } from "../lib/identity/pubkey.ts";

/**
 * Adds `punch` to the program.
 *
 * @example
 * ```ts
 * import { Command } from "@commander-js/extra-typings";
 * import { registerPunch } from "./punch.ts";
 * registerPunch(new Command(), async () => {});
 * ```
 */
export function registerPunch(program: Program, run: Runner): void {
  program.command("punch <id>")
    .description("open a direct UDP path to a peer through NATs (not built yet)")
    .addHelpText(
      "after",
      `
Example:
  $ peerkit punch 0123…(64 hex)`,
    )
    .action((id) =>
      run((g, io) => {
        parsePublicKey(id, "punch: id");
        return notBuilt("punch")(g, io);
      })
    );
}
