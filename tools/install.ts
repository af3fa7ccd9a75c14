/**
 * Puts a `peerkit` command on PATH in one step: `deno task install [--root DIR]`, or on a
 * machine with Node and npm but no Deno, `npx -y deno@2.9.6 task install`.
 *
 * It runs `deno install --global` for `cli.ts` with this repository's `deno.json`, then
 * points the generated launcher at the absolute path of the Deno running this script, so
 * the command works where `deno` itself is not on PATH (the npx case) and costs no npx
 * start-up per call. `--root DIR` installs into `DIR/bin` (default: `$DENO_INSTALL_ROOT`,
 * else `~/.deno` or `~/.local` when its `bin` is on PATH, else `~/.deno`, and it prints the
 * line to add to PATH). Re-running replaces the launcher.
 *
 * @example
 * ```ts ignore
 * // deno task install --root /tmp/pk && /tmp/pk/bin/peerkit --version
 * ```
 * @module
 */

import { resolvePath, userCwd } from "../commands/_io.ts";

const repo = new URL("../", import.meta.url).pathname.replace(/\/$/, "");

function usage(message: string): never {
  console.error(`install: ${message}\nusage: deno task install [--root DIR]`);
  Deno.exit(2);
}

/**
 * `$DENO_INSTALL_ROOT`, else the first of `~/.deno` and `~/.local` whose `bin` is already on
 * PATH (so the command works at once), else `~/.deno`.
 */
function defaultRoot(): string {
  const env = Deno.env.get("DENO_INSTALL_ROOT");
  if (env) return env;
  const home = Deno.env.get("HOME") ?? ".";
  const path = (Deno.env.get("PATH") ?? "").split(":");
  return [`${home}/.deno`, `${home}/.local`].find((r) => path.includes(`${r}/bin`)) ??
    `${home}/.deno`;
}

function parseRoot(args: string[]): string {
  let root = defaultRoot();
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "--") continue;
    if (a === "--root" && args[i + 1] !== undefined) root = args[++i]!;
    else if (a.startsWith("--root=")) root = a.slice("--root=".length);
    else usage(`unknown argument ${JSON.stringify(a)}`);
  }
  return resolvePath(userCwd(Deno.env.toObject()), root);
}

const root = parseRoot(Deno.args);
const deno = Deno.execPath();
const r = await new Deno.Command(deno, {
  args: [
    "install",
    "--global",
    "--force",
    "--quiet",
    "-A",
    "--config",
    `${repo}/deno.json`,
    "--root",
    root,
    "-n",
    "peerkit",
    `${repo}/cli.ts`,
  ],
  stdout: "inherit",
  stderr: "inherit",
}).output();
if (!r.success) {
  console.error(`install: deno install failed (exit ${r.code})`);
  Deno.exit(1);
}
const launcher = `${root}/bin/peerkit`;
const text = await Deno.readTextFile(launcher);
const quoted = `'${deno.replaceAll("'", `'\\''`)}'`;
const pinned = text.replace(/^exec deno /m, `exec ${quoted} `);
if (pinned === text) {
  console.error(`install: unexpected launcher ${launcher}; left as deno install wrote it`);
} else {
  await Deno.writeTextFile(launcher, pinned);
}
console.log(`installed ${launcher} (runs ${deno})`);
const path = (Deno.env.get("PATH") ?? "").split(":");
if (!path.includes(`${root}/bin`)) {
  console.log(`add it to PATH:  export PATH="${root}/bin:$PATH"`);
}
