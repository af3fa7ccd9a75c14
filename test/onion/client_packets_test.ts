import assert from "node:assert/strict";
import { backend } from "../../lib/crypto/mod.ts";
import {
  buildAnnounceRequest,
  buildDataRequest,
  buildOnionPacket,
  buildOnionPacketTcp,
  createOnionPath,
  ONION_MAX_DATA_SIZE,
  openAnnounceResponse,
  openDataResponse,
} from "../../lib/onion/mod.ts";

const node = (port: number) => ({
  publicKey: backend().keyPair().publicKey,
  addr: { hostname: "127.0.0.1", port },
});
const path = () => createOnionPath([node(1), node(2), node(3)], backend().keyPair());

Deno.test("client packets have c-toxcore's sizes: 0x80 = 226 + data, TCP payload = 177 + data", () => {
  for (const n of [1, 177, ONION_MAX_DATA_SIZE]) {
    assert.equal(buildOnionPacket(path(), node(4).addr, new Uint8Array(n)).length, 226 + n);
    assert.equal(buildOnionPacketTcp(path(), node(4).addr, new Uint8Array(n)).length, 177 + n);
  }
  assert.equal(
    buildOnionPacket(path(), node(4).addr, new Uint8Array(ONION_MAX_DATA_SIZE)).length,
    1400,
  );
});

Deno.test("client packet builders refuse empty and oversized data", () => {
  assert.throws(() => buildOnionPacket(path(), node(4).addr, new Uint8Array()), RangeError);
  assert.throws(
    () => buildOnionPacket(path(), node(4).addr, new Uint8Array(ONION_MAX_DATA_SIZE + 1)),
    RangeError,
  );
});

Deno.test("openers return null for another key and reject other packet kinds", () => {
  const data = backend().keyPair();
  const req = buildDataRequest({
    destPublicKey: new Uint8Array(32),
    dataPublicKey: data.publicKey,
    plain: new Uint8Array([1, 2]),
  });
  const res = new Uint8Array([0x86, ...req.subarray(33)]);
  assert.deepEqual(openDataResponse(res, data.secretKey)?.plain, new Uint8Array([1, 2]));
  assert.equal(openDataResponse(res, backend().keyPair().secretKey), null);
  const me = backend().keyPair();
  const ann = buildAnnounceRequest({
    destPublicKey: me.publicKey,
    sender: me,
    pingId: new Uint8Array(32),
    searchedPublicKey: me.publicKey,
    dataPublicKey: new Uint8Array(32),
    sendback: new Uint8Array(8),
  });
  assert.throws(() => openAnnounceResponse(ann, me.publicKey, me.secretKey));
  assert.throws(() => openDataResponse(ann, me.secretKey));
});
