/**
 * Tox IDs as text: 76 hex characters encoding 38 bytes, `[public key 32][nospam 4][checksum
 * 2]`, where the checksum XORs the 36 bytes of key and nospam in 2-byte chunks (byte `i`
 * into checksum byte `i % 2`). Printed upper-case as Tox clients print them, accepted in
 * either case.
 *
 * @example
 * ```ts
 * import { formatToxId, parseToxId } from "./tox_id.ts";
 * const text = formatToxId({ publicKey: new Uint8Array(32).fill(1), nospam: new Uint8Array(4) });
 * console.assert(parseToxId(text).publicKey[0] === 1 && text.length === 76);
 * ```
 * @module
 */
import { fromHex, isHex, toHex } from "../util/bytes.ts";
import { usageError } from "../util/errors.ts";

/** Bytes in a Tox ID. */
export const TOX_ID_SIZE = 38;
/** Bytes of nospam in a Tox ID. */
export const NOSPAM_SIZE = 4;
/** Bytes of checksum in a Tox ID. */
export const TOX_ID_CHECKSUM_SIZE = 2;
/** Characters of a Tox ID written in hex. */
export const TOX_ID_HEX_LENGTH: number = TOX_ID_SIZE * 2;

/** The parts of a Tox ID a user shares. */
export interface ToxId {
  /** The long-term ("real") public key, 32 bytes. */
  publicKey: Uint8Array;
  /** 4 bytes that friend requests must carry; changing it stops spam to the old ID. */
  nospam: Uint8Array;
}

/**
 * The 2-byte checksum of `publicKey || nospam`.
 *
 * @example
 * ```ts
 * import { toxIdChecksum } from "./tox_id.ts";
 * const pk = new Uint8Array(32); pk[0] = 0x12; pk[1] = 0x34; pk[2] = 0x01;
 * const c = toxIdChecksum({ publicKey: pk, nospam: new Uint8Array(4) });
 * console.assert(c[0] === 0x13 && c[1] === 0x34);
 * ```
 */
export function toxIdChecksum(id: ToxId): Uint8Array {
  checkParts(id);
  const sum = new Uint8Array(TOX_ID_CHECKSUM_SIZE);
  for (let i = 0; i < 32; i++) sum[i % 2]! ^= id.publicKey[i]!;
  for (let i = 0; i < NOSPAM_SIZE; i++) sum[(32 + i) % 2]! ^= id.nospam[i]!;
  return sum;
}

function checkParts(id: ToxId): void {
  if (id.publicKey.length !== 32) throw new TypeError("public key must be 32 bytes");
  if (id.nospam.length !== NOSPAM_SIZE) throw new TypeError("nospam must be 4 bytes");
}

/**
 * The 38 bytes of a Tox ID.
 *
 * @example
 * ```ts
 * import { encodeToxId } from "./tox_id.ts";
 * console.assert(encodeToxId({ publicKey: new Uint8Array(32), nospam: new Uint8Array(4) }).length === 38);
 * ```
 */
export function encodeToxId(id: ToxId): Uint8Array {
  const out = new Uint8Array(TOX_ID_SIZE);
  out.set(id.publicKey, 0);
  out.set(id.nospam, 32);
  out.set(toxIdChecksum(id), 36);
  return out;
}

/**
 * 76 upper-case hex characters.
 *
 * @example
 * ```ts
 * import { formatToxId } from "./tox_id.ts";
 * const t = formatToxId({ publicKey: new Uint8Array(32), nospam: new Uint8Array([0, 0, 0, 1]) });
 * console.assert(t.endsWith("000000010001"));
 * ```
 */
export function formatToxId(id: ToxId): string {
  return toHex(encodeToxId(id)).toUpperCase();
}

/**
 * True when `text` (surrounding spaces ignored) is a well-formed Tox ID with a good checksum.
 *
 * @example
 * ```ts
 * import { isToxId } from "./tox_id.ts";
 * console.assert(isToxId("00".repeat(38)) && !isToxId("00".repeat(37) + "01"));
 * ```
 */
export function isToxId(text: string): boolean {
  try {
    parseToxId(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * Parses 76 hex characters; the wrong length, non-hex characters or a bad checksum are a
 * usage error with code `BAD_TOX_ID`.
 *
 * @example
 * ```ts
 * import { parseToxId } from "./tox_id.ts";
 * console.assert(parseToxId("00".repeat(38)).nospam.length === 4);
 * ```
 */
export function parseToxId(text: string): ToxId {
  const t = text.trim();
  if (!isHex(t, TOX_ID_SIZE)) {
    throw usageError(
      `a Tox ID must be ${TOX_ID_HEX_LENGTH} hex characters, got ${t.length} characters${
        /^[0-9a-fA-F]*$/.test(t) ? "" : " with non-hex ones"
      }`,
      "BAD_TOX_ID",
    );
  }
  const b = fromHex(t);
  const id = { publicKey: b.slice(0, 32), nospam: b.slice(32, 36) };
  const want = toxIdChecksum(id);
  if (want[0] !== b[36] || want[1] !== b[37]) {
    throw usageError(
      `the Tox ID's checksum is wrong (ends ${toHex(b.subarray(36)).toUpperCase()}, expected ${
        toHex(want).toUpperCase()
      }): check for a typo`,
      "BAD_TOX_ID",
    );
  }
  return id;
}
