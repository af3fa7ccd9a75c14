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
import { EXIT, type GlobalOptions, type Io, resolvePath, userCwd } from "./commands/_io.ts";
import { registerKeygen } from "./commands/keygen.ts";
import { registerBootstrap } from "./commands/bootstrap.ts";
import { registerLookup } from "./commands/lookup.ts";
import { registerNat } from "./commands/nat.ts";
import { registerPunch } from "./commands/punch.ts";
import { registerRelay } from "./commands/relay.ts";
import { registerConnect } from "./commands/connect.ts";
import { registerSend } from "./commands/send.ts";
import { registerFriend } from "./commands/friend.ts";
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
 * Runs the CLI on `args` and resolves with the exit code. A leading lone `--` is dropped
 * (`deno task peerkit -- --json keygen` passes it through). Under `--json` every exit
 * prints exactly one JSON document on stdout: the command's result, `{"error": CODE,
 * "message": …}` (usage errors are `"USAGE"`), `{"help": …}` or `{"version": …}`.
 *
 * @example
 * ```ts
 * import { main } from "./cli.ts";
 * let err = "", out = "";
 * const code = await main(["--json", "--no-such-flag"], { out: (t) => out += t, err: (t) => err += t });
 * console.assert(code === 2 && err.includes("unknown option") && JSON.parse(out).error === "USAGE");
 * ```
 */
export async function main(argv: string[], output: Output = processOutput): Promise<number> {
  const args = argv[0] === "--" ? argv.slice(1) : argv;
  const end = args.indexOf("--");
  const jsonMode = (end < 0 ? args : args.slice(0, end)).includes("--json");
  const verbose = args.includes("-v") || args.includes("--verbose");
  let code: number = EXIT.OK;
  let wroteDocument = false, helpText = "", lastError = "";
  const out = (t: string) => {
    wroteDocument = true;
    output.out(t);
  };
  // `connect`'s stdout is the peer's data: its JSON documents go to stderr instead.
  const dataOnStdout = commandName(args) === "connect";
  const document = (value: unknown) => {
    if (dataOnStdout) output.err(JSON.stringify(value) + "\n");
    else if (!wroteDocument) out(JSON.stringify(value) + "\n");
  };
  const env = Deno.env.toObject();
  const cwd = userCwd(env);
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
      writeOut: (t) => jsonMode ? void (helpText += t) : output.out(t),
      writeErr: (t) => output.err(t),
      outputError: (t, write) => {
        lastError = t.replace(/^error: /, "").trim();
        write(t.replace(/^error: /, "peerkit: "));
      },
    });

  const run = async (body: (g: GlobalOptions, io: Io) => Promise<number>) => {
    const flags = program.opts();
    const g: GlobalOptions = {
      json: !!flags.json,
      quiet: !!flags.quiet,
      verbose: !!flags.verbose,
      home: resolvePath(cwd, resolveHome({ home: flags.home }, env)),
    };
    const io: Io = {
      out: (l) => out(l + "\n"),
      err: (l) => output.err(l + "\n"),
      stderrIsTTY: Deno.stderr.isTerminal() && !env.NO_COLOR,
      env,
      signal: controller.signal,
      cwd,
      get rawStdin() {
        return Deno.stdin.readable;
      },
      rawStdout: async (bytes) => {
        wroteDocument = true;
        for (let off = 0; off < bytes.length;) off += await Deno.stdout.write(bytes.subarray(off));
      },
      stdinIsTTY: Deno.stdin.isTerminal(),
    };
    code = await body(g, io);
  };

  registerKeygen(program, run);
  registerBootstrap(program, run);
  registerLookup(program, run);
  registerNat(program, run);
  registerPunch(program, run);
  registerRelay(program, run);
  registerConnect(program, run);
  registerSend(program, run);
  registerFriend(program, run);
  registerCompletions(program, run);

  const stop = () => controller.abort();
  for (const s of STOP_SIGNALS) Deno.addSignalListener(s, stop);
  try {
    await program.parseAsync(args, { from: "user" });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      // "commander.help" with exit code 0 is `peerkit help <command>`.
      if (
        e.code === "commander.helpDisplayed" || (e.code === "commander.help" && e.exitCode === 0)
      ) {
        if (jsonMode) document({ help: helpText });
        return EXIT.OK;
      }
      if (e.code === "commander.version") {
        if (jsonMode) document({ version: VERSION });
        return EXIT.OK;
      }
      // "commander.help": a command that needs a subcommand got none; its help went to stderr.
      const message = e.code === "commander.help"
        ? "missing subcommand; see --help"
        : lastError || e.message.replace(/^error: /, "");
      if (jsonMode) document({ error: "USAGE", message });
      return EXIT.USAGE;
    }
    if (e instanceof PeerkitError) {
      if (jsonMode) document({ error: e.code, message: e.message });
      output.err(`peerkit: ${e.message}\n`);
      if (verbose && e.cause) output.err(`  cause: ${String(e.cause)}\n`);
      return e.usage ? EXIT.USAGE : EXIT.FAILED;
    }
    const message = e instanceof Error ? e.message : String(e);
    if (jsonMode) document({ error: "INTERNAL", message });
    output.err(`peerkit: internal error: ${message}\n`);
    if (verbose && e instanceof Error && e.stack) output.err(e.stack + "\n");
    return EXIT.FAILED;
  } finally {
    for (const s of STOP_SIGNALS) Deno.removeSignalListener(s, stop);
  }
}

/**
 * The subcommand named in `args`: the first word that is neither a global option nor the
 * value of `--home`.
 *
 * @example
 * ```ts
 * import { commandName } from "./cli.ts";
 * console.assert(commandName(["--home", "connect", "send", "connect"]) === "send");
 * ```
 */
export function commandName(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "--home") i++;
    else if (!a.startsWith("-")) return a;
  }
  return undefined;
}

/** Signals that stop a running command cleanly (SIGHUP: the terminal went away). */
export const STOP_SIGNALS: readonly Deno.Signal[] = ["SIGINT", "SIGTERM", "SIGHUP"];

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
