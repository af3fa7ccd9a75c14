/**
 * `peerkit connect` end to end on loopback through a real `peerkit relay serve`: bytes both
 * ways at once, byte-exact; `tar c | connect` into `connect --listen --recv-only > out.tar`;
 * `--json` path events on stderr with nothing but data on stdout; a peer not in `--allow`
 * refused and told so; `--keep-open` taking a second peer and telling a concurrent one
 * "busy"; exit codes 0/1/2; an interactive session in tmux pseudo-terminals.
 * @module
 */
import assert from "node:assert/strict";
import { sha256 } from "../../lib/crypto/hash.ts";
import { toHex } from "../../lib/util/bytes.ts";
import { peerkit } from "../_support/cli.ts";
import { needs } from "../_support/env.ts";
import { spawnLoopbackRelay } from "../_support/relay_serve.ts";

const CLI = new URL("../../cli.ts", import.meta.url).pathname;

interface Run {
  code: number;
  stdout: Uint8Array;
  stderr: string;
}

/**
 * A `peerkit` process with `stdin` written then closed (`"open"`: kept open until
 * `closeStdin()`); stdout collected as bytes.
 */
function spawn(home: string, args: string[], stdin: Uint8Array | "null" | "open"): {
  done: Promise<Run>;
  kill(sig?: Deno.Signal): void;
  closeStdin(): void;
  stderrSoFar(): string;
} {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", CLI, "--home", home, ...args],
    env: { NO_COLOR: "1" },
    stdin: stdin === "null" ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const w = stdin === "null" ? null : child.stdin.getWriter();
  const closeStdin = () => void w?.close().catch(() => {});
  if (stdin instanceof Uint8Array) w!.write(stdin).then(closeStdin).catch(() => {});
  const timer = setTimeout(() => kill("SIGKILL"), 60_000);
  function kill(sig: Deno.Signal = "SIGTERM") {
    try {
      child.kill(sig);
    } catch { /* gone */ }
  }
  let err = "";
  const d = new TextDecoder();
  const errDone = (async () => {
    for await (const c of child.stderr) err += d.decode(c, { stream: true });
  })();
  const out = new Response(child.stdout).arrayBuffer();
  const done = (async () => {
    const status = await child.status;
    await errDone;
    clearTimeout(timer);
    return { code: status.code, stdout: new Uint8Array(await out), stderr: err };
  })();
  return { done, kill, closeStdin, stderrSoFar: () => err };
}

/** Waits until `ok()` (at most `ms`). */
async function until(ok: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (!ok() && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  return ok();
}

async function keygen(): Promise<{ home: string; key: string }> {
  const home = await Deno.makeTempDir({ prefix: "peerkit-connect-" });
  const r = await peerkit(["--json", "keygen"], { PEERKIT_HOME: home });
  assert.equal(r.code, 0, r.stderr);
  return { home, key: JSON.parse(r.stdout).publicKey };
}

function random(n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i += 65536) crypto.getRandomValues(b.subarray(i, i + 65536));
  return b;
}

const hash = (b: Uint8Array) => toHex(sha256(b));

async function world() {
  const relay = await spawnLoopbackRelay(["--rate", "0"]);
  const a = await keygen(), b = await keygen(), c = await keygen();
  const common = [
    "--relay",
    `127.0.0.1:${relay.tcpPort}:${relay.publicKeyHex}`,
    "--bind",
    "127.0.0.1:0",
  ];
  return {
    a,
    b,
    c,
    common,
    async [Symbol.asyncDispose]() {
      await relay[Symbol.asyncDispose]();
      for (const h of [a, b, c]) await Deno.remove(h.home, { recursive: true });
    },
  };
}

const jsonLines = (s: string) =>
  s.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l));

Deno.test("connect: random bytes both ways at once, byte-exact; --json events on stderr, only data on stdout", async () => {
  await using w = await world();
  const toB = random(3 << 20), toA = random(2 << 20);
  const b = spawn(
    w.b.home,
    ["--json", "connect", "--listen", "--allow", w.a.key, ...w.common],
    toA,
  );
  await new Promise((r) => setTimeout(r, 1500));
  const a = spawn(w.a.home, ["--json", "connect", w.b.key, ...w.common], toB);
  const [ra, rb] = await Promise.all([a.done, b.done]);
  assert.equal(ra.code, 0, ra.stderr);
  assert.equal(rb.code, 0, rb.stderr);
  assert.equal(hash(rb.stdout), hash(toB), "B's stdout is exactly A's stdin");
  assert.equal(hash(ra.stdout), hash(toA), "A's stdout is exactly B's stdin");
  const ev = jsonLines(ra.stderr);
  assert.deepEqual(ev.filter((e) => e.event === "path").map((e) => e.path).slice(0, 1), ["relay"]);
  assert(ev.every((e) => e.event === "path" || e.event === "end"), ra.stderr);
  const end = ev.find((e) => e.event === "end");
  assert.equal(end.bytesSent, toB.length);
  assert.equal(end.bytesReceived, toA.length);
  assert.equal(end.exitCode, 0);
  assert.equal(end.peer, w.b.key);
  assert.equal(jsonLines(rb.stderr).find((e) => e.event === "end").bytesReceived, toB.length);
});

Deno.test({
  name: "connect: tar c dir | connect into connect --listen --recv-only > out.tar",
  ...needs(["tar"]),
  async fn() {
    await using w = await world();
    const dir = await Deno.makeTempDir({ prefix: "peerkit-tree-" });
    try {
      await Deno.mkdir(`${dir}/tree/sub`, { recursive: true });
      await Deno.writeFile(`${dir}/tree/a.bin`, random(700_000));
      await Deno.writeTextFile(`${dir}/tree/sub/b.txt`, "hello\n".repeat(1000));
      const out = `${dir}/out.tar`;
      const listen = new Deno.Command("sh", {
        args: [
          "-c",
          `exec deno run -A --quiet ${CLI} --home ${w.b.home} connect --listen --allow ${w.a.key} --recv-only ${
            w.common.join(" ")
          } > ${out}`,
        ],
        stdin: "null",
        stderr: "piped",
      }).spawn();
      await new Promise((r) => setTimeout(r, 1500));
      const send = await new Deno.Command("sh", {
        args: [
          "-c",
          `tar c -C ${dir} tree | deno run -A --quiet ${CLI} --home ${w.a.home} connect ${w.b.key} ${
            w.common.join(" ")
          }`,
        ],
        stdin: "null",
        stderr: "piped",
      }).output();
      const got = await listen.output();
      assert.equal(send.code, 0, new TextDecoder().decode(send.stderr));
      assert.equal(got.code, 0, new TextDecoder().decode(got.stderr));
      const want = await new Deno.Command("tar", { args: ["c", "-C", dir, "tree"] }).output();
      const list = (b: Uint8Array) => new TextDecoder().decode(b).split("\n").sort().join("\n");
      const tl = await new Deno.Command("tar", { args: ["tvf", out] }).output();
      assert.match(list(tl.stdout), /tree\/a\.bin/);
      await Deno.mkdir(`${dir}/x`);
      const x = await new Deno.Command("tar", { args: ["xf", out, "-C", `${dir}/x`] }).output();
      assert.equal(x.code, 0);
      assert.equal(
        hash(await Deno.readFile(`${dir}/x/tree/a.bin`)),
        hash(await Deno.readFile(`${dir}/tree/a.bin`)),
      );
      assert.equal(await Deno.readTextFile(`${dir}/x/tree/sub/b.txt`), "hello\n".repeat(1000));
      assert(want.stdout.length > 0);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("connect: a peer not in --allow is refused and told so (exit 1)", async () => {
  await using w = await world();
  const b = spawn(
    w.b.home,
    ["connect", "--listen", "--allow", w.a.key, "--keep-open", ...w.common],
    "null",
  );
  try {
    await new Promise((r) => setTimeout(r, 1500));
    const c = await spawn(w.c.home, ["connect", w.b.key, "--recv-only", ...w.common], "null").done;
    assert.equal(c.code, 1, c.stderr);
    assert.match(c.stderr, new RegExp(`refused by ${w.b.key}: not allowed`));
    assert.equal(c.stdout.length, 0);
  } finally {
    b.kill();
  }
  const rb = await b.done;
  assert.equal(rb.code, 0, `SIGTERM ends the listener cleanly: ${rb.stderr}`);
});

Deno.test("connect: --keep-open takes a second peer and tells a concurrent one it is busy", async () => {
  await using w = await world();
  const b = spawn(w.b.home, [
    "--json",
    "connect",
    "--listen",
    "--allow-any",
    "--keep-open",
    "--recv-only",
    ...w.common,
  ], "null");
  try {
    await new Promise((r) => setTimeout(r, 1500));
    // A keeps its stream open (its stdin stays open) while C tries: C is told "busy".
    const a = spawn(w.a.home, ["--json", "connect", w.b.key, ...w.common], "open");
    assert(await until(() => a.stderrSoFar().includes('"event":"path"'), 20_000), "A connected");
    const busy = await spawn(w.c.home, ["connect", w.b.key, "--recv-only", ...w.common], "null")
      .done;
    assert.equal(busy.code, 1, busy.stderr);
    assert.match(busy.stderr, new RegExp(`refused by ${w.b.key}: busy`));
    a.closeStdin();
    const ra = await a.done;
    assert.equal(ra.code, 0, ra.stderr);
    assert.equal(jsonLines(ra.stderr).find((e) => e.event === "end")?.outcome, "clean");
    const second = await spawn(
      w.c.home,
      ["connect", w.b.key, ...w.common],
      new TextEncoder().encode("second\n"),
    ).done;
    assert.equal(second.code, 0, second.stderr);
  } finally {
    b.kill();
  }
  const rb = await b.done;
  assert.equal(rb.code, 0, rb.stderr);
  assert.match(new TextDecoder().decode(rb.stdout), /second\n$/);
  const ends = jsonLines(rb.stderr).filter((e) => e.event === "end");
  assert(ends.length >= 2, `two sessions served: ${rb.stderr}`);
});

Deno.test("connect: exit 2 on usage errors, 1 when the peer cannot be reached", async () => {
  const r1 = await peerkit(["connect"]);
  assert.equal(r1.code, 2);
  assert.match(r1.stderr, /give the peer's <id>, or --listen/);
  const r2 = await peerkit([
    "--json",
    "connect",
    "--listen",
    "--relay",
    "127.0.0.1:1:" + "00".repeat(32),
  ]);
  assert.equal(r2.code, 2);
  assert.equal(r2.stdout, "", "with --json the error goes to stderr, never into the data");
  const r3 = await peerkit(["--json", "connect", "--no-such-option"]);
  assert.equal(r3.code, 2);
  assert.equal(r3.stdout, "");
  assert.match(r3.stderr, /"error":"USAGE"/);
  const r4 = await peerkit([
    "connect",
    "--listen",
    "--allow-any",
    "--save-dir",
    "/no/such/dir",
    "--relay",
    "127.0.0.1:1:" + "00".repeat(32),
  ]);
  assert.equal(r4.code, 2);
  assert.match(r4.stderr, /--save-dir \/no\/such\/dir is not a directory/);
  await using w = await world();
  const r5 = await spawn(
    w.a.home,
    ["--json", "connect", w.c.key, "--timeout", "2", ...w.common],
    "null",
  ).done;
  assert.equal(r5.code, 1);
  assert.equal(r5.stdout.length, 0);
  const end = jsonLines(r5.stderr).find((e) => e.event === "end");
  assert.equal(end.outcome, "unreachable");
  assert.match(end.why, /not reachable within 2 s/);
});

Deno.test({
  name:
    "connect: an interactive session in tmux pseudo-terminals: a line typed on each side appears on the other",
  ...needs(["tmux"]),
  async fn() {
    await using w = await world();
    const sock = `peerkit-connect-${Deno.pid}`;
    const tmux = (...args: string[]) =>
      new Deno.Command("tmux", { args: ["-L", sock, ...args], stdin: "null" }).output();
    const pane = async (p: string) =>
      new TextDecoder().decode((await tmux("capture-pane", "-p", "-t", p)).stdout);
    const exitFile = (n: string) => `${w.a.home}/${n}.exit`;
    const cmd = (home: string, args: string, n: string) =>
      `deno run -A --quiet ${CLI} --home ${home} connect ${args} ${w.common.join(" ")}; echo $? > ${
        exitFile(n)
      }; sleep 30`;
    const waitFor = async (p: string, re: RegExp) => {
      for (let i = 0; i < 100; i++) {
        if (re.test(await pane(p))) return true;
        await new Promise((r) => setTimeout(r, 100));
      }
      return false;
    };
    try {
      await tmux(
        "new-session",
        "-d",
        "-s",
        "b",
        "-x",
        "160",
        "-y",
        "20",
        cmd(w.b.home, `--listen --allow ${w.a.key}`, "b"),
      );
      assert(await waitFor("b", /listening as/), await pane("b"));
      await tmux(
        "new-session",
        "-d",
        "-s",
        "a",
        "-x",
        "160",
        "-y",
        "20",
        cmd(w.a.home, w.b.key, "a"),
      );
      assert(await waitFor("a", /session with .* open/), await pane("a"));
      await tmux("send-keys", "-t", "a", "hello from a", "Enter");
      assert(await waitFor("b", /hello from a/), `B's terminal: ${await pane("b")}`);
      await tmux("send-keys", "-t", "b", "hi back from b", "Enter");
      assert(await waitFor("a", /hi back from b/), `A's terminal: ${await pane("a")}`);
      await tmux("send-keys", "-t", "a", "C-c");
      let codes: string[] = [];
      for (let i = 0; i < 100 && codes.length < 2; i++) {
        await new Promise((r) => setTimeout(r, 100));
        codes = [];
        for (const n of ["a", "b"]) {
          try {
            codes.push((await Deno.readTextFile(exitFile(n))).trim());
          } catch { /* not yet */ }
        }
      }
      assert.deepEqual(codes, ["0", "0"], `Ctrl-C on A closes both cleanly: ${await pane("a")}`);
    } finally {
      await tmux("kill-server");
    }
  },
});

Deno.test("connect --bootstrap: met through the DHT, the session runs over the direct path only", async () => {
  await using relay = await spawnLoopbackRelay();
  const a = await keygen(), b = await keygen();
  try {
    const common = [
      "--bootstrap",
      `127.0.0.1:${relay.udpPort}:${relay.publicKeyHex}`,
      "--bind",
      "127.0.0.1:0",
      "--timeout",
      "15",
    ];
    const enc = new TextEncoder();
    // regression: the second meeting of the same two keys through the same node (its close
    // list still holding the first processes' ports) meets too.
    for (const round of ["first", "second"]) {
      const [rb, ra] = await Promise.all([
        spawn(
          b.home,
          ["--json", "connect", "--listen", "--allow", a.key, ...common],
          enc.encode("from b\n"),
        ).done,
        spawn(a.home, ["--json", "connect", b.key, ...common], enc.encode("from a\n")).done,
      ]);
      assert.equal(ra.code, 0, `${round}: ${ra.stderr}`);
      assert.equal(rb.code, 0, `${round}: ${rb.stderr}`);
      assert.equal(new TextDecoder().decode(rb.stdout), "from a\n");
      assert.equal(new TextDecoder().decode(ra.stdout), "from b\n");
      const end = jsonLines(ra.stderr).find((e) => e.event === "end");
      assert.deepEqual(end.paths, ["direct"]);
    }
    const lone = await spawn(a.home, ["connect", b.key, ...common.slice(0, -1), "2"], "null").done;
    assert.equal(lone.code, 1);
    assert.match(lone.stderr, /no direct path through the DHT within 2 s/);
  } finally {
    for (const h of [a, b]) await Deno.remove(h.home, { recursive: true });
  }
});
