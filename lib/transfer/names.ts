/**
 * File names a receiver accepts, and the numbered names it falls back to. Pure.
 *
 * A name is taken as a base name only: one with `/` or `\`, `..`, NUL or any other control
 * character, an empty name, `.`, a name over 255 UTF-8 bytes, or one starting with the
 * store's own prefix `.peerkit-` is refused. An existing file is never overwritten: the
 * store tries `name (1).ext`, `name (2).ext`, … instead.
 *
 * @example
 * ```ts
 * import { badName, numberedName } from "./names.ts";
 * console.assert(badName("../etc/passwd") !== null && badName("report.pdf") === null);
 * console.assert(numberedName("report.pdf", 2) === "report (2).pdf");
 * ```
 * @module
 */
import { MAX_NAME_BYTES } from "./constants.ts";

/** Prefix of the store's own partial and metadata files; no offered name may start with it. */
export const STORE_PREFIX = ".peerkit-";

/**
 * Why `name` is not acceptable as a base name, or `null` when it is.
 *
 * @example
 * ```ts
 * import { badName } from "./names.ts";
 * console.assert(badName("a\u0000b") === "the name has a control character");
 * console.assert(badName("") === "the name is empty");
 * ```
 */
export function badName(name: string): string | null {
  if (name.length === 0) return "the name is empty";
  if (new TextEncoder().encode(name).length > MAX_NAME_BYTES) {
    return `the name is longer than ${MAX_NAME_BYTES} bytes`;
  }
  // deno-lint-ignore no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f]/.test(name)) return "the name has a control character";
  if (name.includes("/") || name.includes("\\")) return "the name has a path separator";
  if (name.includes("..")) return "the name has ..";
  if (name === ".") return "the name is .";
  if (name.startsWith(STORE_PREFIX)) return `the name starts with ${STORE_PREFIX}`;
  return null;
}

/**
 * The `n`th alternative to `name`: `n` 0 is the name itself, then `stem (n).ext`. A leading
 * dot is part of the stem (`.bashrc` → `.bashrc (1)`).
 *
 * @example
 * ```ts
 * import { numberedName } from "./names.ts";
 * console.assert(numberedName("a.tar.gz", 1) === "a.tar (1).gz");
 * console.assert(numberedName("README", 3) === "README (3)");
 * console.assert(numberedName(".env", 1) === ".env (1)");
 * ```
 */
export function numberedName(name: string, n: number): string {
  if (n === 0) return name;
  const dot = name.lastIndexOf(".");
  if (dot <= 0) return `${name} (${n})`;
  return `${name.slice(0, dot)} (${n})${name.slice(dot)}`;
}
