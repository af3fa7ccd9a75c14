/**
 * `peerkit completions bash|zsh|fish`: shell completion scripts generated from the
 * program's own command tree, so they never drift from the real flags. They complete
 * subcommands at any depth (`relay serve`), each command's flags plus the global ones (each
 * once), file names after `--key`, `--out`, `--nodes`, `--import`, `--show`, directories
 * after `--home`, nothing after other flags that take a value, and fixed argument choices
 * (the shell names after `completions`).
 *
 * @example
 * ```ts
 * import { completionScript } from "./completions.ts";
 * const s = completionScript("bash", { name: "peerkit", options: ["--json"], commands: [] });
 * console.assert(s.includes("complete -F"));
 * ```
 * @module
 */
import { Argument } from "@commander-js/extra-typings";
import { EXIT, type Program, type Runner } from "./_io.ts";

/** The shells completions are generated for. */
export const SHELLS = ["bash", "zsh", "fish"] as const;
/** One of {@link SHELLS}. */
export type Shell = typeof SHELLS[number];

/** What follows a flag that takes a value. */
export type ValueKind = "file" | "dir" | "value";

/** A command and its flags, as completion sees them. */
export interface CommandTree {
  /** Command name. */
  name: string;
  /** Long and short flags, each once. */
  options: string[];
  /** Flags that take a value, and what kind of value. */
  values?: Record<string, ValueKind>;
  /** Fixed choices for the first positional argument. */
  choices?: string[];
  /** Subcommands. */
  commands: CommandTree[];
}

/** Flags whose value is a file name. */
export const FILE_FLAGS: ReadonlySet<string> = new Set([
  "--key",
  "--out",
  "-o",
  "--nodes",
  "--import",
  "--show",
  "--file",
]);
/** Flags whose value is a directory. */
export const DIR_FLAGS: ReadonlySet<string> = new Set(["--home", "--save-dir"]);

type AnyCommand = Program | Program["commands"][number];

/**
 * The command tree of a commander program.
 *
 * @example
 * ```ts
 * import { Command } from "@commander-js/extra-typings";
 * import { commandTree } from "./completions.ts";
 * const p = new Command("x").option("--json").option("--home <dir>");
 * const t = commandTree(p);
 * console.assert(t.options.includes("--json") && t.values?.["--home"] === "dir");
 * ```
 */
export function commandTree(cmd: AnyCommand): CommandTree {
  const options = new Set<string>();
  const values: Record<string, ValueKind> = {};
  for (const o of cmd.options) {
    const flags = [o.long, o.short].filter((x): x is string => !!x);
    for (const f of flags) {
      options.add(f);
      if (o.required || o.optional) {
        values[f] = flags.some((x) => DIR_FLAGS.has(x))
          ? "dir"
          : flags.some((x) => FILE_FLAGS.has(x))
          ? "file"
          : "value";
      }
    }
  }
  options.add("--help");
  const tree: CommandTree = {
    name: cmd.name(),
    options: [...options],
    values,
    commands: cmd.commands.map((c) => commandTree(c)),
  };
  const choices = cmd.registeredArguments[0]?.argChoices;
  if (choices && choices.length > 0) tree.choices = [...choices];
  return tree;
}

/** One command path with everything completion needs there (global flags merged in). */
interface Spec {
  path: string;
  subs: string[];
  flags: string[];
  values: string[];
  files: string[];
  dirs: string[];
  choices: string[];
}

function specs(tree: CommandTree): Spec[] {
  const globalValues = tree.values ?? {};
  const globalFlags = tree.options.filter((f) => f !== "-V" && f !== "--version");
  const out: Spec[] = [];
  const walk = (t: CommandTree, path: string[]) => {
    const flags = [...new Set([...t.options, ...(path.length > 0 ? globalFlags : [])])];
    const values = { ...globalValues, ...(t.values ?? {}) };
    const names = Object.keys(values);
    out.push({
      path: path.join(" "),
      subs: t.commands.map((c) => c.name),
      flags,
      values: names,
      files: names.filter((f) => values[f] === "file"),
      dirs: names.filter((f) => values[f] === "dir"),
      choices: t.choices ?? [],
    });
    for (const c of t.commands) walk(c, [...path, c.name]);
  };
  walk(tree, []);
  return out;
}

/** The shared shell function that sets the completion variables for a command path. */
function specFunction(name: string, tree: CommandTree): string {
  const cases = specs(tree).map((s) =>
    `    "${s.path}") subs="${s.subs.join(" ")}" flags="${s.flags.join(" ")}" ` +
    `values="${s.values.join(" ")}" files="${s.files.join(" ")}" dirs="${s.dirs.join(" ")}" ` +
    `choices="${s.choices.join(" ")}" ;;`
  ).join("\n");
  return `_${name}_spec() {
  case "$1" in
${cases}
    *) subs="" flags="" values="" files="" dirs="" choices="" ;;
  esac
}`;
}

/**
 * A completion script for `shell`.
 *
 * @example
 * ```ts
 * import { completionScript } from "./completions.ts";
 * const t = { name: "peerkit", options: ["--json"], commands: [{ name: "keygen", options: ["--out"], commands: [] }] };
 * console.assert(completionScript("fish", t).includes("keygen"));
 * ```
 */
export function completionScript(shell: Shell, tree: CommandTree): string {
  const name = tree.name;
  if (shell === "bash") {
    return `# bash completion for ${name}; load with: source <(${name} completions bash)
${specFunction(name, tree)}
_${name}() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="" cmdpath="" i w
  local subs flags values files dirs choices
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    _${name}_spec "$cmdpath"
    if [[ " $values " == *" $w "* ]]; then ((i++)); continue; fi
    if [[ "$w" != -* && " $subs " == *" $w "* ]]; then cmdpath="\${cmdpath:+$cmdpath }$w"; fi
  done
  _${name}_spec "$cmdpath"
  (( COMP_CWORD > 1 )) && prev="\${COMP_WORDS[COMP_CWORD-1]}"
  if [[ -n "$prev" && " $values " == *" $prev "* ]]; then
    if [[ " $dirs " == *" $prev "* ]]; then
      compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -d -- "$cur"))
    elif [[ " $files " == *" $prev "* ]]; then
      compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- "$cur"))
    else
      COMPREPLY=()
    fi
    return
  fi
  if [[ "$cur" == -* || -z "$subs$choices" ]]; then
    COMPREPLY=($(compgen -W "$flags" -- "$cur"))
  else
    COMPREPLY=($(compgen -W "$subs $choices" -- "$cur"))
  fi
}
complete -F _${name} ${name}
`;
  }
  if (shell === "zsh") {
    return `#compdef ${name}
# zsh completion for ${name}; load with: source <(${name} completions zsh)
# (after compinit), or save it as _${name} in a directory on $fpath.
${specFunction(name, tree)}
_${name}() {
  local cmdpath="" i w prev cur subs flags values files dirs choices
  for ((i = 2; i < CURRENT; i++)); do
    w="\${words[i]}"
    _${name}_spec "$cmdpath"
    if [[ " $values " == *" $w "* ]]; then ((i++)); continue; fi
    if [[ "$w" != -* && " $subs " == *" $w "* ]]; then cmdpath="\${cmdpath:+$cmdpath }$w"; fi
  done
  _${name}_spec "$cmdpath"
  cur="\${words[CURRENT]}"
  (( CURRENT > 2 )) && prev="\${words[CURRENT-1]}"
  if [[ -n "$prev" && " $values " == *" $prev "* ]]; then
    if [[ " $dirs " == *" $prev "* ]]; then _directories
    elif [[ " $files " == *" $prev "* ]]; then _files
    fi
    return
  fi
  if [[ "$cur" == -* || -z "$subs$choices" ]]; then
    compadd -- \${=flags}
  else
    compadd -- \${=subs} \${=choices}
  fi
}
if [[ "\${funcstack[1]}" == "_${name}" ]]; then _${name} "$@"; else compdef _${name} ${name}; fi
`;
  }
  const lines = new Set<string>([
    `# fish completion for ${name}; load with: ${name} completions fish | source`,
    `complete -c ${name} -f`,
  ]);
  const fishFlag = (cond: string, flag: string, kind: ValueKind | undefined) => {
    const opt = flag.startsWith("--") ? `-l ${flag.slice(2)}` : `-s ${flag.slice(1)}`;
    const value = kind === "file"
      ? " -r -F"
      : kind === "dir"
      ? ` -r -f -a "(__fish_complete_directories)"`
      : kind === "value"
      ? " -r"
      : "";
    return `complete -c ${name}${cond} ${opt}${value}`;
  };
  for (const f of tree.options) lines.add(fishFlag("", f, tree.values?.[f]));
  const walk = (t: CommandTree, parent: string | null) => {
    const cond = parent === null
      ? ` -n "__fish_use_subcommand"`
      : ` -n "__fish_seen_subcommand_from ${parent}"`;
    lines.add(`complete -c ${name}${cond} -a ${t.name}`);
    const here = ` -n "__fish_seen_subcommand_from ${t.name}"`;
    for (const f of t.options) lines.add(fishFlag(here, f, t.values?.[f]));
    if (t.choices) lines.add(`complete -c ${name}${here} -a "${t.choices.join(" ")}"`);
    for (const c of t.commands) walk(c, t.name);
  };
  for (const c of tree.commands) walk(c, null);
  return [...lines].join("\n") + "\n";
}

/**
 * Adds `completions` to the program.
 *
 * @example
 * ```ts
 * import { Command } from "@commander-js/extra-typings";
 * import { registerCompletions } from "./completions.ts";
 * registerCompletions(new Command(), async () => {});
 * ```
 */
export function registerCompletions(program: Program, run: Runner): void {
  program.command("completions")
    .description("print a shell completion script (bash, zsh or fish)")
    .addArgument(new Argument("<shell>", "bash, zsh or fish").choices(SHELLS))
    .addHelpText(
      "after",
      `
Examples:
  $ source <(peerkit completions bash)
  $ peerkit completions zsh > "\${fpath[1]}/_peerkit"
  $ peerkit completions fish > ~/.config/fish/completions/peerkit.fish`,
    )
    .action((shell) =>
      run((g, io) => {
        const script = completionScript(shell, commandTree(program));
        if (g.json) io.out(JSON.stringify({ shell, script }));
        else io.out(script.trimEnd());
        return Promise.resolve(EXIT.OK);
      })
    );
}
