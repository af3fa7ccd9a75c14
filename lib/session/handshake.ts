/**
 * Building and opening the cookie request, cookie response and handshake of one session
 * (tox-protocol §6.1-6.4). Pure functions of keys, cookies, random bytes and `now`.
 *
 * @example
 * ```ts
 * import { tweetnaclBackend as crypto } from "../crypto/backend.ts";
 * import { CookieJar } from "./cookie.ts";
 * import { buildHandshake, openHandshake } from "./handshake.ts";
 * import { decodeSessionPacket, type HandshakePacket } from "./wire.ts";
 * const a = crypto.keyPair(), b = crypto.keyPair(), bDht = crypto.keyPair();
 * const jarA = new CookieJar({ crypto }), jarB = new CookieJar({ crypto });
 * const cookieFromB = jarB.mint(a.publicKey, crypto.keyPair().publicKey, 0);
 * const hs = buildHandshake({ crypto, random: crypto.randomBytes, jar: jarA, self: a,
 *   peerReal: b.publicKey, peerDht: bDht.publicKey, peerCookie: cookieFromB,
 *   baseNonce: new Uint8Array(24), sessionPublicKey: new Uint8Array(32), now: 0 });
 * const p = decodeSessionPacket(hs) as HandshakePacket;
 * const got = openHandshake({ crypto, jar: jarB, self: b, now: 1 }, p);
 * console.assert(got !== null && got.realPublicKey[0] === a.publicKey[0]);
 * ```
 * @module
 */
import { type CryptoBackend, type KeyPair, trySharedKey } from "../crypto/backend.ts";
import { NONCE_SIZE } from "../crypto/constants.ts";
import { sha512 } from "../crypto/hash.ts";
import { equals } from "../util/bytes.ts";
import { COOKIE_SIZE, ECHO_ID_SIZE } from "./constants.ts";
import type { CookieJar } from "./cookie.ts";
import { decodeHandshakePlain, encodeCookieRequestPlain, encodeHandshakePlain } from "./plain.ts";
import { type CookieResponsePacket, encodeSessionPacket, type HandshakePacket } from "./wire.ts";

/** What {@link buildHandshake} needs. */
export interface BuildHandshake {
  /** Crypto backend. */
  crypto: CryptoBackend;
  /** Random source. */
  random: (n: number) => Uint8Array;
  /** Our cookie jar (for the other cookie). */
  jar: CookieJar;
  /** Our real key pair. */
  self: KeyPair;
  /** The peer's real public key. */
  peerReal: Uint8Array;
  /** The peer's DHT public key (goes into the other cookie). */
  peerDht: Uint8Array;
  /** A cookie the peer minted for us. */
  peerCookie: Uint8Array;
  /** Our base nonce for our data packets. */
  baseNonce: Uint8Array;
  /** Our session public key. */
  sessionPublicKey: Uint8Array;
  /** Now, ms. */
  now: number;
}

/**
 * The 385-byte handshake.
 *
 * @example
 * ```ts
 * import { buildHandshake } from "./handshake.ts";
 * console.assert(typeof buildHandshake === "function");
 * ```
 */
export function buildHandshake(o: BuildHandshake): Uint8Array {
  const nonce = o.random(NONCE_SIZE);
  const plain = encodeHandshakePlain({
    baseNonce: o.baseNonce,
    sessionPublicKey: o.sessionPublicKey,
    cookieHash: sha512(o.peerCookie),
    otherCookie: o.jar.mint(o.peerReal, o.peerDht, o.now),
  });
  const key = o.crypto.sharedKey(o.peerReal, o.self.secretKey);
  const box = o.crypto.seal(plain, nonce, key);
  return encodeSessionPacket({ type: "handshake", cookie: o.peerCookie, nonce, box });
}

/** A verified handshake. */
export interface OpenedHandshake {
  /** The sender's real public key (from our cookie). */
  realPublicKey: Uint8Array;
  /** The sender's DHT public key (from our cookie). */
  dhtPublicKey: Uint8Array;
  /** The sender's base nonce: our receive nonce. */
  baseNonce: Uint8Array;
  /** The sender's session public key. */
  sessionPublicKey: Uint8Array;
  /** The cookie to put in our handshake. */
  otherCookie: Uint8Array;
}

/** What {@link openHandshake} needs. */
export interface OpenHandshake {
  /** Crypto backend. */
  crypto: CryptoBackend;
  /** Our cookie jar. */
  jar: CookieJar;
  /** Our real key pair. */
  self: KeyPair;
  /** Now, ms. */
  now: number;
}

/**
 * Verifies a handshake: our cookie (≤ 15 s old), the box under the real keys, the cookie
 * hash. `null` when any check fails.
 *
 * @example
 * ```ts
 * import { tweetnaclBackend as crypto } from "../crypto/backend.ts";
 * import { CookieJar } from "./cookie.ts";
 * import { openHandshake } from "./handshake.ts";
 * const z = (n: number) => new Uint8Array(n);
 * const o = { crypto, jar: new CookieJar({ crypto }), self: crypto.keyPair(), now: 0 };
 * console.assert(openHandshake(o, { type: "handshake", cookie: z(112), nonce: z(24), box: z(248) }) === null);
 * ```
 */
export function openHandshake(o: OpenHandshake, p: HandshakePacket): OpenedHandshake | null {
  const c = o.jar.open(p.cookie, o.now);
  if (c === null) return null;
  // The real key in a cookie came unauthenticated from a cookie request: it may be low-order.
  const key = trySharedKey(o.crypto, c.realPublicKey, o.self.secretKey);
  if (key === null) return null;
  const plain = o.crypto.open(p.box, p.nonce, key);
  if (plain === null) return null;
  const h = decodeHandshakePlain(plain);
  if (!equals(h.cookieHash, sha512(p.cookie))) return null;
  return {
    realPublicKey: c.realPublicKey,
    dhtPublicKey: c.dhtPublicKey,
    baseNonce: h.baseNonce,
    sessionPublicKey: h.sessionPublicKey,
    otherCookie: h.otherCookie,
  };
}

/**
 * A 145-byte cookie request boxed with the DHT shared key.
 *
 * @example
 * ```ts
 * import { tweetnaclBackend as crypto } from "../crypto/backend.ts";
 * import { buildCookieRequest } from "./handshake.ts";
 * const d = crypto.keyPair();
 * const b = buildCookieRequest(crypto, crypto.randomBytes, crypto.sharedKey(d.publicKey, d.secretKey),
 *   d.publicKey, new Uint8Array(32), new Uint8Array(8));
 * console.assert(b.length === 145);
 * ```
 */
export function buildCookieRequest(
  crypto: CryptoBackend,
  random: (n: number) => Uint8Array,
  dhtShared: Uint8Array,
  selfDht: Uint8Array,
  selfReal: Uint8Array,
  echoId: Uint8Array,
): Uint8Array {
  const nonce = random(NONCE_SIZE);
  const box = crypto.seal(
    encodeCookieRequestPlain({ realPublicKey: selfReal, echoId }),
    nonce,
    dhtShared,
  );
  return encodeSessionPacket({ type: "cookieRequest", dhtPublicKey: selfDht, nonce, box });
}

/**
 * The cookie inside a cookie response, or `null` when it does not open or its echo id is
 * not `echoId`.
 *
 * @example
 * ```ts
 * import { tweetnaclBackend as crypto } from "../crypto/backend.ts";
 * import { openCookieResponse } from "./handshake.ts";
 * const z = (n: number) => new Uint8Array(n);
 * console.assert(openCookieResponse(crypto, z(32), z(8), { type: "cookieResponse", nonce: z(24), box: z(136) }) === null);
 * ```
 */
export function openCookieResponse(
  crypto: CryptoBackend,
  dhtShared: Uint8Array,
  echoId: Uint8Array,
  p: CookieResponsePacket,
): Uint8Array | null {
  const plain = crypto.open(p.box, p.nonce, dhtShared);
  if (plain === null || plain.length !== COOKIE_SIZE + ECHO_ID_SIZE) return null;
  if (!equals(plain.subarray(COOKIE_SIZE), echoId)) return null;
  return plain.slice(0, COOKIE_SIZE);
}
