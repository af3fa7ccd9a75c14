import assert from "node:assert/strict";
import { labGate } from "./gate.ts";
import { NatLab, sweepStale } from "./lab.ts";

const gate = await labGate();
const RUN_SH = new URL("./run.sh", import.meta.url).pathname;
const dec = new TextDecoder();

async function sh(cmd: string, args: string[]): Promise<string> {
  const r = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  return dec.decode(r.stdout);
}
async function namespaces(prefix: string): Promise<string[]> {
  return (await sh("ip", ["netns", "list"])).split("\n").map((l) => l.split(" ")[0]!)
    .filter((n) => n.startsWith(prefix));
}
/** What the root namespace has: links, addresses, routes, rules, nftables rules. */
async function rootState(): Promise<string> {
  const parts = await Promise.all([
    sh("ip", ["-br", "link"]),
    sh("ip", ["-br", "addr"]),
    sh("ip", ["route", "show", "table", "all"]),
    sh("ip", ["rule"]),
    sh("nft", ["list", "ruleset"]),
  ]);
  return parts.join("\n--\n");
}
async function until(what: string, f: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await f())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
/** PIDs of the lab server inside `ns` (not the short-lived `ip -n` of the set-up). */
async function serverPids(ns: string): Promise<string[]> {
  const pids = (await sh("ip", ["netns", "pids", ns])).trim().split(/\s+/).filter((p) =>
    /^\d+$/.test(p)
  );
  const out: string[] = [];
  for (const pid of pids) {
    const cmd = await Deno.readTextFile(`/proc/${pid}/cmdline`).catch(() => "");
    if (cmd.includes("probe.ts") && cmd.includes("server")) out.push(pid);
  }
  return out;
}
/** True while `pid` runs (a zombie awaiting its reaper counts as gone). */
async function running(pid: number): Promise<boolean> {
  const stat = await Deno.readTextFile(`/proc/${pid}/stat`).catch(() => "");
  const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
  return stat !== "" && state !== "Z" && state !== "X";
}
function deadPid(): number {
  const c = new Deno.Command("true").spawn();
  return c.pid;
}

Deno.test({
  name: "lab: the root namespace gains no link, address, route, rule or nftables rule while a " +
    "lab runs, and close() deletes every namespace of the lab",
  ignore: gate.ignore,
  async fn() {
    const before = await rootState();
    const lab = await NatLab.create({ a: "address-restricted", b: "symmetric", hairpin: true });
    const names = Object.values(lab.names);
    assert.equal((await namespaces("pk-")).filter((n) => names.includes(n)).length, 5);
    assert.equal(await rootState(), before);
    await lab.close();
    await lab.close(); // idempotent
    assert.deepEqual((await namespaces("pk-")).filter((n) => names.includes(n)), []);
    assert.equal(await rootState(), before);
  },
});

for (const signal of ["SIGINT", "SIGTERM", "kill the case"] as const) {
  Deno.test({
    name: `lab: run.sh leaves no namespace and no process behind when ${
      signal === "kill the case" ? "its case process is killed" : `interrupted by ${signal}`
    }`,
    ignore: gate.ignore,
    async fn() {
      const child = new Deno.Command("bash", {
        args: [RUN_SH, "up", "--a", "symmetric", "--b", "full-cone", "--hold", "60"],
        env: { DENO: Deno.execPath() },
        stdin: "null",
        stdout: "null",
        stderr: "null",
      }).spawn();
      const prefix = `pk-${child.pid}-`;
      try {
        let inside: string[] = [];
        await until("the lab server to run", async () => {
          inside = await serverPids(`${prefix}0-inet`);
          return inside.length === 1;
        });
        assert.equal((await namespaces(prefix)).length, 5);
        if (signal === "kill the case") {
          const kids = (await Deno.readTextFile(`/proc/${child.pid}/task/${child.pid}/children`))
            .trim().split(/\s+/).filter((s) => s);
          assert.equal(kids.length, 1);
          Deno.kill(Number(kids[0]), "SIGKILL");
        } else {
          child.kill(signal);
        }
        const st = await child.status;
        assert.equal(st.code, signal === "SIGINT" ? 130 : signal === "SIGTERM" ? 143 : 137);
        assert.deepEqual(await namespaces(prefix), []);
        for (const pid of inside) {
          assert.equal(await running(Number(pid)), false, `process ${pid} inside the lab`);
        }
      } finally {
        try {
          child.kill("SIGKILL");
        } catch { /* exited */ }
        await child.status;
        for (const ns of await namespaces(prefix)) await sh("ip", ["netns", "del", ns]);
      }
    },
  });
}

Deno.test({
  name: "lab: namespaces left by a killed run (dead PID in the name) are swept, with the " +
    "processes inside them, by NatLab and by run.sh",
  ignore: gate.ignore,
  async fn() {
    const pid = deadPid();
    await new Promise((r) => setTimeout(r, 50));
    const stale = [`pk-${pid}-0-inet`, `pk-${pid}-0-host-a`];
    for (const ns of stale) await sh("ip", ["netns", "add", ns]);
    const sleeper = new Deno.Command("ip", {
      args: ["netns", "exec", stale[0]!, "sleep", "30"],
      stdout: "null",
      stderr: "null",
    }).spawn();
    try {
      await until("the sleeper", async () => (await sh("ip", ["netns", "pids", stale[0]!])) !== "");
      const removed = await sweepStale();
      assert.deepEqual(removed.filter((n) => stale.includes(n)).sort(), [...stale].sort());
      assert.deepEqual(await namespaces(`pk-${pid}-`), []);
      const st = await sleeper.status;
      assert.equal(st.signal, "SIGKILL");
      // A live run's namespaces are left alone; run.sh sweeps dead ones too.
      const live = `pk-${Deno.pid}-99-inet`, dead = `pk-${pid}-1-inet`;
      await sh("ip", ["netns", "add", live]);
      await sh("ip", ["netns", "add", dead]);
      const r = await new Deno.Command("bash", {
        args: [RUN_SH, "sweep"],
        env: { DENO: Deno.execPath() },
        stdout: "null",
        stderr: "null",
      }).output();
      assert.equal(r.code, 0);
      assert.deepEqual(await namespaces(`pk-${pid}-`), []);
      assert.deepEqual(await namespaces(live), [live]);
    } finally {
      try {
        sleeper.kill("SIGKILL");
      } catch { /* exited */ }
      await sleeper.status;
      for (const ns of [...await namespaces(`pk-${pid}-`), `pk-${Deno.pid}-99-inet`]) {
        await sh("ip", ["netns", "del", ns]);
      }
    }
  },
});
