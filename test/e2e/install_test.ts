/**
 * `deno task install`: one step to a `peerkit` command that runs without Deno on PATH.
 */
import assert from "node:assert/strict";

const REPO = new URL("../../", import.meta.url).pathname;
const td = new TextDecoder();

Deno.test("deno task install --root DIR gives a peerkit command that runs without deno on PATH", async () => {
  const dir = await Deno.makeTempDir({ prefix: "peerkit-install-" });
  const env = { NO_COLOR: "1", HOME: Deno.env.get("HOME") ?? dir, PATH: "/usr/bin:/bin" };
  try {
    await Deno.mkdir(`${dir}/work`);
    const inst = await new Deno.Command(Deno.execPath(), {
      args: ["task", "--quiet", "--config", `${REPO}deno.json`, "install", "--root", "../pk"],
      cwd: `${dir}/work`,
      env,
      clearEnv: true,
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(inst.code, 0, td.decode(inst.stderr));
    assert.match(td.decode(inst.stdout), new RegExp(`installed ${dir}/pk/bin/peerkit`));
    const bin = `${dir}/pk/bin/peerkit`;
    const run = (args: string[]) =>
      new Deno.Command(bin, {
        args,
        cwd: `${dir}/work`,
        env,
        clearEnv: true,
        stdout: "piped",
        stderr: "piped",
      }).output();
    const v = await run(["--version"]);
    assert.equal(v.code, 0, td.decode(v.stderr));
    assert.equal(td.decode(v.stdout), "0.1.0\n");
    const k = await run(["--home", "state", "keygen", "--out", "me.key"]);
    assert.equal(k.code, 0, td.decode(k.stderr));
    assert.equal((await Deno.stat(`${dir}/work/me.key`)).size, 64);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
