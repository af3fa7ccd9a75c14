/**
 * The packet-request payload (id 1, tox-protocol §6.7): which lossless packet numbers the
 * receiver is missing, run-length coded from its `buffer_start`.
 *
 * Walking numbers upward with a counter `n` starting at 1: a missing number emits `n` and
 * resets it; a present number with `n == 255` emits 0 and resets it; then `n++`.
 *
 * @example
 * ```ts
 * import { encodeRequest } from "./request.ts";
 * const missing = new Set([3, 6, 1024]);
 * const b = encodeRequest(1, 1025, (n) => !missing.has(n));
 * console.assert(Array.from(b).join(",") === "1,3,3,0,0,0,253");
 * ```
 * @module
 */
import { ID_REQUEST, MAX_DATA_PAYLOAD, PACKET_BUFFER_SIZE } from "./constants.ts";

/**
 * Builds the request payload for numbers `[start, end)` (u32, may wrap); `has(n)` tells
 * whether `n` was received. Stops at 1373 bytes, as c-toxcore does.
 *
 * @example
 * ```ts
 * import { encodeRequest } from "./request.ts";
 * console.assert(encodeRequest(0, 0, () => true).length === 1);
 * ```
 */
export function encodeRequest(
  start: number,
  end: number,
  has: (n: number) => boolean,
  maxLength = MAX_DATA_PAYLOAD,
): Uint8Array {
  const out = new Uint8Array(maxLength);
  out[0] = ID_REQUEST;
  let len = 1;
  let n = 1;
  const count = Math.min((end - start) >>> 0, PACKET_BUFFER_SIZE);
  for (let k = 0; k < count && len < maxLength; k++) {
    const i = (start + k) >>> 0;
    if (!has(i)) {
      out[len++] = n;
      n = 0;
    } else if (n === 255) {
      out[len++] = 0;
      n = 0;
    }
    n++;
  }
  return out.slice(0, len);
}

/**
 * Walks the sender's numbers `[start, end)` against a request payload (without the id
 * byte), calling `visit(n, true)` for each requested number and `visit(n, false)` for each
 * number the peer has (all numbers passed before the last byte). Returns `false` for a
 * malformed request (a non-zero byte where a 255-run marker belongs); numbers visited
 * before the fault stay visited, as in c-toxcore.
 *
 * @example
 * ```ts
 * import { walkRequest } from "./request.ts";
 * const req: number[] = [];
 * walkRequest(new Uint8Array([3, 3]), 1, 10, (n, r) => { if (r) req.push(n); });
 * console.assert(req.join() === "3,6");
 * ```
 */
export function walkRequest(
  body: Uint8Array,
  start: number,
  end: number,
  visit: (n: number, requested: boolean) => void,
): boolean {
  let pos = 0;
  let n = 1;
  const count = Math.min((end - start) >>> 0, PACKET_BUFFER_SIZE);
  for (let k = 0; k < count && pos < body.length; k++) {
    const i = (start + k) >>> 0;
    if (n === body[pos]) {
      visit(i, true);
      pos++;
      n = 0;
    } else {
      visit(i, false);
    }
    if (n === 255) {
      n = 1;
      if (pos < body.length && body[pos] !== 0) return false;
      pos++;
    } else {
      n++;
    }
  }
  return true;
}
