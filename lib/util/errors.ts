/**
 * The one error class of peerkit's library: a string `code` plus a message meant for a user.
 * `cli.ts` prints the message on one line; usage errors exit 2, everything else 1.
 *
 * @example
 * ```ts
 * import { PeerkitError } from "./errors.ts";
 * const e = new PeerkitError("KEY_EXISTS", "identity exists");
 * console.assert(e.code === "KEY_EXISTS");
 * ```
 * @module
 */

/** A failure with a stable code; `usage` marks errors caused by the caller's input (exit 2). */
export class PeerkitError extends Error {
  /** Stable machine-readable code, e.g. `KEY_EXISTS`. */
  readonly code: string;
  /** True when the caller's input was wrong (exit code 2). */
  readonly usage: boolean;

  /**
   * An error with a stable code and a message for a person.
   * @param code stable code
   * @param message one line for a person
   * @param opts `usage` for input errors, `cause` for the underlying error
   */
  constructor(code: string, message: string, opts: { usage?: boolean; cause?: unknown } = {}) {
    super(message, { cause: opts.cause });
    this.name = "PeerkitError";
    this.code = code;
    this.usage = opts.usage ?? false;
  }
}

/**
 * A {@link PeerkitError} for bad input (exit code 2).
 *
 * @example
 * ```ts
 * import { usageError } from "./errors.ts";
 * console.assert(usageError("bad id").usage);
 * ```
 */
export function usageError(message: string, code = "USAGE"): PeerkitError {
  return new PeerkitError(code, message, { usage: true });
}
