/**
 * Start-up cost for scripting: `peerkit keygen` (from source, as `deno run`, and through
 * the launcher `deno task install` writes) against a bare `deno run` of an empty script and
 * against `wg genkey` (Debian wireguard-tools), measured in the same run; plus what a call
 * through `npx -y deno@2.9.6` adds (npx against the same Deno run directly). Lists every
 * run, then medians and ratios.
 *
 *     deno run -A bench/startup.ts [runs]      (default 30; npx rows use at most 10)
 *
 * @module
 */
import { median } from "./_measure.ts";

const runs = Number(Deno.args[0] ?? 30);
if (!Number.isInteger(runs) || runs < 1 || runs > 1000) {
  console.error("usage: deno run -A bench/startup.ts [runs 1..1000]");
  Deno.exit(2);
}
const WARM = 3;
const root = new URL("..", import.meta.url).pathname;
const dir = await Deno.makeTempDir({ prefix: "peerkit-startup-" });
await Deno.writeTextFile(`${dir}/empty.ts`, "");

interface Row {
  name: string;
  samples: number[];
}

async function time(name: string, cmd: string, args: string[], n = runs): Promise<Row> {
  const samples: number[] = [];
  for (let i = 0; i < n + WARM; i++) {
    const t0 = performance.now();
    const out = await new Deno.Command(cmd, { args, cwd: root, stdout: "null", stderr: "piped" })
      .output();
    const dt = performance.now() - t0;
    if (!out.success) {
      throw new Error(`${cmd} ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
    }
    if (i >= WARM) samples.push(dt); // the first runs warm the module cache
  }
  console.log(`${name}: ${samples.map((s) => s.toFixed(1)).join(" ")} ms`);
  return { name, samples };
}

async function has(cmd: string, args: string[]): Promise<boolean> {
  try {
    return (await new Deno.Command(cmd, { args, stdout: "null", stderr: "null" }).output())
      .success;
  } catch {
    return false;
  }
}

const deno = Deno.execPath();
const rows: Row[] = [];
try {
  console.log(`every run, in ms (${WARM} warm-up runs first, not listed):`);
  rows.push(await time("deno run (empty script)", deno, ["run", "-A", `${dir}/empty.ts`]));
  rows.push(
    await time("peerkit keygen", deno, [
      "run",
      "-A",
      "cli.ts",
      "keygen",
      "-q",
      "--force",
      "--out",
      `${dir}/k`,
    ]),
  );
  rows.push(
    await time("peerkit keygen --show", deno, [
      "run",
      "-A",
      "cli.ts",
      "keygen",
      "--show",
      `${dir}/k`,
    ]),
  );
  rows.push(await time("peerkit --help", deno, ["run", "-A", "cli.ts", "--help"]));
  const install = await new Deno.Command(deno, {
    args: ["run", "-A", "tools/install.ts", "--root", `${dir}/inst`],
    cwd: root,
    stdout: "null",
    stderr: "piped",
  }).output();
  if (install.success) {
    rows.push(await time("installed peerkit --version", `${dir}/inst/bin/peerkit`, ["--version"]));
  } else {
    console.log(
      `tools/install.ts failed, no launcher row: ${new TextDecoder().decode(install.stderr)}`,
    );
  }
  rows.push(await time("deno --version", deno, ["--version"]));
  if (await has("npx", ["--version"])) {
    rows.push(
      await time(
        "npx -y deno@2.9.6 --version",
        "npx",
        ["-y", "deno@2.9.6", "--version"],
        Math.min(runs, 10),
      ),
    );
  } else {
    console.log("npx not found: no npx row");
  }
  if (await has("wg", ["--version"])) rows.push(await time("wg genkey", "wg", ["genkey"]));
  else console.log("wg not found: install wireguard-tools for the wg genkey column");
} finally {
  await Deno.remove(dir, { recursive: true });
}

const med = (name: string) => {
  const r = rows.find((x) => x.name === name);
  return r ? median(r.samples) : undefined;
};
const base = med("deno run (empty script)")!;
const wg = med("wg genkey");
console.log(`\nsummary (median and fastest of each row's runs):`);
console.log(
  "command                        runs   median ms  fastest ms  × deno run  × wg genkey",
);
for (const r of rows) {
  const m = median(r.samples);
  console.log(
    `${r.name.padEnd(30)} ${String(r.samples.length).padStart(4)} ${m.toFixed(1).padStart(11)} ${
      Math.min(...r.samples).toFixed(1).padStart(11)
    } ${(m / base).toFixed(2).padStart(10)}x ${wg ? (m / wg).toFixed(0).padStart(11) + "x" : ""}`,
  );
}
const npx = med("npx -y deno@2.9.6 --version"), bare = med("deno --version");
if (npx !== undefined && bare !== undefined) {
  console.log(
    `\nnpx start-up: each call through npx -y deno@2.9.6 adds ${(npx - bare).toFixed(0)} ms ` +
      `(median ${npx.toFixed(0)} ms against ${bare.toFixed(0)} ms for the same Deno run directly)`,
  );
}
