/**
 * Builds the C load generators of bench/ (`dht_load.c`, `attack_flood.c`, which share
 * `_udp_batch.h`) with gcc.
 *
 * @example
 * ```ts ignore
 * import { compileBenchC } from "./_gcc.ts";
 * console.log(await compileBenchC("dht_load", await Deno.makeTempDir()));
 * ```
 * @module
 */

/**
 * Compiles `bench/<name>.c` into `<dir>/<name>` (-O2, warnings on); returns the binary's
 * path. Throws with gcc's message when it is missing or fails.
 *
 * @example
 * ```ts ignore
 * import { compileBenchC } from "./_gcc.ts";
 * const bin = await compileBenchC("attack_flood", await Deno.makeTempDir());
 * ```
 */
export async function compileBenchC(name: string, dir: string): Promise<string> {
  const bin = `${dir}/${name}`;
  const source = new URL(`./${name}.c`, import.meta.url).pathname;
  const out = await new Deno.Command("gcc", {
    args: ["-std=c11", "-O2", "-Wall", "-Wextra", "-o", bin, source],
    stdout: "piped",
    stderr: "piped",
  }).output().catch((e) => {
    throw new Error(`gcc is needed to build bench/${name}.c: ${e}`);
  });
  if (!out.success) throw new Error(`gcc failed: ${new TextDecoder().decode(out.stderr)}`);
  return bin;
}
