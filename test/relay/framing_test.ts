import assert from "node:assert/strict";
import fc from "fast-check";
import {
  type CryptoBackend,
  loadNativeSodium,
  loadSodiumWasm,
  tweetnaclBackend,
} from "../../lib/crypto/mod.ts";
import { FrameCodec, FrameReader } from "../../lib/relay/mod.ts";
import { toHex } from "../../lib/util/bytes.ts";

const native = loadNativeSodium();
const backends: CryptoBackend[] = [
  tweetnaclBackend,
  await loadSodiumWasm(),
  ...(native ? [native] : []),
];

Deno.test("FrameCodec frames are byte-identical on every backend and open on every other", () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 32, maxLength: 32 }),
      fc.uint8Array({ minLength: 24, maxLength: 24 }),
      fc.array(fc.uint8Array({ minLength: 1, maxLength: 2032 }), { minLength: 1, maxLength: 4 }),
      (key, nonce, packets) => {
        const keys = { key, sendNonce: nonce, recvNonce: nonce };
        const streams = backends.map((b) => {
          const c = new FrameCodec(keys, b);
          return packets.map((p) => toHex(c.seal(p))).join("");
        });
        for (const s of streams) assert.equal(s, streams[0]);
        for (const b of backends) {
          const rx = new FrameCodec(keys, b), reader = new FrameReader();
          const tx = new FrameCodec(keys, backends[backends.length - 1]);
          const frames = packets.map((p) => tx.seal(p));
          const joined = new Uint8Array(frames.reduce((n, f) => n + f.length, 0));
          let off = 0;
          for (const f of frames) joined.set(f, (off += f.length) - f.length);
          const got = reader.push(joined).map((f) => toHex(rx.open(f)!));
          assert.deepEqual(got, packets.map(toHex));
        }
      },
    ),
    { numRuns: 60 },
  );
});

Deno.test("FrameCodec.seal() refuses an empty or over-long packet", () => {
  const c = new FrameCodec({
    key: new Uint8Array(32),
    sendNonce: new Uint8Array(24),
    recvNonce: new Uint8Array(24),
  });
  assert.throws(() => c.seal(new Uint8Array(0)), RangeError);
  assert.throws(() => c.seal(new Uint8Array(2033)), RangeError);
});

Deno.test("FrameCodec.open() with a scratch buffer gives the same packets, one buffer for all", () => {
  for (const b of backends) {
    const keys = {
      key: b.randomBytes(32),
      sendNonce: b.randomBytes(24),
      recvNonce: new Uint8Array(24),
    };
    keys.recvNonce = keys.sendNonce.slice();
    const tx = new FrameCodec(keys, b), rx = new FrameCodec(keys, b);
    const scratch = new Uint8Array(2032);
    for (const size of [1, 100, 2032]) {
      const packet = b.randomBytes(size);
      const got = rx.open(tx.seal(packet).subarray(2), scratch)!;
      assert.equal(toHex(got), toHex(packet));
      if (b.openInto) assert.equal(got.buffer, scratch.buffer);
    }
    const bad = tx.seal(new Uint8Array([16, 1])).subarray(2);
    bad[5]! ^= 1;
    assert.equal(rx.open(bad, scratch), null);
  }
});
