/**
 * Runs `peerkit relay serve` (or any `cli.ts` command line that prints a start-up line) as its
 * own process for end-to-end tests, interop tests and benchmarks: collects stdout and stderr,
 * waits for the first stdout line, and stops the process by its PID (SIGKILL if a signal is
 * not enough), also when it fails to start.
 *
 * @example
 * ```ts ignore
 * import { spawnRelayServe } from "./relay_serve.ts";
 * await using s = await spawnRelayServe(
 *   ["--json", "relay", "serve", "--host", "127.0.0.1", "--udp-port", "0", "--tcp-port", "0"],
 *   { tempHome: true },
 * );
 * console.log(JSON.parse(s.firstLine()).publicKey);
 * ```
 * @module
 */

const CLI = new URL("../../cli.ts", import.meta.url).pathname;

/** Options of {@link spawnRelayServe}. */
export interface SpawnRelayServeOptions {
  /** Put `--home <fresh temp dir>` first and remove the directory on stop (default false). */
  tempHome?: boolean;
  /** How long to wait for the first stdout line (default 20 s). */
  startTimeoutMs?: number;
  /** How long after the stop signal before SIGKILL (default 5 s). */
  killAfterMs?: number;
  /** "inherit" shows the process's stderr on ours instead of collecting it (default "piped"). */
  stderr?: "piped" | "inherit";
}

/** A running `cli.ts` process. */
export interface RelayServeProcess extends AsyncDisposable {
  /** Process id. */
  pid: number;
  /** The first stdout line (the start-up document with `--json`). */
  firstLine(): string;
  /** All stdout so far. */
  out(): string;
  /** All stderr so far (empty with `stderr: "inherit"`). */
  err(): string;
  /** Sends `signal` (default SIGTERM) and waits for the exit; the same status on every call. */
  stop(signal?: Deno.Signal): Promise<Deno.CommandStatus>;
}

/**
 * Spawns `deno run -A cli.ts ...args` and resolves once it has printed a whole stdout line.
 * Rejects (after stopping the process) when it exits or stays silent for `startTimeoutMs`.
 */
export async function spawnRelayServe(
  args: string[],
  opts: SpawnRelayServeOptions = {},
): Promise<RelayServeProcess> {
  const home = opts.tempHome ? await Deno.makeTempDir({ prefix: "peerkit-relay-" }) : null;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", CLI, ...(home ? ["--home", home] : []), ...args],
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: opts.stderr ?? "piped",
  }).spawn();
  let out = "", err = "", exited = false;
  const d = new TextDecoder();
  const pump = async (s: ReadableStream<Uint8Array>, add: (t: string) => void) => {
    for await (const c of s) add(d.decode(c, { stream: true }));
  };
  const pumps = Promise.all([
    pump(child.stdout, (t) => out += t),
    opts.stderr === "inherit" ? undefined : pump(child.stderr, (t) => err += t),
  ]);
  child.status.then(() => exited = true);
  let stopping: Promise<Deno.CommandStatus> | null = null;
  const stop = (signal: Deno.Signal = "SIGTERM") =>
    stopping ??= (async () => {
      try {
        child.kill(signal);
      } catch { /* already gone */ }
      const t = setTimeout(() => {
        try {
          child.kill("SIGKILL");
        } catch { /* already gone */ }
      }, opts.killAfterMs ?? 5000);
      const status = await child.status;
      clearTimeout(t);
      await pumps;
      if (home) await Deno.remove(home, { recursive: true }).catch(() => {});
      return status;
    })();
  const deadline = Date.now() + (opts.startTimeoutMs ?? 20_000);
  while (!out.includes("\n")) {
    if (exited) await pumps; // the line may still be in the pipe
    if (out.includes("\n")) break;
    if (exited || Date.now() > deadline) {
      await stop();
      throw new Error(`relay serve did not start (${exited ? "exited" : "timed out"}):\n${err}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return {
    pid: child.pid,
    firstLine: () => out.split("\n")[0]!,
    out: () => out,
    err: () => err,
    stop,
    [Symbol.asyncDispose]: async () => void await stop(),
  };
}

/** A `peerkit relay serve --json` on 127.0.0.1 with free ports, from {@link spawnLoopbackRelay}. */
export interface LoopbackRelay extends AsyncDisposable {
  /** The process. */
  process: RelayServeProcess;
  /** DHT (UDP) port. */
  udpPort: number;
  /** TCP relay port. */
  tcpPort: number;
  /** Its public key, 64 upper-case hex characters (from the start-up document). */
  publicKeyHex: string;
}

/**
 * Spawns `peerkit relay serve --json` on 127.0.0.1 with UDP and TCP ports the system picks and a temporary
 * state directory, plus `extra` flags, and reads its start-up document.
 *
 * @example
 * ```ts ignore
 * import { spawnLoopbackRelay } from "./relay_serve.ts";
 * await using r = await spawnLoopbackRelay(["--rate", "0"]);
 * console.log(r.tcpPort, r.publicKeyHex);
 * ```
 */
export async function spawnLoopbackRelay(
  extra: string[] = [],
  opts: Omit<SpawnRelayServeOptions, "tempHome"> = {},
): Promise<LoopbackRelay> {
  const process = await spawnRelayServe([
    "--json",
    "relay",
    "serve",
    "--host",
    "127.0.0.1",
    "--udp-port",
    "0",
    "--tcp-port",
    "0",
    ...extra,
  ], { ...opts, tempHome: true });
  const doc = JSON.parse(process.firstLine());
  const port = (a: string) => Number(a.split(":").pop());
  return {
    process,
    udpPort: port(doc.udp),
    tcpPort: port(doc.tcp[0]),
    publicKeyHex: doc.publicKey,
    [Symbol.asyncDispose]: async () => void await process.stop(),
  };
}
