/**
 * tweetnacl against libsodium (the WebAssembly build, libsodium-wrappers, and the system's
 * native library through FFI when it loads) on the operations the protocol layers run per
 * packet. Prints operations per second for each and the ratios to tweetnacl.
 *
 *     deno run -A bench/crypto.ts
 *
 * @module
 */
import {
  type CryptoBackend,
  loadNativeSodium,
  loadSodiumWasm,
  tweetnaclBackend,
} from "../lib/crypto/mod.ts";
import { opsPerSecond } from "./_measure.ts";

const sodium = await loadSodiumWasm();
const native = loadNativeSodium();
const a = tweetnaclBackend.keyPair(), b = tweetnaclBackend.keyPair();
const nonce = tweetnaclBackend.randomBytes(24);
const key = tweetnaclBackend.sharedKey(b.publicKey, a.secretKey);

function cases(x: CryptoBackend): [string, () => void][] {
  const out: [string, () => void][] = [];
  for (const size of [64, 1024, 2032]) {
    const m = new Uint8Array(size).fill(7);
    const c = x.seal(m, nonce, key);
    out.push([`seal ${size} B`, () => x.seal(m, nonce, key)]);
    out.push([`open ${size} B`, () => x.open(c, nonce, key)]);
  }
  out.push(["shared key (X25519+HSalsa20)", () => x.sharedKey(b.publicKey, a.secretKey)]);
  out.push(["key pair", () => x.keyPair()]);
  return out;
}

const ms = Number(Deno.args[0] ?? 400);
console.log(
  `operation                      tweetnacl ops/s   libsodium ops/s   libsodium/tweetnacl` +
    (native ? "   native ops/s   native/tweetnacl" : "   (native libsodium did not load)"),
);
const t = cases(tweetnaclBackend), s = cases(sodium), n = native ? cases(native) : [];
for (let i = 0; i < t.length; i++) {
  const [name, ft] = t[i]!;
  const rt = opsPerSecond(ft, ms), rs = opsPerSecond(s[i]![1], ms);
  const rn = n[i] ? opsPerSecond(n[i]![1], ms) : NaN;
  console.log(
    `${name.padEnd(30)} ${rt.toFixed(0).padStart(15)} ${rs.toFixed(0).padStart(17)} ${
      (rs / rt).toFixed(2).padStart(20)
    }x` +
      (native ? ` ${rn.toFixed(0).padStart(14)} ${(rn / rt).toFixed(2).padStart(17)}x` : ""),
  );
}
