/**
 * The peerkit command line: global flags, the dispatch table, and the mapping of errors to
 * exit codes (0 success, 1 the operation failed, 2 usage error). Nothing else lives here.
 *
 * @example
 * ```ts
 * import { main } from "./cli.ts";
 * const code = await main(["--help"], { out: () => {}, err: () => {} });
 * console.assert(code === 0);
 * ```
 * @module
 */
import { Command, CommanderError, Option } from "@commander-js/extra-typings";
import { EXIT, type GlobalOptions, type Io } from "./commands/_io.ts";
import { registerKeygen } from "./commands/keygen.ts";
import { registerBootstrap } from "./commands/bootstrap.ts";
import { registerLookup } from "./commands/lookup.ts";
import { registerPunch } from "./commands/punch.ts";
import { registerRelay } from "./commands/relay.ts";
import { registerConnect } from "./commands/connect.ts";
import { registerSend } from "./commands/send.ts";
import { registerCompletions } from "./commands/completions.ts";
import { PeerkitError } from "./lib/util/errors.ts";
import { resolveHome } from "./lib/identity/home.ts";

/** peerkit's version. */
export const VERSION = "0.1.0";

const EXIT_CODES_HELP = `
Exit codes: 0 success, 1 the operation failed (peer not found, no path), 2 usage error.
State directory: --home DIR, else $PEERKIT_HOME, else ~/.peerkit.`;

/** Where `main` writes; defaults to the process's stdout and stderr. */
export interface Output {
  /** Writes text to stdout. */
  out(text: string): void;
  /** Writes text to stderr. */
  err(text: string): void;
}

const encoder = new TextEncoder();
const processOutput: Output = {
  out: (t) => void Deno.stdout.writeSync(encoder.encode(t)),
  err: (t) => void Deno.stderr.writeSync(encoder.encode(t)),
};

/**
 * Runs the CLI on `args` and resolves with the exit code.
 *
 * @example
 * ```ts
 * import { main } from "./cli.ts";
 * let err = "";
 * const code = await main(["--no-such-flag"], { out: () => {}, err: (t) => err += t });
 * console.assert(code === 2 && err.includes("unknown option"));
 * ```
 */
export async function main(args: string[], output: Output = processOutput): Promise<number> {
  let code: number = EXIT.OK;
  const env = Deno.env.toObject();
  const controller = new AbortController();
  const program = new Command("peerkit")
    .description("peer-to-peer connectivity toolkit: keys, DHT, NAT punching, relays, sessions")
    .version(VERSION, "-V, --version")
    .option("--json", "print one JSON document on stdout")
    .option("-q, --quiet", "print only results and errors")
    .option("-v, --verbose", "print more detail on stderr")
    .addOption(new Option("--home <dir>", "state directory").env("PEERKIT_HOME"))
    .addHelpText("after", EXIT_CODES_HELP)
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      writeOut: (t) => output.out(t),
      writeErr: (t) => output.err(t),
      outputError: (t, write) => write(t.replace(/^error: /, "peerkit: ")),
    });

  const run = async (body: (g: GlobalOptions, io: Io) => Promise<number>) => {
    const flags = program.opts();
    const g: GlobalOptions = {
      json: !!flags.json,
      quiet: !!flags.quiet,
      verbose: !!flags.verbose,
      home: resolveHome({ home: flags.home }, env),
    };
    const io: Io = {
      out: (l) => output.out(l + "\n"),
      err: (l) => output.err(l + "\n"),
      stderrIsTTY: Deno.stderr.isTerminal() && !env.NO_COLOR,
      env,
      signal: controller.signal,
    };
    code = await body(g, io);
  };

  registerKeygen(program, run);
  registerBootstrap(program, run);
  registerLookup(program, run);
  registerPunch(program, run);
  registerRelay(program, run);
  registerConnect(program, run);
  registerSend(program, run);
  registerCompletions(program, run);

  const stop = () => controller.abort();
  const signals: Deno.Signal[] = ["SIGINT", "SIGTERM"];
  for (const s of signals) Deno.addSignalListener(s, stop);
  try {
    await program.parseAsync(args, { from: "user" });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === "commander.helpDisplayed" || e.code === "commander.version") return EXIT.OK;
      if (e.code === "commander.help") return EXIT.OK;
      return EXIT.USAGE;
    }
    const verbose = args.includes("-v") || args.includes("--verbose");
    if (e instanceof PeerkitError) {
      if (args.includes("--json")) {
        output.out(JSON.stringify({ error: e.code, message: e.message }) + "\n");
      }
      output.err(`peerkit: ${e.message}\n`);
      if (verbose && e.cause) output.err(`  cause: ${String(e.cause)}\n`);
      return e.usage ? EXIT.USAGE : EXIT.FAILED;
    }
    output.err(`peerkit: internal error: ${e instanceof Error ? e.message : String(e)}\n`);
    if (verbose && e instanceof Error && e.stack) output.err(e.stack + "\n");
    return EXIT.FAILED;
  } finally {
    for (const s of signals) Deno.removeSignalListener(s, stop);
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
