/**
 * A real NAT lab in network namespaces for tests: two home routers with chosen RFC 4787
 * personalities, one host behind each, and an "inet" namespace whose server (the
 * rendezvous / STUN-style {@link ./probe.ts}) answers on 203.0.113.10 and .11, ports 3478
 * and 3479. Needs root, `ip` and `nft`.
 *
 * Namespaces are named `pk-<pid>-<seq>-<role>`, so parallel runs never collide and a later
 * run can delete what a killed one left ({@link sweepStale}). `close()` stops every process
 * the lab started by its PID, then deletes the namespaces by name.
 *
 * @example
 * ```ts ignore
 * import { NatLab } from "./lab.ts";
 * await using lab = await NatLab.create({ a: "symmetric", b: "full-cone" });
 * const r = await lab.exec("host-a", ["ip", "-br", "addr"]);
 * console.log(r.stdout);
 * ```
 * @module
 */

import { labNames, namespacesWithPrefix, setupPlan, staleNamespaces } from "./plan.ts";
import type { LabHost, LabOptions, Step } from "./plan.ts";
import { startDelayHops } from "./delay_hop.ts";
export { ADDR, LAB_HOSTS, PERSONALITIES } from "./plan.ts";
export type { LabHost, LabOptions, Personality } from "./plan.ts";

/**
 * The probe program run inside the namespaces.
 *
 * @example
 * ```ts
 * import { PROBE } from "./lab.ts";
 * console.assert(PROBE.endsWith("/probe.ts"));
 * ```
 */
export const PROBE = new URL("./probe.ts", import.meta.url).pathname;

/**
 * Ports the inet server listens on, on both of its addresses.
 *
 * @example
 * ```ts
 * import { SERVER_PORTS } from "./lab.ts";
 * console.assert(SERVER_PORTS[0] === 3478);
 * ```
 */
export const SERVER_PORTS = [3478, 3479] as const;

/** The result of {@link NatLab.exec}. */
export interface ExecResult {
  /** Exit code (killed by the timeout: non-zero). */
  code: number;
  /** Standard output. */
  stdout: string;
  /** Standard error. */
  stderr: string;
}

/** A process started with {@link NatLab.spawn}. */
export interface LabProcess {
  /** Its PID. */
  pid: number;
  /** Collected stdout so far. */
  out(): string;
  /** Resolves with the first stdout line (rejects after `timeoutMs` or on exit). */
  firstLine(timeoutMs?: number): Promise<string>;
  /** SIGTERM, SIGKILL after 1 s; resolves with the exit status. */
  stop(): Promise<Deno.CommandStatus>;
}

let seq = 0;

/**
 * One running lab.
 *
 * @example
 * ```ts ignore
 * import { NatLab } from "./lab.ts";
 * await using lab = await NatLab.create({ a: "symmetric", b: "full-cone", netem: { lossPct: 5 } });
 * const r = await lab.exec("host-a", ["ip", "route"]);
 * const p = lab.spawn("host-b", ["sleep", "5"]); // stopped by PID at close
 * ```
 */
export class NatLab implements AsyncDisposable {
  /** Namespace name of each role. */
  readonly names: Record<LabHost, string>;
  /** The options it was built with. */
  readonly options: LabOptions;
  #procs = new Set<LabProcess>();
  #closed = false;

  private constructor(names: Record<LabHost, string>, options: LabOptions) {
    this.names = names;
    this.options = options;
  }

  /**
   * Builds a lab and starts the inet server. The prefix is `$PK_LAB_PREFIX` (as set by
   * `run.sh`) or `pk-<our pid>-`, then a sequence number. On any failure, whatever was
   * created is removed before the error is thrown.
   */
  static async create(options: LabOptions): Promise<NatLab> {
    await sweepStale();
    const lab = new NatLab(labNames(`${labPrefix()}${seq++}-`), options);
    try {
      for (const step of setupPlan(options, lab.names)) await run(step);
      await startDelayHops(lab);
      const server = lab.spawn("inet", [
        ...denoProbe(),
        "server",
        "--max-seconds",
        "600",
      ]);
      const line = await server.firstLine(10_000);
      if (!line.startsWith("ready")) throw new Error(`lab server did not start: ${line}`);
    } catch (e) {
      await lab.close();
      throw e;
    }
    return lab;
  }

  /** Runs `argv` inside the namespace of `host`, bounded by `timeoutMs` (default 20 s). */
  async exec(host: LabHost, argv: string[], timeoutMs = 20_000): Promise<ExecResult> {
    return await output(["ip", "netns", "exec", this.names[host], ...argv], timeoutMs);
  }

  /** Runs the probe program inside `host` and parses the JSON of its last stdout line. */
  async probe<T>(host: LabHost, args: string[], timeoutMs = 20_000): Promise<T> {
    const r = await this.exec(host, [...denoProbe(), ...args], timeoutMs);
    const last = r.stdout.trim().split("\n").at(-1) ?? "";
    if (r.code !== 0 || !last.startsWith("{")) {
      throw new Error(`probe ${args[0]} in ${host} failed (${r.code}): ${r.stderr.trim()}`);
    }
    return JSON.parse(last) as T;
  }

  /** Starts `argv` inside `host`; `close()` stops it by PID if the caller did not. */
  spawn(host: LabHost, argv: string[]): LabProcess {
    if (this.#closed) throw new Error("lab is closed");
    const child = new Deno.Command("ip", {
      args: ["netns", "exec", this.names[host], ...argv],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const p = wrap(child, () => this.#procs.delete(p));
    this.#procs.add(p);
    return p;
  }

  /** Stops every process the lab started, then deletes its namespaces. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all([...this.#procs].map((p) => p.stop()));
    await removeNamespaces(Object.values(this.names));
  }

  /** Same as {@link close}. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/**
 * The name prefix of this process's labs: `$PK_LAB_PREFIX` (set by `run.sh` to
 * `pk-<its PID>-`) or `pk-<our PID>-`.
 *
 * @example
 * ```ts
 * import { labPrefix } from "./lab.ts";
 * console.assert(labPrefix().startsWith("pk-"));
 * ```
 */
export function labPrefix(): string {
  const env = Deno.env.get("PK_LAB_PREFIX");
  return env && /^pk-\d+-$/.test(env) ? env : `pk-${Deno.pid}-`;
}

/**
 * `deno run` arguments for the probe program.
 *
 * @example
 * ```ts
 * import { denoProbe } from "./lab.ts";
 * console.assert(denoProbe().includes("--unstable-net"));
 * ```
 */
export function denoProbe(): string[] {
  return [Deno.execPath(), "run", "-A", "--quiet", "--no-config", "--unstable-net", PROBE];
}

/**
 * True when this machine can run the lab: root, `ip netns` and `nft` work. Creates and
 * deletes one scratch namespace.
 *
 * @example
 * ```ts ignore
 * import { labAvailable } from "./lab.ts";
 * const { ok, reason } = await labAvailable();
 * ```
 */
export async function labAvailable(): Promise<{ ok: boolean; reason: string }> {
  if (Deno.uid?.() !== 0) return { ok: false, reason: "not root" };
  const ns = `pk-${Deno.pid}-probe`;
  try {
    const add = await output(["ip", "netns", "add", ns], 5_000);
    if (add.code !== 0) return { ok: false, reason: `ip netns add: ${add.stderr.trim()}` };
    const nft = await output(["ip", "netns", "exec", ns, "nft", "list", "ruleset"], 5_000);
    if (nft.code !== 0) return { ok: false, reason: `nft: ${nft.stderr.trim()}` };
    return { ok: true, reason: "" };
  } catch (e) {
    return { ok: false, reason: `ip netns unavailable: ${(e as Error).message}` };
  } finally {
    await output(["ip", "netns", "del", ns], 5_000).catch(() => {});
  }
}

/**
 * True when the kernel has the netem qdisc (lab `netem.delayMs` needs it).
 *
 * @example
 * ```ts ignore
 * import { netemAvailable } from "./lab.ts";
 * if (!(await netemAvailable())) console.log("no WAN delay on this kernel");
 * ```
 */
export async function netemAvailable(): Promise<boolean> {
  const ns = `pk-${Deno.pid}-netem`;
  try {
    await output(["ip", "netns", "add", ns], 5_000);
    await output(["ip", "-n", ns, "link", "add", "name", "t0", "type", "dummy"], 5_000);
    const r = await output(
      ["tc", "-n", ns, "qdisc", "add", "dev", "t0", "root", "netem", "delay", "1ms"],
      5_000,
    );
    return r.code === 0;
  } catch {
    return false;
  } finally {
    await output(["ip", "netns", "del", ns], 5_000).catch(() => {});
  }
}

/**
 * Deletes every namespace whose name starts with `prefix`; returns the names deleted.
 *
 * @example
 * ```ts ignore
 * import { removeByPrefix } from "./lab.ts";
 * await removeByPrefix("pk-12345-");
 * ```
 */
export async function removeByPrefix(prefix: string): Promise<string[]> {
  const list = await output(["ip", "netns", "list"], 5_000);
  const names = namespacesWithPrefix(list.stdout, prefix);
  await removeNamespaces(names);
  return names;
}

/**
 * Deletes namespaces left by labs whose process (the PID in the name) is gone.
 *
 * @example
 * ```ts ignore
 * import { sweepStale } from "./lab.ts";
 * console.log(await sweepStale()); // names removed
 * ```
 */
export async function sweepStale(): Promise<string[]> {
  const list = await output(["ip", "netns", "list"], 5_000);
  const names = staleNamespaces(list.stdout, pidAlive);
  await removeNamespaces(names);
  return names;
}

async function removeNamespaces(names: string[]): Promise<void> {
  for (const ns of names) {
    // Processes still inside (from a killed run) keep a namespace alive: stop them first.
    const pids = await output(["ip", "netns", "pids", ns], 5_000);
    for (const pid of pids.stdout.split(/\s+/).filter((s) => /^\d+$/.test(s)).slice(0, 1000)) {
      try {
        Deno.kill(Number(pid), "SIGKILL");
      } catch { /* already gone */ }
    }
    await output(["ip", "netns", "del", ns], 5_000);
  }
}

function pidAlive(pid: number): boolean {
  try {
    Deno.statSync(`/proc/${pid}`);
    return true;
  } catch {
    return false;
  }
}

async function run(step: Step): Promise<void> {
  const r = await output(step.argv, 10_000, step.stdin);
  if (r.code !== 0) {
    const why = r.stderr.trim().split("\n")[0] ?? "";
    if (step.argv.includes("netem")) {
      throw new Error(`tc netem is not available in this kernel (${why})`);
    }
    throw new Error(`lab setup failed: ${step.argv.join(" ")}: ${why}`);
  }
}

async function output(argv: string[], timeoutMs: number, stdin?: string): Promise<ExecResult> {
  const [cmd, ...args] = argv;
  const child = new Deno.Command(cmd!, {
    args,
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch { /* gone */ }
  }, timeoutMs);
  try {
    if (stdin !== undefined) {
      const w = child.stdin.getWriter();
      await w.write(new TextEncoder().encode(stdin));
      await w.close();
    }
    const r = await child.output();
    const d = new TextDecoder();
    return { code: r.code, stdout: d.decode(r.stdout), stderr: d.decode(r.stderr) };
  } finally {
    clearTimeout(timer);
  }
}

function wrap(child: Deno.ChildProcess, onExit: () => void): LabProcess {
  let out = "";
  const waiters: Array<() => void> = [];
  let exited = false;
  const d = new TextDecoder();
  const pumpOut = (async () => {
    for await (const c of child.stdout) {
      out += d.decode(c, { stream: true });
      for (const w of waiters.splice(0)) w();
    }
  })();
  const pumpErr = (async () => {
    for await (const _ of child.stderr) { /* drained so the child never blocks */ }
  })();
  const status = child.status.then(async (s) => {
    exited = true;
    await Promise.all([pumpOut, pumpErr]);
    for (const w of waiters.splice(0)) w();
    onExit();
    return s;
  });
  let stopping: Promise<Deno.CommandStatus> | null = null;
  return {
    pid: child.pid,
    out: () => out,
    async firstLine(timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (!out.includes("\n")) {
        if (exited) throw new Error(`process exited before printing a line: ${out}`);
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`no output within ${timeoutMs} ms`);
        let t: ReturnType<typeof setTimeout> | undefined;
        await new Promise<void>((res) => {
          waiters.push(res);
          t = setTimeout(res, left);
        });
        clearTimeout(t);
      }
      return out.slice(0, out.indexOf("\n"));
    },
    stop() {
      return stopping ??= (async () => {
        try {
          child.kill("SIGTERM");
        } catch { /* gone */ }
        const t = setTimeout(() => {
          try {
            child.kill("SIGKILL");
          } catch { /* gone */ }
        }, 1_000);
        try {
          return await status;
        } finally {
          clearTimeout(t);
        }
      })();
    },
  };
}
