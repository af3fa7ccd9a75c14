import assert from "node:assert/strict";
import { backend, SharedKeyCache } from "../../lib/crypto/mod.ts";
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
