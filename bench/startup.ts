/**
 * Start-up cost for scripting: `peerkit keygen` (from source, as `deno run`) against a bare
 * `deno run` of an empty script and against `wg genkey` (Debian wireguard-tools), measured in
 * the same run. Prints median wall times and ratios.
 *
 *     deno run -A bench/startup.ts [runs]
 *
 * @module
 */
import { median } from "./_measure.ts";

const runs = Number(Deno.args[0] ?? 30);
const root = new URL("..", import.meta.url).pathname;
const dir = await Deno.makeTempDir({ prefix: "peerkit-startup-" });
await Deno.writeTextFile(`${dir}/empty.ts`, "");

async function time(cmd: string, args: string[]): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < runs + 3; i++) {
    const t0 = performance.now();
    const out = await new Deno.Command(cmd, { args, cwd: root, stdout: "null", stderr: "piped" })
      .output();
    const dt = performance.now() - t0;
    if (!out.success) {
      throw new Error(`${cmd} ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
    }
    if (i >= 3) samples.push(dt); // the first runs warm the module cache
  }
  return median(samples);
}

const deno = Deno.execPath();
const rows: [string, number][] = [];
try {
  rows.push(["deno run (empty script)", await time(deno, ["run", "-A", `${dir}/empty.ts`])]);
  rows.push([
    "peerkit keygen",
    await time(deno, ["run", "-A", "cli.ts", "keygen", "-q", "--force", "--out", `${dir}/k`]),
  ]);
  rows.push([
    "peerkit keygen --show",
    await time(deno, ["run", "-A", "cli.ts", "keygen", "--show", `${dir}/k`]),
  ]);
  rows.push(["peerkit --help", await time(deno, ["run", "-A", "cli.ts", "--help"])]);
  try {
    rows.push(["wg genkey", await time("wg", ["genkey"])]);
  } catch {
    console.log("wg not found: install wireguard-tools for the wg genkey column");
  }
} finally {
  await Deno.remove(dir, { recursive: true });
}
const base = rows[0]![1];
const wg = rows.find(([n]) => n === "wg genkey")?.[1];
console.log(`median of ${runs} runs each`);
console.log("command                     median ms   × deno run   × wg genkey");
for (const [name, ms] of rows) {
  console.log(
    `${name.padEnd(26)} ${ms.toFixed(1).padStart(9)} ${(ms / base).toFixed(2).padStart(11)}x ${
      wg ? (ms / wg).toFixed(0).padStart(11) + "x" : ""
    }`,
  );
}
