/**
 * The one error decoders of network bytes throw.
 *
 * @example
 * ```ts
 * import { WireError } from "./wire_error.ts";
 * console.assert(new WireError("TRUNCATED", "short").code === "TRUNCATED");
 * ```
 * @module
 */

/** Why a packet could not be decoded. */
export type WireErrorCode =
  | "TRUNCATED"
  | "BAD_TYPE"
  | "TOO_LARGE"
  | "BAD_LENGTH"
  | "BAD_FAMILY"
  | "BAD_VALUE";

/** A coded decoding failure; the only error a decoder of untrusted bytes may throw. */
export class WireError extends Error {
  /** Why decoding failed. */
  readonly code: WireErrorCode;
  /** A decoding failure with a reason code and a detail message. */
  constructor(code: WireErrorCode, message: string) {
    super(message);
    this.name = "WireError";
    this.code = code;
  }
}
