/**
 * `peerkit completions bash|zsh|fish`: shell completion scripts generated from the
 * program's own command tree, so they never drift from the real flags.
 *
 * @example
 * ```ts
 * import { completionScript } from "./completions.ts";
 * const s = completionScript("bash", { name: "peerkit", options: ["--json"], commands: [] });
 * console.assert(s.includes("complete -F"));
 * ```
 * @module
 */
import { EXIT, type Program, type Runner } from "./_io.ts";
import { usageError } from "../lib/util/errors.ts";

/** The shells completions are generated for. */
export const SHELLS = ["bash", "zsh", "fish"] as const;
/** One of {@link SHELLS}. */
export type Shell = typeof SHELLS[number];

/** A command and its flags, as completion sees them. */
export interface CommandTree {
  /** Command name. */
  name: string;
  /** Long and short flags. */
  options: string[];
  /** Subcommands. */
  commands: CommandTree[];
}

/**
 * The command tree of a commander program.
 *
 * @example
 * ```ts
 * import { Command } from "@commander-js/extra-typings";
 * import { commandTree } from "./completions.ts";
 * const p = new Command("x").option("--json");
 * console.assert(commandTree(p).options.includes("--json"));
 * ```
 */
export function commandTree(cmd: Program | Program["commands"][number]): CommandTree {
  return {
    name: cmd.name(),
    options: cmd.options.flatMap((o) => [o.long, o.short].filter((x): x is string => !!x))
      .concat(["--help"]),
    commands: cmd.commands.map((c) => commandTree(c)),
  };
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
  const top = tree.commands.map((c) => c.name);
  const name = tree.name;
  if (shell === "bash") {
    const cases = tree.commands.map((c) => {
      const words = [...c.options, ...c.commands.map((s) => s.name), ...tree.options];
      return `    ${c.name}) opts="${words.join(" ")}" ;;`;
    }).join("\n");
    return `# bash completion for ${name}; load with: source <(${name} completions bash)
_${name}() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" cmd="" i opts
  for ((i = 1; i < COMP_CWORD; i++)); do
    case "\${COMP_WORDS[i]}" in -*) ;; *) cmd="\${COMP_WORDS[i]}"; break ;; esac
  done
  case "$cmd" in
${cases}
    *) opts="${[...top, ...tree.options].join(" ")}" ;;
  esac
  COMPREPLY=($(compgen -W "$opts" -- "$cur"))
}
complete -F _${name} ${name}
`;
  }
  if (shell === "zsh") {
    const cases = tree.commands.map((c) =>
      `    ${c.name}) compadd -- ${[...c.options, ...c.commands.map((s) => s.name)].join(" ")} ;;`
    ).join("\n");
    return `#compdef ${name}
# zsh completion for ${name}; load with: source <(${name} completions zsh)
_${name}() {
  if (( CURRENT == 2 )); then
    compadd -- ${[...top, ...tree.options].join(" ")}
    return
  fi
  case "\${words[2]}" in
${cases}
  esac
}
compdef _${name} ${name}
`;
  }
  const lines = [`# fish completion for ${name}; load with: ${name} completions fish | source`];
  lines.push(`complete -c ${name} -f`);
  for (const c of tree.commands) {
    lines.push(`complete -c ${name} -n "__fish_use_subcommand" -a ${c.name}`);
    for (const o of c.options.filter((o) => o.startsWith("--"))) {
      lines.push(`complete -c ${name} -n "__fish_seen_subcommand_from ${c.name}" -l ${o.slice(2)}`);
    }
    for (const s of c.commands) {
      lines.push(`complete -c ${name} -n "__fish_seen_subcommand_from ${c.name}" -a ${s.name}`);
    }
  }
  for (const o of tree.options.filter((o) => o.startsWith("--"))) {
    lines.push(`complete -c ${name} -l ${o.slice(2)}`);
  }
  return lines.join("\n") + "\n";
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
    .argument("<shell>", "bash, zsh or fish")
    .addHelpText(
      "after",
      `
Examples:
  $ source <(peerkit completions bash)
  $ peerkit completions fish > ~/.config/fish/completions/peerkit.fish`,
    )
    .action((shell) =>
      run((_g, io) => {
        if (!(SHELLS as readonly string[]).includes(shell)) {
          throw usageError(
            `completions: unknown shell ${JSON.stringify(shell)}; use bash, zsh or fish`,
          );
        }
        io.out(completionScript(shell as Shell, commandTree(program)).trimEnd());
        return Promise.resolve(EXIT.OK);
      })
    );
}
