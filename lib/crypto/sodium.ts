/**
 * A libsodium (WebAssembly) implementation of {@link CryptoBackend}. It is loaded on demand
 * because its start-up costs tens of milliseconds; tests prove byte-identical output with
 * tweetnacl.
 *
 * @example
 * ```ts
 * import { loadSodium } from "./sodium.ts";
 * const b = await loadSodium();
 * console.assert(b.name === "libsodium");
 * ```
 * @module
 */
import type { CryptoBackend } from "./backend.ts";

let loaded: CryptoBackend | undefined;

/**
 * Loads libsodium-wrappers once and returns it as a backend.
 *
 * @example
 * ```ts
 * import { loadSodium } from "./sodium.ts";
 * const b = await loadSodium();
 * console.assert(b.randomBytes(4).length === 4);
 * ```
 */
export async function loadSodium(): Promise<CryptoBackend> {
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
    sharedKey: (pk, sk) => s.crypto_box_beforenm(pk, sk),
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
