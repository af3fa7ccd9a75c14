/**
 * The inner layer of onion data (onion_client.c `send_onion_data` / `handle_data_response`):
 * what a 0x85 carries to the announced peer's data key, and what that peer opens from 0x86.
 *
 * ```text
 * [sender real pk 32][Box(DH(sender real sk, receiver real pk), nonce of the 0x85, [id 1][data])]
 * ```
 * The application payload (`[id][data]`) is at most 1021 bytes (ONION_CLIENT_MAX_DATA_SIZE).
 *
 * @example
 * ```ts
 * import { openOnionDataInner, sealOnionDataInner } from "./client_data.ts";
 * import { backend } from "../crypto/mod.ts";
 * const a = backend().keyPair(), b = backend().keyPair(), nonce = new Uint8Array(24);
 * const inner = sealOnionDataInner(new Uint8Array([0x9c, 1]), a, b.publicKey, nonce);
 * console.assert(openOnionDataInner(inner, b.secretKey, nonce)?.payload[0] === 0x9c);
 * ```
 * @module
 */
import type { KeyPair } from "../crypto/backend.ts";
import { decryptData, encryptData } from "../crypto/box.ts";
import { concat } from "../util/bytes.ts";
import { MAC_SIZE, MAX_DATA_REQUEST_SIZE, PUBLIC_KEY_SIZE } from "./constants.ts";

/** Largest `[id][data]` payload a client sends through the onion (1021). */
export const ONION_CLIENT_MAX_DATA_SIZE: number = MAX_DATA_REQUEST_SIZE - PUBLIC_KEY_SIZE -
  MAC_SIZE;

/**
 * Seals `payload` (`[id][data]`) from our real key to the peer's real key.
 *
 * @example
 * ```ts
 * import { sealOnionDataInner } from "./client_data.ts";
 * import { backend } from "../crypto/mod.ts";
 * const a = backend().keyPair();
 * console.assert(sealOnionDataInner(new Uint8Array([1]), a, a.publicKey, new Uint8Array(24)).length === 49);
 * ```
 */
export function sealOnionDataInner(
  payload: Uint8Array,
  realKeyPair: KeyPair,
  peerRealPublicKey: Uint8Array,
  nonce: Uint8Array,
): Uint8Array {
  if (payload.length === 0 || payload.length > ONION_CLIENT_MAX_DATA_SIZE) {
    throw new RangeError(`onion data payload must be 1..${ONION_CLIENT_MAX_DATA_SIZE} bytes`);
  }
  return concat(
    realKeyPair.publicKey,
    encryptData(peerRealPublicKey, realKeyPair.secretKey, nonce, payload),
  );
}

/**
 * Opens the inner layer with our real secret key; `null` when it is too short or its MAC
 * fails. Never throws on network input.
 *
 * @example
 * ```ts
 * import { openOnionDataInner } from "./client_data.ts";
 * console.assert(openOnionDataInner(new Uint8Array(10), new Uint8Array(32), new Uint8Array(24)) === null);
 * ```
 */
export function openOnionDataInner(
  inner: Uint8Array,
  realSecretKey: Uint8Array,
  nonce: Uint8Array,
): { sender: Uint8Array; payload: Uint8Array } | null {
  if (inner.length <= PUBLIC_KEY_SIZE + MAC_SIZE) return null;
  const sender = inner.slice(0, PUBLIC_KEY_SIZE);
  const payload = decryptData(sender, realSecretKey, nonce, inner.subarray(PUBLIC_KEY_SIZE));
  return payload ? { sender, payload } : null;
}
