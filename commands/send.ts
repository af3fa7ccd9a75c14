/**
 * `peerkit send`: send a file or stdin to a peer over the best path. Not built yet: it says so and exits 1 until its issue lands.
 *
 * @example
 * ```ts
 * import { Command } from "@commander-js/extra-typings";
 * import { registerSend } from "./send.ts";
 * registerSend(new Command(), async () => {});
 * ```
 * @module
 */
import { notBuilt, type Program, type Runner } from "./_io.ts";
import { parsePublicKey } from "../lib/identity/pubkey.ts";

/**
 * Adds `send` to the program.
 *
 * @example
 * ```ts
 * import { Command } from "@commander-js/extra-typings";
 * import { registerSend } from "./send.ts";
 * registerSend(new Command(), async () => {});
 * ```
 */
export function registerSend(program: Program, run: Runner): void {
  program.command("send <id> [file]")
    .description("send a file or stdin to a peer over the best path (not built yet)")
    .addHelpText(
      "after",
      `
Example:
  $ peerkit send 0123…(64 hex) notes.txt`,
    )
    .action((id) =>
      run((g, io) => {
        parsePublicKey(id, "send: id");
        return notBuilt("send")(g, io);
      })
    );
}
