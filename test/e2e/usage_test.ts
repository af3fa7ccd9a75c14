/**
 * What a new user trips on first: the `deno task peerkit -- …` form, relative paths from
 * the caller's directory, `--json` on every exit, bad addresses, bind failures, signals,
 * commands that need a subcommand or an id, and the state directory's mode.
 */
import assert from "node:assert/strict";
import { peerkit } from "../_support/cli.ts";
import { spawnRelayServe } from "../_support/relay_serve.ts";
import { freePort } from "../_support/toxcore.ts";
import { loopbackNode, nodeSpec } from "../dht/_loopback.ts";

const KEY = "AB".repeat(32);
const REPO = new URL("../../", import.meta.url).pathname;

/** Exactly one JSON document on stdout. */
function oneDocument(stdout: string): Record<string, unknown> {
  const lines = stdout.trim().split("\n");
  assert.equal(lines.length, 1, `expected one JSON line, got:\n${stdout}`);
  return JSON.parse(lines[0]!);
}

Deno.test("deno task peerkit -- <flags>: the README form works, relative paths land in the caller's directory", async () => {
  const dir = await Deno.makeTempDir({ prefix: "peerkit-task-" });
  try {
    await Deno.mkdir(`${dir}/docs`);
    const r = await new Deno.Command(Deno.execPath(), {
      args: [
        "task",
        "--quiet",
        "--config",
        `${REPO}deno.json`,
        "peerkit",
        "--",
        "--json",
        "--home",
        "state",
        "keygen",
        "--out",
        "rel.key",
      ],
      cwd: `${dir}/docs`,
      // deno task keeps an INIT_CWD it inherits, so start from a clean environment.
      env: {
        NO_COLOR: "1",
        HOME: Deno.env.get("HOME") ?? dir,
        PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
      },
      clearEnv: true,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(r.stderr);
    assert.equal(r.code, 0, stderr);
    const doc = oneDocument(new TextDecoder().decode(r.stdout));
    assert.equal(doc.path, `${dir}/docs/rel.key`);
    assert.equal((await Deno.stat(`${dir}/docs/rel.key`)).size, 64);
    await assert.rejects(Deno.stat(`${REPO}rel.key`));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a leading lone -- is dropped; INIT_CWD counts only when run in the checkout, as deno task runs", async () => {
  const dir = await Deno.makeTempDir({ prefix: "peerkit-cwd-" });
  try {
    const v = await peerkit(["--", "--json", "--version"]);
    assert.equal(v.code, 0, v.stderr);
    assert.equal(oneDocument(v.stdout).version, "0.1.0");
    const r = await peerkit(["--", "--home", "h", "keygen"], { INIT_CWD: dir }, { cwd: REPO });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`wrote identity to ${dir}/h/identity\\.key`));
    assert.equal((await Deno.stat(`${dir}/h`)).mode! & 0o777, 0o700);
    // Elsewhere (an installed peerkit) a stale INIT_CWD from an outer npm or deno task is ignored.
    await Deno.mkdir(`${dir}/here`);
    const here = await peerkit(["keygen", "--out", "k.key"], { INIT_CWD: "/nonexistent" }, {
      cwd: `${dir}/here`,
    });
    assert.equal(here.code, 0, here.stderr);
    assert.equal((await Deno.stat(`${dir}/here/k.key`)).size, 64);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--json: every usage error prints exactly one JSON document with error USAGE", async () => {
  for (
    const args of [
      ["--json", "--no-such-flag"],
      ["--json", "frobnicate"],
      ["--json", "completions"],
      ["--json", "lookup"],
      ["--json", "relay"],
      ["keygen", "--bogus", "--json"],
    ]
  ) {
    const r = await peerkit(args);
    assert.equal(r.code, 2, args.join(" "));
    const doc = oneDocument(r.stdout);
    assert.equal(doc.error, "USAGE", args.join(" "));
    assert.equal(typeof doc.message, "string");
  }
  for (const args of [["--json", "--help"], ["--json", "help", "keygen"]]) {
    const help = await peerkit(args);
    assert.equal(help.code, 0, args.join(" "));
    assert.match(String(oneDocument(help.stdout).help), /Usage: peerkit/);
  }
  const bash = await peerkit(["--json", "completions", "bash"]);
  assert.equal(bash.code, 0);
  assert.match(String(oneDocument(bash.stdout).script), /complete -F _peerkit peerkit/);
});

Deno.test("a command that needs a subcommand or an id: relay alone and punch <bad id> exit 2", async () => {
  const relay = await peerkit(["relay"]);
  assert.equal(relay.code, 2);
  assert.match(relay.stderr, /Usage: peerkit relay/);
  for (const c of ["punch", "connect", "send"]) {
    const r = await peerkit([c, "not-a-key"]);
    assert.equal(r.code, 2, `${c}: ${r.stderr}`);
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`${c}: id must be 64 hex`));
  }
});

Deno.test("an address that is neither an IP nor a host name is a usage error naming it", async () => {
  const home = await Deno.makeTempDir();
  try {
    for (
      const [args, bad] of [
        [["bootstrap", `300.1.1.1:33445:${KEY}`], "300.1.1.1"],
        [["bootstrap", "-b", `bad_host!:33445:${KEY}`], "bad_host!"],
        [["lookup", KEY, "-b", `300.1.1.1:33445:${KEY}`], "300.1.1.1"],
        [["lookup", KEY, "--listen", "bad_host!:0"], "bad_host!"],
        [["relay", "serve", "--host", "bad_host!"], "bad_host!"],
        [["relay", "serve", "--bootstrap", `999.0.0.1:33445:${KEY}`], "999.0.0.1"],
        [["relay", "serve", "--metrics", "bad_host!:9100"], "bad_host!"],
      ] as const
    ) {
      const r = await peerkit(["--json", ...args], { PEERKIT_HOME: home });
      assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
      assert.ok(r.stderr.includes(`"${bad}"`), r.stderr);
      assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
      assert.ok(String(oneDocument(r.stdout).message).includes(bad));
    }
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("a bind failure names the protocol and the address", async () => {
  const home = await Deno.makeTempDir();
  const udp = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  using tcp = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const busyUdp = (udp.addr as Deno.NetAddr).port, busyTcp = tcp.addr.port;
  try {
    const b = await peerkit(
      ["bootstrap", "--listen", `127.0.0.1:${busyUdp}`, `127.0.0.1:1:${KEY}`],
      { PEERKIT_HOME: home },
    );
    assert.equal(b.code, 1, b.stderr);
    assert.match(
      b.stderr,
      new RegExp(`cannot bind UDP 127\\.0\\.0\\.1:${busyUdp}: address in use`),
    );
    const serve = ["relay", "serve", "--host", "127.0.0.1"];
    const u = await peerkit([...serve, "--udp-port", String(busyUdp), "--tcp-port", "0"], {
      PEERKIT_HOME: home,
    });
    assert.equal(u.code, 1, u.stderr);
    assert.match(
      u.stderr,
      new RegExp(`cannot bind UDP 127\\.0\\.0\\.1:${busyUdp}: address in use`),
    );
    const t = await peerkit([...serve, "--udp-port", "0", "--tcp-port", String(busyTcp)], {
      PEERKIT_HOME: home,
    });
    assert.equal(t.code, 1, t.stderr);
    assert.match(
      t.stderr,
      new RegExp(`cannot bind TCP 127\\.0\\.0\\.1:${busyTcp}: address in use`),
    );
  } finally {
    udp.close();
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("the state directory is 0700 whichever command creates it (bootstrap too)", async () => {
  const dir = await Deno.makeTempDir();
  await using a = await loopbackNode();
  try {
    const home = `${dir}/fresh/state`;
    const r = await peerkit(["--home", home, "bootstrap", nodeSpec(a), "-t", "0.5"]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await Deno.stat(`${home}/dht-nodes.json`)).isFile, true);
    assert.equal((await Deno.stat(home)).mode! & 0o777, 0o700);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("relay serve --key: a missing file is a one-line error unless --create-key", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const missing = await peerkit([
      "relay",
      "serve",
      "--key",
      `${dir}/typo.key`,
      "--host",
      "127.0.0.1",
    ]);
    assert.equal(missing.code, 1, missing.stderr);
    assert.equal(missing.stderr.trim().split("\n").length, 1, missing.stderr);
    assert.match(missing.stderr, /no key file at .*typo\.key.*--create-key/);
    await assert.rejects(Deno.stat(`${dir}/typo.key`));
    const s = await spawnRelayServe([
      "--json",
      "relay",
      "serve",
      "--key",
      `${dir}/new.key`,
      "--create-key",
      "--host",
      "127.0.0.1",
      "--udp-port",
      "0",
      "--tcp-port",
      "0",
    ]);
    const status = await s.stop("SIGTERM");
    assert.equal(status.code, 0, s.err());
    assert.equal((await Deno.stat(`${dir}/new.key`)).mode! & 0o777, 0o600);
    assert.match(s.err(), /created relay key/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("relay serve stops cleanly on SIGHUP", async () => {
  const s = await spawnRelayServe([
    "relay",
    "serve",
    "--host",
    "127.0.0.1",
    "--udp-port",
    String(freePort()),
    "--tcp-port",
    "0",
  ], { tempHome: true });
  const status = await s.stop("SIGHUP");
  assert.equal(status.code, 0, s.err());
  assert.equal(status.signal, null);
  assert.match(s.err(), /relay stopping/);
});
