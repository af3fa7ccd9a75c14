/**
 * Runs the peerkit CLI as a separate process, the way a user or a script does.
 *
 * @example
 * ```ts ignore
 * import { peerkit } from "./cli.ts";
 * const r = await peerkit(["--help"]);
 * console.log(r.code, r.stdout);
 * ```
 * @module
 */

const CLI = new URL("../../cli.ts", import.meta.url).pathname;

/** Result of one CLI run. */
export interface CliResult {
  /** Exit code. */
  code: number;
  /** Everything on stdout. */
  stdout: string;
  /** Everything on stderr. */
  stderr: string;
}

/**
 * Spawns `deno run -A cli.ts ...args` with a clean environment plus `env`, and collects
 * its output. Killed after `timeoutMs` (default 60 s).
 *
 * @example
 * ```ts ignore
 * import { peerkit } from "./cli.ts";
 * console.log((await peerkit(["keygen", "--json"], { PEERKIT_HOME: "/tmp/x" })).stdout);
 * ```
 */
export async function peerkit(
  args: string[],
  env: Record<string, string> = {},
  opts: { timeoutMs?: number; stdin?: string; cwd?: string } = {},
): Promise<CliResult> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", CLI, ...args],
    env: { NO_COLOR: "1", HOME: Deno.env.get("HOME") ?? "/tmp", ...env },
    clearEnv: true,
    ...(opts.cwd !== undefined ? { cwd: opts.cwd } : {}),
    stdin: opts.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (opts.stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(opts.stdin));
    await w.close();
  }
  const timer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
  }, opts.timeoutMs ?? 60_000);
  try {
    const out = await child.output();
    const d = new TextDecoder();
    return { code: out.code, stdout: d.decode(out.stdout), stderr: d.decode(out.stderr) };
  } finally {
    clearTimeout(timer);
  }
}
