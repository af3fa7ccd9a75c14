/**
 * `peerkit connect`: open an end-to-end encrypted session to a peer. Not built yet: it says so and exits 1 until its issue lands.
 *
 * @example
 * ```ts
 * import { Command } from "@commander-js/extra-typings";
 * import { registerConnect } from "./connect.ts";
 * registerConnect(new Command(), async () => {});
 * ```
 * @module
 */
import { notBuilt, type Program, type Runner } from "./_io.ts";
import { parsePublicKey } from "../lib/identity/pubkey.ts";

/**
 * Adds `connect` to the program.
 *
 * @example
 * ```ts
 * import { Command } from "@commander-js/extra-typings";
 * import { registerConnect } from "./connect.ts";
 * registerConnect(new Command(), async () => {});
 * ```
 */
export function registerConnect(program: Program, run: Runner): void {
  program.command("connect <id>")
    .description("open an end-to-end encrypted session to a peer (not built yet)")
    .addHelpText(
      "after",
      `
Example:
  $ peerkit connect 0123…(64 hex)`,
    )
    .action((id) =>
      run((g, io) => {
        parsePublicKey(id, "connect: id");
        return notBuilt("connect")(g, io);
      })
    );
}
