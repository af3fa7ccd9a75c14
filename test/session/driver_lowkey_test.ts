/**
 * Regression: low-order public keys from the network (a cookie request's DHT key, the real
 * key a cookie carries, a handshake's session key) made the crypto backend throw
 * `LowOrderKeyError` out of `SessionHost.handleDatagram`; each is now a counted drop.
 * @module
 */
import assert from "node:assert/strict";
import { tweetnaclBackend as crypto } from "../../lib/crypto/backend.ts";
import { CookieJar } from "../../lib/session/cookie.ts";
import {
  buildCookieRequest,
  buildHandshake,
  openCookieResponse,
} from "../../lib/session/handshake.ts";
import { SessionHost } from "../../lib/session/host.ts";
import { decodeSessionPacket } from "../../lib/session/wire.ts";
import { concat } from "../../lib/util/bytes.ts";

const zero = new Uint8Array(32);
const echo = new Uint8Array(8).fill(5);

function victim() {
  return new SessionHost({ crypto, self: crypto.keyPair(), selfDht: crypto.keyPair() });
}

/** A cookie from `b` for the claimed real key `real`, asked from DHT key pair `dht`. */
function cookieFor(b: SessionHost, real: Uint8Array) {
  const dht = crypto.keyPair();
  const shared = crypto.sharedKey(b.dhtPublicKey, dht.secretKey);
  const req = buildCookieRequest(crypto, crypto.randomBytes, shared, dht.publicKey, real, echo);
  assert.equal(b.handleDatagram(req, 0, { reply: "x" }), undefined);
  const resp = decodeSessionPacket(b.pollTransmit()!.bytes);
  assert.equal(resp.type, "cookieResponse");
  if (resp.type !== "cookieResponse") throw new Error("unreachable");
  return { cookie: openCookieResponse(crypto, shared, echo, resp)!, dht };
}

Deno.test("regression: a cookie request from a low-order DHT key is a counted drop", () => {
  const b = victim();
  const req = concat(new Uint8Array([0x18]), zero, new Uint8Array(24), new Uint8Array(88));
  assert.equal(b.handleDatagram(req, 0, { reply: "x" }), undefined);
  assert.equal(b.stats.dropped.badBox, 1);
  assert.equal(b.pollTransmit(), undefined);
});

Deno.test("regression: a handshake whose cookie names a low-order real key is a counted drop", () => {
  const b = victim();
  const { cookie } = cookieFor(b, zero);
  const hs = concat(new Uint8Array([0x1a]), cookie, new Uint8Array(24), new Uint8Array(248));
  assert.equal(b.handleDatagram(hs, 1, {}), undefined);
  assert.equal(b.stats.dropped.badCookie, 1);
  assert.equal(b.sessions().length, 0);
});

Deno.test("regression: a handshake with a low-order session key opens no session", () => {
  const b = victim();
  const me = crypto.keyPair();
  const { cookie } = cookieFor(b, me.publicKey);
  const hs = buildHandshake({
    crypto,
    random: crypto.randomBytes,
    jar: new CookieJar({ crypto }),
    self: me,
    peerReal: b.publicKey,
    peerDht: b.dhtPublicKey,
    peerCookie: cookie,
    baseNonce: new Uint8Array(24),
    sessionPublicKey: zero,
    now: 1,
  });
  assert.equal(b.handleDatagram(hs, 1, {}), undefined);
  assert.equal(b.stats.dropped.badBox, 1);
  assert.equal(b.sessions().length, 0);
  assert.equal(b.pollEvent(), undefined);
});
