/**
 * The C load generators of bench/ (`dht_load.c`, `attack_flood.c`, which share
 * `_udp_batch.h`): building them with gcc and writing the packet file they send.
 *
 * @example
 * ```ts ignore
 * import { compileBenchC } from "./_load_gen.ts";
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
 * import { compileBenchC } from "./_load_gen.ts";
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

/**
 * The `[length u16 BE][bytes]` records of `packets`, as bench/dht_load.c and bench/attack_flood.c read them.
 *
 * @example
 * ```ts
 * import { records } from "./_load_gen.ts";
 * console.assert(records([new Uint8Array([7])]).join() === "0,1,7");
 * ```
 */
export function records(packets: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(packets.reduce((n, p) => n + 2 + p.length, 0));
  let off = 0;
  for (const p of packets) {
    out[off] = p.length >> 8;
    out[off + 1] = p.length & 0xff;
    out.set(p, off + 2);
    off += 2 + p.length;
  }
  return out;
}
