import assert from "node:assert/strict";
import fc from "fast-check";
import {
  type CryptoBackend,
  loadNativeSodium,
  loadSodiumWasm,
  LowOrderKeyError,
  trySharedKey,
  tweetnaclBackend,
} from "../../lib/crypto/mod.ts";
import { fromHex, toHex } from "../../lib/util/bytes.ts";

// Points of small order on Curve25519 and their non-canonical encodings (x = 0, 1, the two
// order-8 points, p, p + 1): X25519 with any clamped scalar gives all zero.
const LOW_ORDER = [
  "0000000000000000000000000000000000000000000000000000000000000000",
  "0100000000000000000000000000000000000000000000000000000000000000",
  "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
  "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
  "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
  "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
].map(fromHex);

const native = loadNativeSodium();
const backends: CryptoBackend[] = [
  tweetnaclBackend,
  await loadSodiumWasm(),
  ...(native ? [native] : []),
];

for (const b of backends) {
  Deno.test(`${b.name}: sharedKey() refuses every low-order public key with LowOrderKeyError`, () => {
    const sk = b.keyPair().secretKey;
    for (const pk of LOW_ORDER) {
      assert.throws(() => b.sharedKey(pk, sk), LowOrderKeyError, toHex(pk));
      assert.equal(trySharedKey(b, pk, sk), null);
    }
  });

  Deno.test(`${b.name}: sharedKey() rejects wrong key sizes with TypeError, not LowOrderKeyError`, () => {
    const sk = b.keyPair().secretKey;
    assert.throws(() => b.sharedKey(new Uint8Array(31), sk), TypeError);
    assert.throws(() => trySharedKey(b, new Uint8Array(32), new Uint8Array(33)), TypeError);
  });
}

Deno.test("tweetnacl and libsodium derive the same shared key for random keys", () => {
  const [t, s] = backends as [CryptoBackend, CryptoBackend];
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (seed) => {
      const a = t.keyPairFromSecretKey(seed), other = t.keyPair();
      assert.equal(
        toHex(t.sharedKey(a.publicKey, other.secretKey)),
        toHex(s.sharedKey(a.publicKey, other.secretKey)),
      );
    }),
    { numRuns: 50 },
  );
});

Deno.test("the onion openers return null for a low-order key instead of throwing", async () => {
  const { buildDataRequest, openAnnounceResponse, openDataResponse } = await import(
    "../../lib/onion/client_packets.ts"
  );
  const data = tweetnaclBackend.keyPair();
  const req = buildDataRequest({
    destPublicKey: new Uint8Array(32),
    dataPublicKey: data.publicKey,
    plain: new Uint8Array([7]),
  });
  const res = new Uint8Array([0x86, ...req.subarray(33)]);
  assert.equal(openDataResponse(res, data.secretKey)?.plain[0], 7);
  res.fill(0, 1 + 24, 1 + 24 + 32); // the ephemeral key becomes the all-zero point
  assert.equal(openDataResponse(res, data.secretKey), null);
  const announce = new Uint8Array(82);
  announce[0] = 0x84;
  assert.equal(openAnnounceResponse(announce, LOW_ORDER[2]!, data.secretKey), null);
});

Deno.test("decryptData() returns null for a low-order sender key on every backend", async () => {
  const { decryptData, setBackend, backend } = await import("../../lib/crypto/mod.ts");
  const before = backend();
  try {
    for (const b of backends) {
      setBackend(b);
      const me = b.keyPair();
      for (const pk of LOW_ORDER) {
        assert.equal(decryptData(pk, me.secretKey, new Uint8Array(24), new Uint8Array(40)), null);
      }
    }
  } finally {
    setBackend(before);
  }
});
