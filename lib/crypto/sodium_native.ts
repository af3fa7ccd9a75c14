/**
 * The system's native libsodium (through Deno's FFI) as a {@link CryptoBackend}: the same
 * primitives as the WebAssembly build, several times faster on the hot path of the relay
 * (one secretbox open and one seal per relayed frame). Used only when the process may load
 * native code (`--allow-ffi`, which `-A` includes) and a libsodium shared library is
 * installed; otherwise {@link loadNativeSodium} returns `null` and callers keep the
 * WebAssembly build. Tests prove byte-identical output with tweetnacl.
 *
 * @example
 * ```ts
 * import { loadNativeSodium } from "./sodium_native.ts";
 * const b = loadNativeSodium();
 * console.assert(b === null || b.name === "libsodium-native");
 * ```
 * @module
 */
import { checkKeySizes, type CryptoBackend, type KeyPair, LowOrderKeyError } from "./backend.ts";
import { ffiAllowed } from "../util/ffi.ts";
import { MAC_SIZE, PUBLIC_KEY_SIZE, SECRET_KEY_SIZE, SHARED_KEY_SIZE } from "./constants.ts";

const SYMBOLS = {
  sodium_init: { parameters: [], result: "i32" },
  crypto_box_keypair: { parameters: ["buffer", "buffer"], result: "i32" },
  crypto_scalarmult_base: { parameters: ["buffer", "buffer"], result: "i32" },
  crypto_box_beforenm: { parameters: ["buffer", "buffer", "buffer"], result: "i32" },
  crypto_secretbox_easy: {
    parameters: ["buffer", "buffer", "u64", "buffer", "buffer"],
    result: "i32",
  },
  crypto_secretbox_open_easy: {
    parameters: ["buffer", "buffer", "u64", "buffer", "buffer"],
    result: "i32",
  },
  randombytes_buf: { parameters: ["buffer", "usize"], result: "void" },
} as const;

/** Library names tried in order (Debian/Ubuntu sonames first, then the plain names). */
export const NATIVE_SODIUM_NAMES: readonly string[] = [
  "libsodium.so.23",
  "libsodium.so.26",
  "libsodium.so",
  "libsodium.dylib",
];

let tried = false;
let loaded: CryptoBackend | null = null;

function checkNonceKey(n: Uint8Array, k: Uint8Array): void {
  if (n.length !== 24 || k.length !== SHARED_KEY_SIZE) {
    throw new TypeError("nonce must be 24 bytes and key 32 bytes");
  }
}

/**
 * Opens the system libsodium once and returns it as a backend, or `null` when native code
 * may not be loaded or no libsodium is installed.
 *
 * @example
 * ```ts
 * import { loadNativeSodium } from "./sodium_native.ts";
 * const b = loadNativeSodium();
 * if (b) console.assert(b.randomBytes(4).length === 4);
 * ```
 */
export function loadNativeSodium(): CryptoBackend | null {
  if (tried) return loaded;
  tried = true;
  if (!ffiAllowed()) return null;
  let lib: Deno.DynamicLibrary<typeof SYMBOLS> | null = null;
  for (const name of NATIVE_SODIUM_NAMES) {
    try {
      lib = Deno.dlopen(name, SYMBOLS);
      break;
    } catch { /* try the next name */ }
  }
  if (!lib || lib.symbols.sodium_init() < 0) return null;
  const s = lib.symbols;
  const keyPair = (): KeyPair => {
    const publicKey = new Uint8Array(PUBLIC_KEY_SIZE), secretKey = new Uint8Array(SECRET_KEY_SIZE);
    s.crypto_box_keypair(publicKey, secretKey);
    return { publicKey, secretKey };
  };
  loaded = {
    name: "libsodium-native",
    keyPair,
    keyPairFromSecretKey: (sk) => {
      if (sk.length !== SECRET_KEY_SIZE) throw new TypeError("secret key must be 32 bytes");
      const publicKey = new Uint8Array(PUBLIC_KEY_SIZE);
      s.crypto_scalarmult_base(publicKey, sk);
      return { publicKey, secretKey: Uint8Array.from(sk) };
    },
    sharedKey: (pk, sk) => {
      checkKeySizes(pk, sk);
      const k = new Uint8Array(SHARED_KEY_SIZE);
      if (s.crypto_box_beforenm(k, pk, sk) !== 0) throw new LowOrderKeyError();
      return k;
    },
    seal: (m, n, k) => {
      checkNonceKey(n, k);
      const c = new Uint8Array(m.length + MAC_SIZE);
      s.crypto_secretbox_easy(c, m, BigInt(m.length), n, k);
      return c;
    },
    sealInto: (out, m, n, k) => {
      checkNonceKey(n, k);
      if (out.length !== m.length + MAC_SIZE) throw new RangeError("out must be m.length + 16");
      s.crypto_secretbox_easy(out, m, BigInt(m.length), n, k);
    },
    openInto: (out, c, n, k) => {
      checkNonceKey(n, k);
      if (c.length < MAC_SIZE || out.length !== c.length - MAC_SIZE) {
        throw new RangeError("out must be sealed.length - 16");
      }
      return s.crypto_secretbox_open_easy(out, c, BigInt(c.length), n, k) === 0;
    },
    open: (c, n, k) => {
      checkNonceKey(n, k);
      if (c.length < MAC_SIZE) return null;
      const m = new Uint8Array(c.length - MAC_SIZE);
      return s.crypto_secretbox_open_easy(m, c, BigInt(c.length), n, k) === 0 ? m : null;
    },
    randomBytes: (n) => {
      const out = new Uint8Array(n);
      if (n > 0) s.randombytes_buf(out, BigInt(n));
      return out;
    },
  };
  return loaded;
}
