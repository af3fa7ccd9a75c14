/**
 * libsodium implementations of {@link CryptoBackend}: the system's native library when the
 * process may load it (see ./sodium_native.ts), else the WebAssembly build. They are loaded
 * on demand because the WebAssembly start-up costs tens of milliseconds; tests prove
 * byte-identical output with tweetnacl.
 *
 * @example
 * ```ts
 * import { loadSodium } from "./sodium.ts";
 * const b = await loadSodium();
 * console.assert(b.name === "libsodium" || b.name === "libsodium-native");
 * ```
 * @module
 */
import {
  backend,
  checkKeySizes,
  type CryptoBackend,
  LowOrderKeyError,
  setBackend,
} from "./backend.ts";
import { loadNativeSodium } from "./sodium_native.ts";

let loaded: CryptoBackend | undefined;

/**
 * The fastest libsodium available: the native library ({@link loadNativeSodium}) when it
 * loads, otherwise the WebAssembly build ({@link loadSodiumWasm}).
 *
 * @example
 * ```ts
 * import { loadSodium } from "./sodium.ts";
 * const b = await loadSodium();
 * console.assert(b.randomBytes(4).length === 4);
 * ```
 */
export async function loadSodium(): Promise<CryptoBackend> {
  return loadNativeSodium() ?? await loadSodiumWasm();
}

/**
 * Loads libsodium-wrappers (WebAssembly) once and returns it as a backend.
 *
 * @example
 * ```ts
 * import { loadSodiumWasm } from "./sodium.ts";
 * const b = await loadSodiumWasm();
 * console.assert(b.name === "libsodium");
 * ```
 */
export async function loadSodiumWasm(): Promise<CryptoBackend> {
  if (loaded) return loaded;
  const mod = await import("libsodium-wrappers");
  const s = mod.default;
  await s.ready;
  loaded = {
    name: "libsodium",
    keyPair: () => {
      const kp = s.crypto_box_keypair();
      return { publicKey: kp.publicKey, secretKey: kp.privateKey };
    },
    keyPairFromSecretKey: (sk) => ({
      publicKey: s.crypto_scalarmult_base(sk),
      secretKey: Uint8Array.from(sk),
    }),
    sharedKey: (pk, sk) => {
      checkKeySizes(pk, sk);
      try {
        return s.crypto_box_beforenm(pk, sk);
      } catch {
        throw new LowOrderKeyError(); // the only failure left once the sizes are right
      }
    },
    seal: (m, n, k) => s.crypto_secretbox_easy(m, n, k),
    open: (c, n, k) => {
      if (c.length < 16) return null;
      try {
        return s.crypto_secretbox_open_easy(c, n, k);
      } catch {
        return null;
      }
    },
    randomBytes: (n) => s.randombytes_buf(n),
  };
  return loaded;
}

/**
 * Makes libsodium (native when it loads) the backend of every layer (2.4-24x faster than
 * tweetnacl, see docs/benchmarks.md) and returns its name; keeps tweetnacl when libsodium
 * cannot load.
 * Long-running network commands call this once at start; short commands such as `keygen`
 * stay on tweetnacl because loading libsodium costs about 45 ms.
 *
 * @example
 * ```ts
 * import { useFastestBackend } from "./sodium.ts";
 * import { setBackend, tweetnaclBackend } from "./backend.ts";
 * const name = await useFastestBackend();
 * console.assert(["libsodium-native", "libsodium", "tweetnacl"].includes(name));
 * setBackend(tweetnaclBackend);
 * ```
 */
export async function useFastestBackend(): Promise<string> {
  try {
    const b = await loadSodium();
    setBackend(b);
    return b.name;
  } catch {
    return backend().name;
  }
}
