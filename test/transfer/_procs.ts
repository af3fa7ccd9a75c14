/**
 * peerkit processes for the send end-to-end tests, the benchmark and the demo's checks:
 * spawn `cli.ts` with a home, collect stdout and stderr, wait for a line, stop by PID.
 *
 * @example
 * ```ts ignore
 * import { keygen, spawnPeerkit } from "./_procs.ts";
 * const key = await keygen("/tmp/home-a");
 * await using p = spawnPeerkit(["--home", "/tmp/home-b", "connect", "--listen", "--allow-any", "--relay", relay]);
 * await p.waitErr(/listening as/, 20_000);
 * ```
 * @module
 */

const CLI = new URL("../../cli.ts", import.meta.url).pathname;

/** A running (or finished) peerkit process. */
export interface PeerkitProcess extends AsyncDisposable {
  /** Process id. */
  readonly pid: number;
  /** When it was spawned (ms since the epoch). */
  readonly startedAt: number;
  /** stdout so far. */
  out(): string;
  /** stderr so far. */
  err(): string;
  /** Resolves with the first stderr line matching `re` (rejects after `timeoutMs` or at exit). */
  waitErr(re: RegExp, timeoutMs: number): Promise<string>;
  /** Resolves with the exit status once the output is collected. */
  readonly status: Promise<Deno.CommandStatus>;
  /** Sends `signal` (default SIGTERM), SIGKILL after 5 s; resolves with the status. */
  stop(signal?: Deno.Signal): Promise<Deno.CommandStatus>;
}

/**
 * Spawns `deno run -A cli.ts ...args` with `NO_COLOR=1` (stdin closed unless `stdin`).
 *
 * @example
 * ```ts ignore
 * const p = spawnPeerkit(["--version"]);
 * console.log((await p.status).code, p.out());
 * ```
 */
export function spawnPeerkit(
  args: string[],
  o: { stdin?: Uint8Array; cwd?: string } = {},
): PeerkitProcess {
  const startedAt = Date.now();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", CLI, ...args],
    env: { NO_COLOR: "1" },
    stdin: o.stdin ? "piped" : "null",
    stdout: "piped",
    stderr: "piped",
    ...(o.cwd ? { cwd: o.cwd } : {}),
  }).spawn();
  if (o.stdin) {
    const w = child.stdin.getWriter();
    w.write(o.stdin).then(() => w.close()).catch(() => {});
  }
  let out = "", err = "";
  const dec = () => new TextDecoder();
  const pump = async (s: ReadableStream<Uint8Array>, add: (t: string) => void) => {
    const d = dec();
    for await (const c of s) add(d.decode(c, { stream: true }));
  };
  const pumps = Promise.all([
    pump(child.stdout, (t) => out += t),
    pump(child.stderr, (t) => err += t),
  ]);
  const status = child.status.then(async (s) => (await pumps, s));
  let exited = false;
  void status.then(() => exited = true);
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
      }, 5000);
      const s = await status;
      clearTimeout(t);
      return s;
    })();
  return {
    pid: child.pid,
    startedAt,
    out: () => out,
    err: () => err,
    status,
    stop,
    async waitErr(re, timeoutMs) {
      const end = Date.now() + timeoutMs;
      for (;;) {
        const line = err.split("\n").find((l) => re.test(l));
        if (line !== undefined) return line;
        if (exited || Date.now() > end) {
          throw new Error(`no line matching ${re} (${exited ? "exited" : "timed out"}):\n${err}`);
        }
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    [Symbol.asyncDispose]: async () => void await stop(),
  };
}

/**
 * Creates the identity in `home` and returns its public key (upper-case hex).
 *
 * @example
 * ```ts ignore
 * const key = await keygen(await Deno.makeTempDir());
 * ```
 */
export async function keygen(home: string): Promise<string> {
  const p = spawnPeerkit(["--home", home, "--json", "keygen"]);
  const s = await p.status;
  if (s.code !== 0) throw new Error(`keygen failed: ${p.err()}`);
  return JSON.parse(p.out()).publicKey;
}

/**
 * Bytes of `path` once it has at least `n` of them, polling (rejects after `timeoutMs`).
 * `path` may be a function giving the path (for a partial file whose name is found late).
 *
 * @example
 * ```ts ignore
 * await waitForBytes(() => partialIn(dir, "big.bin"), 8 << 20, 30_000);
 * ```
 */
export async function waitForBytes(
  path: () => string | null,
  n: number,
  timeoutMs: number,
): Promise<number> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const p = path();
    const size = p === null ? 0 : await Deno.stat(p).then((s) => s.size, () => 0);
    if (size >= n) return size;
    if (Date.now() > end) throw new Error(`${p ?? "no file"} stayed at ${size} bytes`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * The partial file a receiver is writing in `dir` for the offered `name` (found through its
 * metadata file), or `null`.
 *
 * @example
 * ```ts ignore
 * const part = partialIn("/tmp/inbox", "big.bin");
 * ```
 */
export function partialIn(dir: string, name: string): string | null {
  for (const e of Deno.readDirSync(dir)) {
    if (!e.name.startsWith(".peerkit-") || !e.name.endsWith(".json")) continue;
    try {
      const meta = JSON.parse(Deno.readTextFileSync(`${dir}/${e.name}`));
      if (meta.name === name) return `${dir}/${e.name.replace(/\.json$/, ".part")}`;
    } catch { /* being written */ }
  }
  return null;
}

/**
 * A file of `n` pseudo-random bytes (seeded) at `path`.
 *
 * @example
 * ```ts ignore
 * await writePattern("/tmp/x.bin", 1 << 20, 7);
 * ```
 */
export async function writePattern(path: string, n: number, seed = 1): Promise<void> {
  const f = await Deno.open(path, { write: true, create: true, truncate: true });
  try {
    const chunk = new Uint8Array(1 << 20);
    let x = seed >>> 0 || 1;
    for (let done = 0; done < n; done += chunk.length) {
      for (let i = 0; i < chunk.length; i += 4) {
        x ^= x << 13;
        x ^= x >>> 17;
        x ^= x << 5;
        chunk[i] = x;
        chunk[i + 1] = x >>> 8;
        chunk[i + 2] = x >>> 16;
        chunk[i + 3] = x >>> 24;
      }
      const part = chunk.subarray(0, Math.min(chunk.length, n - done));
      let off = 0;
      while (off < part.length) off += await f.write(part.subarray(off));
    }
  } finally {
    f.close();
  }
}

/**
 * `connect --listen` saving `send`'s files under `saveDir`, answering `allow` (a key, or
 * `"any"`), not reading stdin; `flags` go before the command (`--verbose`), `extra` after.
 *
 * @example
 * ```ts ignore
 * await using bob = spawnReceiver("/tmp/b", "/tmp/inbox", "any", ["--relay", relay, "--keep-open"]);
 * ```
 */
export function spawnReceiver(
  home: string,
  saveDir: string,
  allow: string,
  extra: string[],
  flags: string[] = [],
): PeerkitProcess {
  const who = allow === "any" ? ["--allow-any"] : ["--allow", allow];
  return spawnPeerkit([
    ...["--home", home, ...flags, "connect", "--listen", ...who, "--recv-only"],
    ...["--save-dir", saveDir, ...extra],
  ]);
}

/**
 * `send --json` from `home` to `peer` with `args` (what to send, then the path options).
 *
 * @example
 * ```ts ignore
 * const p = spawnSend("/tmp/a", bobKey, ["--file", "x.bin", "--relay", relay]);
 * ```
 */
export function spawnSend(
  home: string,
  peer: string,
  args: string[],
  stdin?: Uint8Array,
): PeerkitProcess {
  return spawnPeerkit(["--home", home, "--json", "send", peer, ...args], stdin ? { stdin } : {});
}
