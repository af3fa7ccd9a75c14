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
  /** Aborted on SIGINT, SIGTERM or SIGHUP. */
  readonly signal: AbortSignal;
  /** The user's working directory, against which relative paths resolve. */
  readonly cwd: string;
  /** The process's stdin as bytes (`connect`'s stream, `send -`); absent where not wired. */
  readonly rawStdin?: ReadableStream<Uint8Array>;
  /** Writes bytes to stdout unframed (`connect`'s stream); absent where not wired. */
  readonly rawStdout?: (bytes: Uint8Array) => Promise<void>;
  /** Whether stdin is an interactive terminal. */
  readonly stdinIsTTY?: boolean;
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

/** The checkout's directory, where `deno task` runs peerkit's tasks. */
const TASK_DIR = new URL("..", import.meta.url).pathname.replace(/\/$/, "");

/**
 * The directory the user ran peerkit from. `deno task` runs a task in the config's
 * directory and puts the caller's directory in `INIT_CWD`, so when the process runs in
 * the checkout (`taskDir`) an absolute `INIT_CWD` wins; anywhere else (an installed
 * `peerkit`) the process's own working directory is the user's, whatever `INIT_CWD` an
 * outer npm or deno task left behind.
 *
 * @example
 * ```ts
 * import { userCwd } from "./_io.ts";
 * console.assert(userCwd({ INIT_CWD: "/home/me/docs" }, Deno.cwd()) === "/home/me/docs");
 * console.assert(userCwd({ INIT_CWD: "/home/me/docs" }, "/elsewhere") === Deno.cwd());
 * console.assert(userCwd({}) === Deno.cwd());
 * ```
 */
export function userCwd(env: Record<string, string | undefined>, taskDir = TASK_DIR): string {
  const cwd = Deno.cwd();
  const init = env.INIT_CWD;
  return init !== undefined && init.startsWith("/") && cwd === taskDir ? init : cwd;
}

/**
 * `path` as an absolute, normalised path, relative ones taken from `cwd`.
 *
 * @example
 * ```ts
 * import { resolvePath } from "./_io.ts";
 * console.assert(resolvePath("/home/me/docs", "../rel.key") === "/home/me/rel.key");
 * console.assert(resolvePath("/x", "/etc/k") === "/etc/k");
 * ```
 */
export function resolvePath(cwd: string, path: string): string {
  const out: string[] = [];
  for (const part of (path.startsWith("/") ? path : `${cwd}/${path}`).split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") out.pop();
    else out.push(part);
  }
  return "/" + out.join("/");
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
    cwd: Deno.cwd(),
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
