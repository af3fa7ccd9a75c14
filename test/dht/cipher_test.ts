import assert from "node:assert/strict";
import fc from "fast-check";
import { tweetnaclBackend as nacl } from "../../lib/crypto/backend.ts";
import { naclCipher, simulationCipher, sodiumCipher } from "../../lib/dht/cipher.ts";

Deno.test("sodiumCipher is byte-identical to naclCipher and rejects a flipped bit", async () => {
  const a = nacl.keyPairFromSecretKey(new Uint8Array(32).fill(1));
  const b = nacl.keyPairFromSecretKey(new Uint8Array(32).fill(2));
  const fast = await sodiumCipher(a.secretKey, 4), slow = naclCipher(a.secretKey);
  const kf = fast.sharedKey(b.publicKey), ks = slow.sharedKey(b.publicKey);
  assert.deepEqual(kf, ks);
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 1, maxLength: 2100 }),
      fc.uint8Array({ minLength: 24, maxLength: 24 }),
      fc.nat(),
      (m, n, at) => {
        const c = fast.seal(kf, n, m);
        assert.deepEqual(c, slow.seal(ks, n, m));
        assert.deepEqual(fast.open(kf, n, c), m);
        const bad = c.slice();
        bad[at % bad.length]! ^= 1;
        assert.equal(fast.open(kf, n, bad), null);
      },
    ),
    { numRuns: 200 },
  );
  assert.throws(() => fast.seal(kf, new Uint8Array(24), new Uint8Array(0)), RangeError);
  assert.equal(fast.open(kf, new Uint8Array(24), new Uint8Array(16)), null);
  fast.sharedKey(b.publicKey);
  assert.equal(fast.stats!().misses, 1);
  assert.ok(fast.stats!().hits >= 1);
});

Deno.test("simulationCipher keeps sizes and refuses the wrong key", () => {
  const a = new Uint8Array(32).fill(1), b = new Uint8Array(32).fill(2), c = new Uint8Array(32);
  const ca = simulationCipher(a), cb = simulationCipher(b), cc = simulationCipher(c);
  const box = ca.seal(ca.sharedKey(b), new Uint8Array(24), new Uint8Array(9));
  assert.equal(box.length, 25);
  assert.ok(cb.open(cb.sharedKey(a), new Uint8Array(24), box));
  assert.equal(cc.open(cc.sharedKey(a), new Uint8Array(24), box), null);
});
