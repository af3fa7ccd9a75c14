/**
 * Whether native code may be loaded through Deno's FFI: the process has the `ffi`
 * permission and the operator has not turned native paths off with `PEERKIT_NO_FFI=1`.
 * peerkit uses FFI for two optional speed-ups, each with a pure-Deno fallback: the batched
 * Linux UDP socket (`lib/net/udp_linux.ts`) and the system's libsodium
 * (`lib/crypto/sodium_native.ts`).
 *
 * @example
 * ```ts
 * import { ffiAllowed } from "./ffi.ts";
 * console.assert(typeof ffiAllowed() === "boolean");
 * ```
 * @module
 */

/** Name of the environment variable that turns every FFI path off when set to `1`. */
export const NO_FFI_ENV = "PEERKIT_NO_FFI";

/**
 * True when FFI is permitted and not turned off; `env` is the value of `PEERKIT_NO_FFI`
 * (read from the environment when the process may read it, when not given).
 *
 * @example
 * ```ts
 * import { ffiAllowed } from "./ffi.ts";
 * console.assert(ffiAllowed("1") === false);
 * ```
 */
export function ffiAllowed(env: string | undefined = readEnv()): boolean {
  if (env !== undefined && env !== "" && env !== "0") return false;
  try {
    return Deno.permissions.querySync({ name: "ffi" }).state === "granted";
  } catch {
    return false;
  }
}

function readEnv(): string | undefined {
  try {
    if (Deno.permissions.querySync({ name: "env", variable: NO_FFI_ENV }).state !== "granted") {
      return undefined;
    }
    return Deno.env.get(NO_FFI_ENV);
  } catch {
    return undefined;
  }
}
