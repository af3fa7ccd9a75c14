/**
 * Shell completion as a user meets it: the generated script is sourced into a real bash (and
 * zsh) running in a tmux pane, a command line is typed and Tab is pressed, and the pane's
 * text is checked.
 */
import assert from "node:assert/strict";
import { peerkit } from "../_support/cli.ts";
import { needs } from "../_support/env.ts";

const td = new TextDecoder();

/** A tmux server of our own (private socket), stopped by its PID. */
class Pane implements AsyncDisposable {
  #socket: string;
  #pid = 0;
  constructor(readonly dir: string) {
    this.#socket = `${dir}/tmux.sock`;
  }
  #tmux(...args: string[]): string {
    const r = new Deno.Command("tmux", {
      args: ["-S", this.#socket, "-f", "/dev/null", ...args],
      env: { TERM: "xterm", HOME: this.dir, HISTFILE: "/dev/null", LANG: "C.UTF-8" },
      clearEnv: true,
      stdout: "piped",
      stderr: "piped",
    }).outputSync();
    if (!r.success) throw new Error(`tmux ${args[0]}: ${td.decode(r.stderr)}`);
    return td.decode(r.stdout);
  }
  start(shell: string): void {
    this.#tmux("new-session", "-d", "-x", "160", "-y", "40", "-c", this.dir, shell);
    this.#pid = Number(this.#tmux("display-message", "-p", "#{pid}").trim());
  }
  /** Types `text` literally, then presses `keys` (tmux key names such as Tab, Enter, C-u). */
  type(text: string, ...keys: string[]): void {
    if (text) this.#tmux("send-keys", "-l", text);
    for (const k of keys) this.#tmux("send-keys", k);
  }
  capture(): string {
    return this.#tmux("capture-pane", "-p");
  }
  /** Waits (at most `ms`) until the pane matches `re`; returns the pane text either way. */
  async waitFor(re: RegExp, ms = 5000): Promise<string> {
    const deadline = Date.now() + ms;
    let text = this.capture();
    while (!re.test(text) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      text = this.capture();
    }
    return text;
  }
  /** Clears the line being typed and the screen, and waits for a lone prompt. */
  async reset(): Promise<void> {
    this.type("", "C-c");
    this.type("clear", "Enter");
    await this.settle();
  }
  /** Waits (at most 3 s) until the pane shows nothing but a prompt. */
  async settle(): Promise<void> {
    const deadline = Date.now() + 3000;
    while (this.capture().trim() !== "$" && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  async [Symbol.asyncDispose](): Promise<void> {
    if (this.#pid > 0) {
      try {
        Deno.kill(this.#pid, "SIGTERM");
      } catch { /* already gone */ }
      // Wait (bounded) for the server and its shells to exit before removing their files.
      for (let i = 0; i < 50 && await exists(`/proc/${this.#pid}`); i++) {
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    await Deno.remove(this.dir, { recursive: true });
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

async function setUp(shell: "bash" | "zsh"): Promise<Pane> {
  const dir = await Deno.makeTempDir({ prefix: "peerkit-complete-" });
  const script = await peerkit(["completions", shell]);
  assert.equal(script.code, 0, script.stderr);
  await Deno.writeTextFile(`${dir}/peerkit.${shell}`, script.stdout);
  await Deno.mkdir(`${dir}/statedir`);
  await Deno.writeTextFile(`${dir}/node1.key`, "");
  return new Pane(dir);
}

/** The words bash listed between the typed line and the prompt it redraws below them. */
function listed(pane: string, typed: string): string[] {
  const line = `$ ${typed}`.trimEnd();
  const again = pane.lastIndexOf(line);
  const first = pane.lastIndexOf(line, again - 1);
  assert.ok(first >= 0 && again > first, `no listing in:\n${pane}`);
  return pane.slice(first + line.length, again).split(/\s+/).filter((w) => w !== "");
}

Deno.test({
  name: "bash: a real Tab press completes relay serve flags, values after global flags, shells",
  ...needs(["bash", "tmux"]),
  async fn() {
    await using p = await setUp("bash");
    p.start("bash --norc --noprofile");
    p.type(`PS1='$ '; source ${p.dir}/peerkit.bash; clear`, "Enter");
    await p.settle();

    const typed = "peerkit relay serve --";
    p.type(typed, "Tab", "Tab");
    let text = await p.waitFor(/--create-key[\s\S]*\$ peerkit relay serve --/);
    const flags = listed(text, typed);
    for (const f of ["--key", "--create-key", "--udp-port", "--tcp-port", "--rate", "--json"]) {
      assert.ok(flags.includes(f), `${f} missing in:\n${text}`);
    }
    assert.equal(new Set(flags).size, flags.length, `duplicates in:\n${text}`);
    assert.ok(!flags.includes("--force"), "keygen's --force offered to relay serve");

    await p.reset();
    p.type("peerkit --home st", "Tab");
    text = await p.waitFor(/peerkit --home statedir\//);
    assert.match(text, /peerkit --home statedir\//);

    await p.reset();
    p.type("peerkit relay serve --key no", "Tab");
    text = await p.waitFor(/--key node1\.key/);
    assert.match(text, /--key node1\.key/);

    await p.reset();
    p.type("peerkit completions ", "Tab", "Tab");
    text = await p.waitFor(/fish[\s\S]*\$ peerkit completions/);
    assert.deepEqual(listed(text, "peerkit completions ").sort(), [
      "bash",
      "fish",
      "zsh",
    ]);
  },
});

Deno.test({
  name: "zsh: a real Tab press completes relay serve flags and files after --key",
  ...needs(["zsh", "tmux"]),
  async fn() {
    await using p = await setUp("zsh");
    p.start("zsh -f");
    p.type(
      `PS1='$ '; autoload -Uz compinit && compinit -u -D; source ${p.dir}/peerkit.zsh; clear`,
      "Enter",
    );
    await p.settle();
    p.type("peerkit relay serve --", "Tab");
    let text = await p.waitFor(/--create-key/);
    for (const f of ["--create-key", "--udp-port", "--metrics"]) {
      assert.ok(text.includes(f), `${f} missing in:\n${text}`);
    }
    assert.ok(!text.includes("--force"), text);

    await p.reset();
    p.type("peerkit relay serve --key no", "Tab");
    text = await p.waitFor(/--key node1\.key/);
    assert.match(text, /--key node1\.key/);
  },
});

Deno.test({
  name: "fish: completing a command line (complete -C) offers relay serve flags, files, shells",
  ...needs(["fish"]),
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "peerkit-fish-" });
    try {
      const script = await peerkit(["completions", "fish"]);
      assert.equal(script.code, 0, script.stderr);
      await Deno.writeTextFile(`${dir}/peerkit.fish`, script.stdout);
      await Deno.writeTextFile(`${dir}/node1.key`, "");
      const ask = async (line: string) => {
        const r = await new Deno.Command("fish", {
          args: [
            "--no-config",
            "-c",
            `source ${dir}/peerkit.fish; complete -C ${JSON.stringify(line)}`,
          ],
          cwd: dir,
          env: { HOME: dir, PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin" },
          clearEnv: true,
          stdout: "piped",
          stderr: "piped",
        }).output();
        assert.equal(r.code, 0, td.decode(r.stderr));
        return td.decode(r.stdout).trim().split("\n").map((l) => l.split("\t")[0]!);
      };
      const flags = await ask("peerkit relay serve --");
      for (const f of ["--create-key", "--udp-port", "--key", "--json"]) {
        assert.ok(flags.includes(f), f);
      }
      assert.equal(new Set(flags).size, flags.length, flags.join(" "));
      assert.deepEqual((await ask("peerkit completions ")).sort(), ["bash", "fish", "zsh"]);
      assert.deepEqual(await ask("peerkit relay serve --key no"), ["node1.key"]);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
