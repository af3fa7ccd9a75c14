/**
 * Test gating: tests that need root, network namespaces or c-toxcore skip on machines
 * without them, saying why, but under `CI=true` they always run (and fail if the tool is
 * missing).
 *
 * @example
 * ```ts
 * import { needs } from "./env.ts";
 * Deno.test({ name: "needs() gates a test on tox-bootstrapd", ...needs(["tox-bootstrapd"]), fn() {} });
 * ```
 * @module
 */

/** True when running under CI (`CI=true`). */
export const CI = Deno.env.get("CI") === "true";

/**
 * Path of an executable on PATH, or `null`.
 *
 * @example
 * ```ts
 * import { which } from "./env.ts";
 * console.assert(which("sh") !== null);
 * ```
 */
export function which(cmd: string): string | null {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    if (!dir) continue;
    try {
      const p = `${dir}/${cmd}`;
      const st = Deno.statSync(p);
      if (st.isFile && ((st.mode ?? 0) & 0o111) !== 0) return p;
    } catch { /* not here */ }
  }
  return null;
}

/** True when running as root. */
export function isRoot(): boolean {
  return Deno.uid?.() === 0;
}

/**
 * `{ ignore }` for `Deno.test`: ignored (with the reason printed once) when a requirement is
 * missing, never ignored under CI.
 *
 * @example
 * ```ts
 * import { needs } from "./env.ts";
 * console.assert(needs([]).ignore === false);
 * ```
 */
export function needs(tools: string[], opts: { root?: boolean } = {}): { ignore: boolean } {
  const missing = tools.filter((t) => which(t) === null);
  if (opts.root && !isRoot()) missing.push("root");
  if (missing.length === 0 || CI) return { ignore: false };
  if (!warned.has(missing.join())) {
    warned.add(missing.join());
    console.error(`skipping tests that need: ${missing.join(", ")} (install them or run as root)`);
  }
  return { ignore: true };
}
const warned = new Set<string>();
