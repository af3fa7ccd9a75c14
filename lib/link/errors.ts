/**
 * The link's one error: a {@link PeerkitError} with a code saying what could not be done.
 *
 * @example
 * ```ts
 * import { linkError } from "./errors.ts";
 * const e = linkError("UNREACHABLE", "peer not reachable within 5 s");
 * console.assert(e.code === "UNREACHABLE" && !e.usage);
 * ```
 * @module
 */
import { PeerkitError } from "../util/errors.ts";

/** Codes of the link's errors. */
export type LinkErrorCode = "UNREACHABLE" | "NO_PATH" | "CLOSED";

/**
 * A link failure (exit code 1 in a command).
 *
 * @example
 * ```ts
 * import { linkError } from "./errors.ts";
 * console.assert(linkError("CLOSED", "link closed").message === "link closed");
 * ```
 */
export function linkError(code: LinkErrorCode, message: string, cause?: unknown): PeerkitError {
  return new PeerkitError(code, message, cause === undefined ? {} : { cause });
}
