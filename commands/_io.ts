/**
 * What every subcommand receives from `cli.ts`: the global options and the process's
 * streams, so commands are testable without spawning.
 *
 * @example
 * ```ts
 * import { bufferIo } from "./_io.ts";
 * const io = bufferIo();
 * io.out("hello");
 * console.assert(io.stdout() === "hello\n");
 * ```
 * @module
 */
import type { Command } from "@commander-js/extra-typings";

/** Global options, after resolution. */
export interface GlobalOptions {
  /** Print one JSON document on stdout. */
  json: boolean;
  /** Print nothing but results and errors. */
  quiet: boolean;
  /** Print more detail on stderr. */
  verbose: boolean;
  /** State directory. */
  home: string;
}

/** Output channels and environment. */
export interface Io {
  /** Writes a line to stdout. */
  out(line: string): void;
  /** Writes a line to stderr. */
  err(line: string): void;
  /** Whether stderr is an interactive terminal (progress output). */
  readonly stderrIsTTY: boolean;
  /** Environment variables. */
  readonly env: Record<string, string | undefined>;
  /** Aborted on SIGINT/SIGTERM. */
  readonly signal: AbortSignal;
}

/** Exit codes, as documented in the README. */
export const EXIT = { OK: 0, FAILED: 1, USAGE: 2 } as const;

/**
 * Prints `value` as one JSON document in `--json` mode, otherwise the human lines.
 *
 * @example
 * ```ts
 * import { bufferIo, emit } from "./_io.ts";
 * const io = bufferIo();
 * emit({ json: true, quiet: false, verbose: false, home: "" }, io, { a: 1 }, ["a is 1"]);
 * console.assert(io.stdout() === '{"a":1}\n');
 * ```
 */
export function emit(g: GlobalOptions, io: Io, value: unknown, human: string[]): void {
  if (g.json) io.out(JSON.stringify(value));
  else for (const l of human) io.out(l);
}

/** An {@link Io} that records output, for tests. */
export interface BufferIo extends Io {
  /** Everything written to stdout. */
  stdout(): string;
  /** Everything written to stderr. */
  stderr(): string;
}

/**
 * An in-memory {@link Io}.
 *
 * @example
 * ```ts
 * import { bufferIo } from "./_io.ts";
 * const io = bufferIo();
 * io.err("x");
 * console.assert(io.stderr() === "x\n");
 * ```
 */
export function bufferIo(env: Record<string, string | undefined> = {}): BufferIo {
  let out = "", err = "";
  return {
    out: (l) => void (out += l + "\n"),
    err: (l) => void (err += l + "\n"),
    stderrIsTTY: false,
    env,
    signal: new AbortController().signal,
    stdout: () => out,
    stderr: () => err,
  };
}

/**
 * The zod namespace, passed to schema builders so that commands load zod only when they
 * run (`await import("zod")`), not for `--help` or other commands.
 */
export type Zod = typeof import("zod").z;

/** How a command's action hands its body to `cli.ts`, which supplies globals, I/O and exit codes. */
export type Runner = (body: (g: GlobalOptions, io: Io) => Promise<number>) => Promise<void>;

/** The program type commands attach to. */
export type Program = Command<[], Record<string, unknown>>;

/**
 * Body of a subcommand whose issue has not landed: says so on stderr and exits 1.
 *
 * @example
 * ```ts
 * import { bufferIo, notBuilt } from "./_io.ts";
 * const io = bufferIo();
 * console.assert(await notBuilt("punch")({ json: false, quiet: false, verbose: false, home: "" }, io) === 1);
 * ```
 */
export function notBuilt(name: string): (g: GlobalOptions, io: Io) => Promise<number> {
  return (g, io) => {
    const message = `peerkit ${name} is not built yet; it arrives with its own issue`;
    if (g.json) io.out(JSON.stringify({ error: "NOT_BUILT", message }));
    io.err(`peerkit: ${message}`);
    return Promise.resolve(EXIT.FAILED);
  };
}
