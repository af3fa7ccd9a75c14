import assert from "node:assert/strict";
import { peerkit } from "../_support/cli.ts";

Deno.test("--help lists all seven subcommands and the exit codes", async () => {
  const r = await peerkit(["--help"]);
  assert.equal(r.code, 0);
  for (const c of ["keygen", "bootstrap", "lookup", "punch", "relay", "connect", "send"]) {
    assert.match(r.stdout, new RegExp(`^  ${c} `, "m"), `missing ${c}`);
  }
  assert.match(r.stdout, /^ {2}lookup (\[options\] )?<id>/m);
  assert.match(r.stdout, /^ {2}punch (\[options\] )?(<id>|\[id\])/m);
  assert.match(r.stdout, /Exit codes: 0 success, 1 .*2 usage error/);
  const relay = await peerkit(["relay", "--help"]);
  assert.match(relay.stdout, /serve/);
});

Deno.test("every subcommand's --help carries a worked example", async () => {
  for (
    const c of [["keygen"], ["bootstrap"], ["lookup"], ["punch"], ["relay", "serve"], ["connect"], [
      "send",
    ], ["completions"]]
  ) {
    const r = await peerkit([...c, "--help"]);
    assert.equal(r.code, 0, c.join(" "));
    assert.match(r.stdout, /Examples?:\n\s+\$ /, `${c.join(" ")} has no example`);
  }
});

Deno.test("an unknown command or flag is a usage error: exit 2, one line, no stack trace", async () => {
  for (const args of [["frobnicate"], ["--no-such-flag"], ["keygen", "--bogus"]]) {
    const r = await peerkit(args);
    assert.equal(r.code, 2, args.join(" "));
    assert.equal(r.stdout, "");
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
    assert.doesNotMatch(r.stderr, /at .*\.ts:\d+/);
  }
});

Deno.test("a missing argument is a usage error (exit 2)", async () => {
  const r = await peerkit(["completions"]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /missing required argument/);
});

Deno.test("--version prints the version", async () => {
  const r = await peerkit(["--version"]);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^\d+\.\d+\.\d+\n$/);
});

Deno.test("completions are generated for bash, zsh and fish; other shells are usage errors", async () => {
  const bash = await peerkit(["completions", "bash"]);
  assert.equal(bash.code, 0);
  assert.match(bash.stdout, /complete -F _peerkit peerkit/);
  assert.match(bash.stdout, /"keygen"\) subs="" flags="[^"]*--force/);
  const zsh = await peerkit(["completions", "zsh"]);
  assert.match(zsh.stdout, /^#compdef peerkit/);
  const fish = await peerkit(["completions", "fish"]);
  assert.match(
    fish.stdout,
    /complete -c peerkit -n "__fish_seen_subcommand_from keygen" -l import/,
  );
  const bad = await peerkit(["completions", "tcsh"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /'tcsh' is invalid .*Allowed choices are bash, zsh, fish/);
});

Deno.test("the bash completion script is valid bash and completes subcommands", async () => {
  const script = (await peerkit(["completions", "bash"])).stdout;
  const out = await new Deno.Command("bash", {
    args: [
      "-c",
      `${script}\nCOMP_WORDS=(peerkit key); COMP_CWORD=1; _peerkit; echo "\${COMPREPLY[@]}"`,
    ],
    stdout: "piped",
  }).output();
  assert.equal(new TextDecoder().decode(out.stdout).trim(), "keygen");
});
