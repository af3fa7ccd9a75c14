/**
 * Public keys as text: 64 hex characters, printed upper-case as Tox tools print them and
 * accepted in either case.
 *
 * @example
 * ```ts
 * import { formatPublicKey, parsePublicKey } from "./pubkey.ts";
 * const pk = new Uint8Array(32).fill(0xab);
 * console.assert(formatPublicKey(parsePublicKey(formatPublicKey(pk))) === "AB".repeat(32));
 * ```
 * @module
 */
import { fromHex, isHex, toHex } from "../util/bytes.ts";
import { usageError } from "../util/errors.ts";

/**
 * 64 upper-case hex characters.
 *
 * @example
 * ```ts
 * import { formatPublicKey } from "./pubkey.ts";
 * console.assert(formatPublicKey(new Uint8Array(32)).length === 64);
 * ```
 */
export function formatPublicKey(pk: Uint8Array): string {
  return toHex(pk).toUpperCase();
}

/**
 * Parses 64 hex characters; anything else is a usage error (`BAD_PUBLIC_KEY`).
 *
 * @example
 * ```ts
 * import { parsePublicKey } from "./pubkey.ts";
 * console.assert(parsePublicKey("00".repeat(32)).length === 32);
 * ```
 */
export function parsePublicKey(text: string, what = "public key"): Uint8Array {
  const t = text.trim();
  if (!isHex(t, 32)) {
    throw usageError(
      `${what} must be 64 hex characters, got ${t.length} characters${
        /^[0-9a-fA-F]*$/.test(t) ? "" : " with non-hex ones"
      }`,
      "BAD_PUBLIC_KEY",
    );
  }
  return fromHex(t);
}
