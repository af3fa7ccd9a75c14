/**
 * Sealing one data packet (tox-protocol §6.6) straight into its datagram: the plaintext is
 * written into a caller's scratch buffer and the box into the datagram itself, so a packet
 * costs one allocation (the datagram). The nonce is the sender's running nonce; it is
 * used, then incremented in place.
 *
 * @example
 * ```ts
 * import { tweetnaclBackend as crypto } from "../crypto/backend.ts";
 * import { sealDataPacket } from "./seal.ts";
 * const nonce = new Uint8Array(24), key = new Uint8Array(32).fill(1);
 * const d = sealDataPacket(crypto, key, nonce, new Uint8Array(1400), 0, 0, new Uint8Array([160]));
 * console.assert(d[0] === 0x1b && d.length === 3 + 8 + 4 + 1 + 16 && nonce[23] === 1);
 * ```
 * @module
 */
import type { CryptoBackend } from "../crypto/backend.ts";
import { MAC_SIZE } from "../crypto/constants.ts";
import { incrementNonce } from "../crypto/nonce.ts";
import { DATA_HEADER_SIZE, KIND_DATA } from "./constants.ts";
import { encodeDataPlainInto } from "./plain.ts";

/**
 * The datagram `[0x1b][nonce low 2][Box_key(bufferStart, number, padding, payload)]`
 * sealed with `nonce`, which is then incremented. `scratch` (at least 1381 bytes) holds
 * the plaintext. Throws `RangeError` like `encodeDataPlain` for a bad payload.
 *
 * @example
 * ```ts
 * import { tweetnaclBackend as crypto } from "../crypto/backend.ts";
 * import { sealDataPacket } from "./seal.ts";
 * const n = new Uint8Array(24);
 * n[23] = 0xff;
 * const d = sealDataPacket(crypto, new Uint8Array(32), n, new Uint8Array(1400), 7, 9, new Uint8Array([16, 1]));
 * console.assert(d[1] === 0 && d[2] === 0xff && n[22] === 1 && n[23] === 0);
 * ```
 */
export function sealDataPacket(
  crypto: CryptoBackend,
  key: Uint8Array,
  nonce: Uint8Array,
  scratch: Uint8Array,
  bufferStart: number,
  packetNumber: number,
  payload: Uint8Array,
): Uint8Array {
  const len = encodeDataPlainInto(scratch, { bufferStart, packetNumber, payload });
  const out = new Uint8Array(DATA_HEADER_SIZE + len + MAC_SIZE);
  out[0] = KIND_DATA;
  out[1] = nonce[22]!;
  out[2] = nonce[23]!;
  const m = scratch.subarray(0, len);
  if (crypto.sealInto) crypto.sealInto(out.subarray(DATA_HEADER_SIZE), m, nonce, key);
  else out.set(crypto.seal(m, nonce, key), DATA_HEADER_SIZE);
  incrementNonce(nonce);
  return out;
}
