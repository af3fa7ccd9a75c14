import assert from "node:assert/strict";
import { backend, SharedKeyCache } from "../../lib/crypto/mod.ts";
import fc from "fast-check";
import { toHex } from "../../lib/util/bytes.ts";

Deno.test("SharedKeyCache returns crypto_box_beforenm and computes once per peer", () => {
  const me = backend().keyPair(), peer = backend().keyPair();
  const cache = new SharedKeyCache(me.secretKey, 4);
  const k = cache.get(peer.publicKey);
  assert.equal(toHex(k), toHex(backend().sharedKey(peer.publicKey, me.secretKey)));
  cache.get(peer.publicKey);
  assert.equal(cache.misses, 1);
  assert.equal(cache.hits, 1);
});

Deno.test("SharedKeyCache stays within capacity and evicts the least recently used", () => {
  const me = backend().keyPair();
  const peers = Array.from({ length: 5 }, () => backend().keyPair().publicKey);
  const cache = new SharedKeyCache(me.secretKey, 3);
  cache.get(peers[0]!);
  cache.get(peers[1]!);
  cache.get(peers[2]!);
  cache.get(peers[0]!); // 0 is now the most recent; 1 is the oldest
  cache.get(peers[3]!);
  assert.equal(cache.size, 3);
  const misses = cache.misses;
  cache.get(peers[0]!);
  assert.equal(cache.misses, misses, "peer 0 stayed cached");
  cache.get(peers[1]!);
  assert.equal(cache.misses, misses + 1, "peer 1 was evicted");
});

Deno.test("SharedKeyCache rejects a bad capacity and a bad key length", () => {
  assert.throws(() => new SharedKeyCache(new Uint8Array(32), 0), RangeError);
  const cache = new SharedKeyCache(new Uint8Array(32), 1);
  assert.throws(() => cache.get(new Uint8Array(31)), TypeError);
});

Deno.test("SharedKeyCache agrees with a reference LRU on any sequence of peers", () => {
  // A cheap derive keeps the property fast; the cache logic is what is under test.
  const derive = (pk: Uint8Array) => pk.map((b) => b ^ 0x5a);
  fc.assert(fc.property(
    fc.integer({ min: 1, max: 100 }),
    fc.array(fc.integer({ min: 0, max: 150 }), { maxLength: 600 }),
    (capacity, seq) => {
      const cache = new SharedKeyCache(new Uint8Array(32), capacity, { derive });
      const lru: number[] = []; // most recent last
      let misses = 0;
      for (const p of seq) {
        const pk = new Uint8Array(32).fill(p);
        pk[31] = p * 7; // differ in more than one byte
        const at = lru.indexOf(p);
        if (at >= 0) lru.splice(at, 1);
        else {
          misses++;
          if (lru.length >= capacity) lru.shift();
        }
        lru.push(p);
        assert.deepEqual(cache.get(pk), derive(pk));
        assert.equal(cache.misses, misses);
        assert.equal(cache.size, lru.length);
      }
    },
  ));
});

Deno.test("SharedKeyCache grows its slab with the distinct peers, up to the capacity", () => {
  const cache = new SharedKeyCache(new Uint8Array(32), 1024, { derive: (pk) => pk.slice() });
  const small = cache.allocatedBytes;
  for (let i = 0; i < 100; i++) cache.get(new Uint8Array(32).fill(i));
  const hundred = cache.allocatedBytes;
  for (let i = 0; i < 3000; i++) {
    cache.get(new Uint8Array(32).map((_, j) => (i >> (j % 2 ? 8 : 0)) & 255));
  }
  assert.ok(small < 2048, `empty cache holds ${small} bytes`);
  assert.ok(hundred <= 100 * 84, `100 entries hold ${hundred} bytes`);
  assert.equal(cache.size, 1024);
  assert.ok(cache.allocatedBytes <= 1024 * 72, `full cache holds ${cache.allocatedBytes} bytes`);
});

Deno.test("SharedKeyCache hands out copies: a caller writing into a key does not corrupt the cache", () => {
  const me = backend().keyPair(), peer = backend().keyPair();
  const cache = new SharedKeyCache(me.secretKey, 4);
  cache.get(peer.publicKey).fill(0);
  assert.equal(
    toHex(cache.get(peer.publicKey)),
    toHex(backend().sharedKey(peer.publicKey, me.secretKey)),
  );
});

Deno.test("SharedKeyCache past 65,534 entries of capacity uses 32-bit slot numbers and still works", () => {
  const derive = (pk: Uint8Array) => pk.map((b) => b ^ 1);
  const cache = new SharedKeyCache(new Uint8Array(32), 70_000, { derive });
  const pks = Array.from({ length: 50 }, (_, i) => new Uint8Array(32).fill(i + 1));
  for (const pk of pks) cache.get(pk);
  for (const pk of pks) assert.deepEqual(cache.get(pk), derive(pk));
  assert.equal(cache.hits, 50);
  assert.equal(cache.misses, 50);
});
