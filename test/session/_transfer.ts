/** Bulk-transfer helper for session tests: sends a pattern, collects and hashes it. @module */
import { sha256 } from "../../lib/crypto/hash.ts";
import { toHex } from "../../lib/util/bytes.ts";
import type { World } from "./_world.ts";

/** Result of a transfer. */
export interface Transfer {
  ok: boolean;
  srcHash: string;
  gotHash: string;
  virtualMs: number;
  received: number;
}

/** A deterministic byte pattern. */
export function pattern(total: number, seed: number): Uint8Array {
  const src = new Uint8Array(total);
  let x = seed >>> 0;
  for (let i = 0; i < total; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    src[i] = x >>> 24;
  }
  return src;
}

/** Sends `total` bytes from world.a to world.b as lossless id-160 packets. */
export function transfer(
  w: World,
  total: number,
  maxMs: number,
  onTick?: (receivedBytes: number) => void,
): Transfer {
  const { a, b } = w;
  const src = pattern(total, 7);
  const got = new Uint8Array(total);
  let off = 0;
  let len = 0;
  let overflow = false;
  const t0 = w.now;
  const ok = w.run(
    () => {
      while (off < total) {
        const n = Math.min(1372, total - off);
        const p = new Uint8Array(n + 1);
        p[0] = 160;
        p.set(src.subarray(off, off + n), 1);
        if (!a.send(b.peer, p, w.now)) break;
        off += n;
      }
      for (const e of b.drainEvents()) {
        if (e.type !== "data") continue;
        if (len + e.data.length - 1 > total) overflow = true;
        else got.set(e.data.subarray(1), len);
        len += e.data.length - 1;
      }
      a.drainEvents();
      return len >= total;
    },
    maxMs,
    () => onTick?.(len),
  );
  return {
    ok: ok && !overflow && len === total,
    srcHash: toHex(sha256(src)),
    gotHash: toHex(sha256(got)),
    virtualMs: w.now - t0,
    received: len,
  };
}
