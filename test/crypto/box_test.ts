import assert from "node:assert/strict";
import fc from "fast-check";
import {
  backend,
  type CryptoBackend,
  decryptData,
  decryptSymmetric,
  encryptData,
  encryptSymmetric,
  loadNativeSodium,
  loadSodium,
  loadSodiumWasm,
  setBackend,
  sha256,
  sha512,
  tweetnaclBackend,
} from "../../lib/crypto/mod.ts";
import { fromHex, toHex } from "../../lib/util/bytes.ts";

// Known answers: the Alice/Bob vectors of the NaCl distribution (tests/box.c, box2.c).
const ALICE_SK = fromHex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
const ALICE_PK = fromHex("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
const BOB_SK = fromHex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
const BOB_PK = fromHex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
const SHARED = "1b27556473e985d462cd51197a9a46c76009549eac6474f206c4ee0844f68389";
const NONCE = fromHex("69696ee955b62b73cd62bda875fc73d68219e0036b7a0b37");
const MESSAGE = fromHex(
  "be075fc53c81f2d5cf141316ebeb0c7b5228c52a4c62cbd44b66849b64244ffce5ecbaaf33bd751a1ac728d45e6c61" +
    "296cdc3c01233561f41db66cce314adb310e3be8250c46f06dceea3a7fa1348057e2f6556ad6b1318a024a838f21" +
    "af1fde048977eb48f59ffd4924ca1c60902e52f0a089bc76897040e082f937763848645e0705",
);
const BOXED = "f3ffc7703f9400e52a7dfb4b3d3305d9" + // MAC first
  "8e993b9f48681273c29650ba32fc76ce48332ea7164d96a4476fb8c531a1186ac0dfc17c98dce87b4da7f011ec48c9" +
  "7271d2c20f9b928fe2270d6fb863d51738b48eeee314a7cc8ab932164548e526ae90224368517acfeabd6bb3732bc0" +
  "e9da99832b61ca01b6de56244a9e88d5f9b37973f622a43d14a6599b1f654cb45a74e355a5";

const sodium = await loadSodium();
const native = loadNativeSodium();
const backends: CryptoBackend[] = [
  tweetnaclBackend,
  await loadSodiumWasm(),
  ...(native ? [native] : []),
];

for (const b of backends) {
  Deno.test(`${b.name}: public key from secret key matches the NaCl vectors`, () => {
    assert.equal(toHex(b.keyPairFromSecretKey(ALICE_SK).publicKey), toHex(ALICE_PK));
    assert.equal(toHex(b.keyPairFromSecretKey(BOB_SK).publicKey), toHex(BOB_PK));
  });

  Deno.test(`${b.name}: shared key is symmetric and matches crypto_box_beforenm`, () => {
    assert.equal(toHex(b.sharedKey(BOB_PK, ALICE_SK)), SHARED);
    assert.equal(toHex(b.sharedKey(ALICE_PK, BOB_SK)), SHARED);
  });

  Deno.test(`${b.name}: box is MAC-first and matches the NaCl known answer`, () => {
    const k = b.sharedKey(BOB_PK, ALICE_SK);
    assert.equal(toHex(b.seal(MESSAGE, NONCE, k)), BOXED);
    assert.equal(toHex(b.open(fromHex(BOXED), NONCE, k)!), toHex(MESSAGE));
  });

  Deno.test(`${b.name}: open returns null for a flipped bit, a short box or a wrong key`, () => {
    const k = b.sharedKey(BOB_PK, ALICE_SK);
    const bad = fromHex(BOXED);
    bad[40]! ^= 1;
    assert.equal(b.open(bad, NONCE, k), null);
    assert.equal(b.open(new Uint8Array(16), NONCE, k), null);
    assert.equal(b.open(fromHex(BOXED), NONCE, new Uint8Array(32)), null);
  });
}

for (const sodium of backends.slice(1)) {
  Deno.test(`${sodium.name} and tweetnacl give byte-identical boxes and shared keys`, () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 24, maxLength: 24 }),
        fc.uint8Array({ minLength: 1, maxLength: 2048 }),
        (skA, skB, nonce, m) => {
          const pkB = tweetnaclBackend.keyPairFromSecretKey(skB).publicKey;
          assert.equal(toHex(sodium.keyPairFromSecretKey(skB).publicKey), toHex(pkB));
          const k1 = tweetnaclBackend.sharedKey(pkB, skA);
          const k2 = sodium.sharedKey(pkB, skA);
          assert.equal(toHex(k1), toHex(k2));
          const c = tweetnaclBackend.seal(m, nonce, k1);
          assert.equal(toHex(sodium.seal(m, nonce, k2)), toHex(c));
          assert.equal(toHex(sodium.open(c, nonce, k2)!), toHex(m));
        },
      ),
      { numRuns: 200 },
    );
  });
}

Deno.test("encryptData/decryptData round-trip between two identities on either backend", () => {
  for (const b of backends) {
    setBackend(b);
    try {
      const a = backend().keyPair(), c = backend().keyPair();
      const sealed = encryptData(c.publicKey, a.secretKey, NONCE, MESSAGE);
      assert.equal(sealed.length, MESSAGE.length + 16);
      assert.deepEqual(decryptData(a.publicKey, c.secretKey, NONCE, sealed), MESSAGE);
    } finally {
      setBackend(tweetnaclBackend);
    }
  }
});

Deno.test("encryptSymmetric refuses an empty message, as c-toxcore does", () => {
  assert.throws(() => encryptSymmetric(new Uint8Array(32), NONCE, new Uint8Array()), RangeError);
});

Deno.test("decryptSymmetric rejects input no longer than a MAC", () => {
  assert.equal(decryptSymmetric(new Uint8Array(32), NONCE, new Uint8Array(16)), null);
});

Deno.test("encryptSymmetric checks nonce and key sizes", () => {
  assert.throws(() => encryptSymmetric(new Uint8Array(31), NONCE, MESSAGE), TypeError);
  assert.throws(() => encryptSymmetric(new Uint8Array(32), new Uint8Array(8), MESSAGE), TypeError);
});

Deno.test("sha256 and sha512 match the FIPS 180 'abc' vectors", () => {
  const abc = new TextEncoder().encode("abc");
  assert.equal(
    toHex(sha256(abc)),
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  );
  assert.equal(
    toHex(sha512(abc)),
    "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a" +
      "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
  );
});

Deno.test("native X25519 key derivation equals tweetnacl's and libsodium's", async () => {
  const { x25519KeyPair, x25519PublicKey } = await import("../../lib/crypto/x25519.ts");
  assert.equal(toHex(x25519PublicKey(ALICE_SK)), toHex(ALICE_PK));
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (sk) => {
      const pk = toHex(x25519PublicKey(sk));
      assert.equal(pk, toHex(tweetnaclBackend.keyPairFromSecretKey(sk).publicKey));
      assert.equal(pk, toHex(sodium.keyPairFromSecretKey(sk).publicKey));
    }),
    { numRuns: 300 },
  );
  const kp = x25519KeyPair();
  assert.equal(
    toHex(tweetnaclBackend.keyPairFromSecretKey(kp.secretKey).publicKey),
    toHex(kp.publicKey),
  );
});

Deno.test("sealInto() writes exactly what seal() returns, where a backend has it", () => {
  const withInto = backends.filter((b) => b.sealInto);
  for (const b of withInto) {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 24, maxLength: 24 }),
        fc.uint8Array({ minLength: 0, maxLength: 2048 }),
        (k, n, m) => {
          const frame = new Uint8Array(m.length + 16 + 3);
          b.sealInto!(frame.subarray(2, 2 + m.length + 16), m, n, k);
          assert.equal(
            toHex(frame.subarray(2, 2 + m.length + 16)),
            toHex(tweetnaclBackend.seal(m, n, k)),
          );
          assert.equal(frame[0], 0);
          assert.equal(frame[frame.length - 1], 0);
        },
      ),
      { numRuns: 100 },
    );
    assert.throws(
      () => b.sealInto!(new Uint8Array(5), new Uint8Array(1), NONCE, new Uint8Array(32)),
      RangeError,
    );
  }
});

Deno.test("openInto() gives what open() gives, and false for a flipped bit, where a backend has it", () => {
  for (const b of backends.filter((b) => b.openInto)) {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 24, maxLength: 24 }),
        fc.uint8Array({ minLength: 0, maxLength: 2048 }),
        fc.nat(),
        (k, n, m, flip) => {
          const c = tweetnaclBackend.seal(m, n, k);
          const out = new Uint8Array(m.length);
          assert.equal(b.openInto!(out, c, n, k), true);
          assert.equal(toHex(out), toHex(m));
          c[flip % c.length]! ^= 1;
          assert.equal(b.openInto!(out, c, n, k), false);
        },
      ),
      { numRuns: 100 },
    );
    assert.throws(
      () => b.openInto!(new Uint8Array(3), new Uint8Array(20), NONCE, new Uint8Array(32)),
      RangeError,
    );
  }
});
