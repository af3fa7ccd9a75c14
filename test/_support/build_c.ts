/**
 * Compiles a test helper written in C (one source file, `gcc -O2 -Wall`) into a temporary
 * directory, once per process per source, removed when the process ends; rejects in one
 * line when `gcc` fails.
 *
 * @example
 * ```ts ignore
 * import { buildC } from "./build_c.ts";
 * const bin = await buildC(new URL("./tool.c", import.meta.url).pathname, "tool");
 * ```
 * @module
 */

const built = new Map<string, Promise<string>>();

/** The path of the binary built from `source` (named `name`). */
export function buildC(source: string, name: string): Promise<string> {
  let p = built.get(source);
  if (!p) {
    p = (async () => {
      const dir = await Deno.makeTempDir({ prefix: `peerkit-${name}-` });
      addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));
      const bin = `${dir}/${name}`;
      const r = await new Deno.Command("gcc", {
        args: ["-O2", "-Wall", "-o", bin, source],
        stdout: "piped",
        stderr: "piped",
      }).output().catch((e) => ({ success: false, stderr: new TextEncoder().encode(e.message) }));
      if (!r.success) {
        built.delete(source);
        const why = new TextDecoder().decode(r.stderr).trim().split("\n")[0];
        throw new Error(`cannot build ${name}: ${why}`);
      }
      return bin;
    })();
    built.set(source, p);
  }
  return p;
}
