import assert from "node:assert/strict";
import fc from "fast-check";
import {
  backend,
  encryptData,
  loadSodium,
  setBackend,
  tweetnaclBackend,
} from "../../lib/crypto/mod.ts";
import {
  acceptClientHandshake,
  createClientHandshake,
  decodeClientHandshake,
  encodeClientHandshake,
  FrameCodec,
  FrameReader,
  openServerHandshake,
} from "../../lib/relay/mod.ts";
import { toHex } from "../../lib/util/bytes.ts";
import { WireError } from "../../lib/util/wire_error.ts";

const fixed = (b: number) => backend().keyPairFromSecretKey(new Uint8Array(32).fill(b));

Deno.test("acceptClientHandshake() opens a handshake laid out as tox-protocol.md §5.1", () => {
  const server = fixed(1), client = fixed(2), temp = fixed(3);
  const base = new Uint8Array(24).fill(9), nonce = new Uint8Array(24).fill(7);
  const plain = new Uint8Array(56);
  plain.set(temp.publicKey, 0);
  plain.set(base, 32);
  const bytes = new Uint8Array(128);
  bytes.set(client.publicKey, 0);
  bytes.set(nonce, 32);
  bytes.set(encryptData(server.publicKey, client.secretKey, nonce, plain), 56);
  const acc = acceptClientHandshake(server, bytes);
  assert.ok(acc);
  assert.equal(acc.reply.length, 96);
  assert.equal(toHex(acc.clientPublicKey), toHex(client.publicKey));
  assert.equal(toHex(acc.session.recvNonce), toHex(base));
  // The reply opens with DH(client, server) and carries the server's temp key and nonce.
  const opened = backend().open(
    acc.reply.subarray(24),
    acc.reply.subarray(0, 24),
    backend().sharedKey(server.publicKey, client.secretKey),
  )!;
  assert.equal(opened.length, 56);
  assert.equal(
    toHex(acc.session.key),
    toHex(backend().sharedKey(opened.subarray(0, 32), temp.secretKey)),
  );
  assert.equal(toHex(acc.session.sendNonce), toHex(opened.subarray(32)));
});

Deno.test("client and server handshakes agree on key and crossed nonces", () => {
  const server = backend().keyPair(), client = backend().keyPair();
  const h = createClientHandshake(client, server.publicKey);
  assert.equal(h.bytes.length, 128);
  const acc = acceptClientHandshake(server, h.bytes)!;
  const s = openServerHandshake(h, server.publicKey, client.secretKey, acc.reply)!;
  assert.equal(toHex(s.key), toHex(acc.session.key));
  assert.equal(toHex(s.sendNonce), toHex(acc.session.recvNonce));
  assert.equal(toHex(s.recvNonce), toHex(acc.session.sendNonce));
});

Deno.test("a handshake boxed for another relay key does not open", () => {
  const h = createClientHandshake(backend().keyPair(), backend().keyPair().publicKey);
  assert.equal(acceptClientHandshake(backend().keyPair(), h.bytes), null);
});

Deno.test("decodeClientHandshake() accepts exactly 128 bytes and round-trips", () => {
  assert.throws(() => decodeClientHandshake(new Uint8Array(127)), WireError);
  assert.throws(() => decodeClientHandshake(new Uint8Array(129)), WireError);
  fc.assert(fc.property(fc.uint8Array({ minLength: 128, maxLength: 128 }), (b) => {
    assert.equal(toHex(encodeClientHandshake(decodeClientHandshake(b))), toHex(b));
  }));
});

Deno.test("FrameCodec.seal() golden frames: length prefix, MAC first, nonce steps by one", async () => {
  const keys = {
    key: new Uint8Array(32).fill(1),
    sendNonce: new Uint8Array(24),
    recvNonce: new Uint8Array(24),
  };
  const want = [
    "00198254065e7b4fdfa5e189c5fe727e16dcda1a48d8a43e9df6c7",
    "0019f8063bf27d35779a8db8c95878103d2010b8df68b7e5064708",
  ];
  const ping = new Uint8Array([4, 1, 2, 3, 4, 5, 6, 7, 8]);
  const sodium = await loadSodium();
  try {
    for (const b of [tweetnaclBackend, sodium]) {
      setBackend(b);
      const c = new FrameCodec(keys);
      assert.deepEqual([toHex(c.seal(ping)), toHex(c.seal(ping))], want, b.name);
      const r = new FrameCodec({ ...keys, sendNonce: keys.recvNonce, recvNonce: keys.sendNonce });
      const [body] = new FrameReader().push(new FrameCodec(keys).seal(ping));
      assert.equal(toHex(r.open(body!)!), toHex(ping));
    }
  } finally {
    setBackend(tweetnaclBackend);
  }
});

Deno.test("FrameCodec.open() takes frames in order and fails on a replay or a flipped bit", () => {
  const k = {
    key: new Uint8Array(32).fill(5),
    sendNonce: new Uint8Array(24),
    recvNonce: new Uint8Array(24),
  };
  const a = new FrameCodec(k), b = new FrameCodec(k);
  const f1 = a.seal(new Uint8Array([16, 1])), f2 = a.seal(new Uint8Array([16, 2]));
  assert.equal(b.open(f1.subarray(2))?.[1], 1);
  assert.equal(b.open(f1.subarray(2)), null); // replay: wrong nonce
  const bad = f2.slice(2);
  bad[5]! ^= 1;
  assert.equal(b.open(bad), null);
  assert.equal(b.open(f2.subarray(2))?.[1], 2);
});

Deno.test("FrameReader.push() reassembles frames split at every byte boundary", () => {
  fc.assert(
    fc.property(
      fc.array(fc.uint8Array({ minLength: 0, maxLength: 300 }), { maxLength: 6 }),
      fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 20 }),
      (bodies, cuts) => {
        const parts: number[] = [];
        for (const b of bodies) parts.push(b.length >> 8, b.length & 255, ...b);
        const stream = Uint8Array.from(parts);
        const r = new FrameReader();
        const got: string[] = [];
        let off = 0, i = 0;
        while (off < stream.length) {
          const n = cuts[i++ % cuts.length]!;
          for (const f of r.push(stream.slice(off, off + n))) got.push(toHex(f));
          off += n;
        }
        assert.deepEqual(got, bodies.filter((b) => b.length > 0).map(toHex));
        assert.equal(r.buffered, 0);
      },
    ),
    { numRuns: 300 },
  );
});

Deno.test("FrameReader.push() rejects a length field over 2048 with WireError", () => {
  const r = new FrameReader();
  assert.deepEqual(r.push(new Uint8Array([0x08, 0x00])), []); // 2048: waits for the body
  assert.throws(() => new FrameReader().push(new Uint8Array([0x08, 0x01])), WireError);
  assert.throws(() => new FrameReader().push(new Uint8Array([0xff, 0xff, 0])), WireError);
});
