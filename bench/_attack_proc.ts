/**
 * Resident memory and open descriptors of a process, from /proc (Linux), for
 * bench/attack.ts.
 *
 * @example
 * ```ts
 * import { sampleProc } from "./_attack_proc.ts";
 * console.assert(sampleProc(Deno.pid).rssMiB > 0);
 * ```
 * @module
 */

/** One sample. */
export interface ProcSample {
  /** VmRSS in MiB (0 when the process is gone). */
  rssMiB: number;
  /** Open descriptors (0 when the process is gone). */
  fds: number;
}

/** Most descriptors counted (a bound on the directory walk). */
const MAX_FDS = 100_000;

/**
 * VmRSS and descriptor count of `pid` now; zeros when it is gone.
 *
 * @example
 * ```ts
 * import { sampleProc } from "./_attack_proc.ts";
 * console.assert(sampleProc(Deno.pid).fds > 0);
 * ```
 */
export function sampleProc(pid: number): ProcSample {
  try {
    const status = Deno.readTextFileSync(`/proc/${pid}/status`);
    const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    let fds = 0;
    for (const _ of Deno.readDirSync(`/proc/${pid}/fd`)) if (++fds >= MAX_FDS) break;
    return { rssMiB: kb / 1024, fds };
  } catch {
    return { rssMiB: 0, fds: 0 };
  }
}
