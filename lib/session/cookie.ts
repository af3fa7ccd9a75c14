/**
 * Cookies and the stateless cookie responder (tox-protocol §6.1-6.3). A {@link CookieJar}
 * holds one random symmetric key per instance; a cookie is
 * `[nonce 24][Box(key, nonce, [time][real pk][DHT pk])]`, valid for 15 s and never from the
 * future. Any node answers a cookie request without keeping state.
 *
 * @example
 * ```ts
 * import { tweetnaclBackend as crypto } from "../crypto/backend.ts";
 * import { CookieJar } from "./cookie.ts";
 * const jar = new CookieJar({ crypto });
 * const c = jar.mint(new Uint8Array(32).fill(1), new Uint8Array(32).fill(2), 1000);
 * console.assert(jar.open(c, 2000)?.dhtPublicKey[0] === 2);
 * console.assert(jar.open(c, 17_000) === null); // too old
 * ```
 * @module
 */
import { type CryptoBackend, trySharedKey } from "../crypto/backend.ts";
import { NONCE_SIZE, SHARED_KEY_SIZE } from "../crypto/constants.ts";
import { concat } from "../util/bytes.ts";
import { WireError } from "../util/wire_error.ts";
import { COOKIE_SIZE, COOKIE_TIMEOUT_MS } from "./constants.ts";
import {
  type CookiePlain,
  decodeCookiePlain,
  decodeCookieRequestPlain,
  encodeCookiePlain,
} from "./plain.ts";
import { type CookieRequestPacket, encodeSessionPacket } from "./wire.ts";

/** Options of a {@link CookieJar}. */
export interface CookieJarOptions {
  /** Crypto backend. */
  crypto: CryptoBackend;
  /** Random source (defaults to the backend's); seeded in tests. */
  random?: (n: number) => Uint8Array;
  /** The symmetric key (defaults to 32 random bytes). */
  key?: Uint8Array;
}

/**
 * Mints and opens cookies with one symmetric key.
 *
 * @example
 * ```ts
 * import { tweetnaclBackend as crypto } from "../crypto/backend.ts";
 * import { CookieJar } from "./cookie.ts";
 * const jar = new CookieJar({ crypto });
 * console.assert(jar.mint(new Uint8Array(32), new Uint8Array(32), 0).length === 112);
 * ```
 */
export class CookieJar {
  readonly #crypto: CryptoBackend;
  readonly #random: (n: number) => Uint8Array;
  readonly #key: Uint8Array;

  /** A jar with a fresh (or the given) symmetric key. */
  constructor(o: CookieJarOptions) {
    this.#crypto = o.crypto;
    this.#random = o.random ?? ((n) => o.crypto.randomBytes(n));
    this.#key = o.key ?? this.#random(SHARED_KEY_SIZE);
    if (this.#key.length !== SHARED_KEY_SIZE) throw new RangeError("key must be 32 bytes");
  }

  /**
   * A cookie for the peer with these keys, minted at `now` (ms).
   *
   * @example
   * ```ts
   * import { tweetnaclBackend as crypto } from "../crypto/backend.ts";
   * import { CookieJar } from "./cookie.ts";
   * console.assert(new CookieJar({ crypto }).mint(new Uint8Array(32), new Uint8Array(32), 0).length === 112);
   * ```
   */
  mint(realPublicKey: Uint8Array, dhtPublicKey: Uint8Array, now: number): Uint8Array {
    const nonce = this.#random(NONCE_SIZE);
    const plain = encodeCookiePlain({
      time: Math.max(0, Math.floor(now)),
      realPublicKey,
      dhtPublicKey,
    });
    return concat(nonce, this.#crypto.seal(plain, nonce, this.#key));
  }

  /**
   * Opens a cookie this jar minted; `null` when forged, truncated, older than 15 s or from
   * the future.
   *
   * @example
   * ```ts
   * import { tweetnaclBackend as crypto } from "../crypto/backend.ts";
   * import { CookieJar } from "./cookie.ts";
   * console.assert(new CookieJar({ crypto }).open(new Uint8Array(112), 0) === null);
   * ```
   */
  open(cookie: Uint8Array, now: number): CookiePlain | null {
    if (cookie.length !== COOKIE_SIZE) return null;
    const plain = this.#crypto.open(
      cookie.subarray(NONCE_SIZE),
      cookie.subarray(0, NONCE_SIZE),
      this.#key,
    );
    if (plain === null) return null;
    let c: CookiePlain;
    try {
      c = decodeCookiePlain(plain);
    } catch (e) {
      if (e instanceof WireError) return null;
      throw e;
    }
    if (c.time + COOKIE_TIMEOUT_MS < now || now < c.time) return null;
    return c;
  }
}

/** What {@link answerCookieRequest} needs. */
export interface CookieResponder {
  /** The cookie jar of this instance. */
  jar: CookieJar;
  /** Crypto backend. */
  crypto: CryptoBackend;
  /** Random source. */
  random: (n: number) => Uint8Array;
  /** Our DHT secret key. */
  dhtSecretKey: Uint8Array;
}

/**
 * The 161-byte cookie response to a decoded cookie request, or `null` when its box does
 * not open (forged or not for us). Stateless: the cookie holds the requester's real and
 * DHT keys, the response is boxed with the request's DHT shared key and echoes its id.
 *
 * @example
 * ```ts
 * import { tweetnaclBackend as crypto } from "../crypto/backend.ts";
 * import { answerCookieRequest, CookieJar } from "./cookie.ts";
 * const r = { jar: new CookieJar({ crypto }), crypto, random: crypto.randomBytes, dhtSecretKey: new Uint8Array(32) };
 * const z = (n: number) => new Uint8Array(n);
 * console.assert(answerCookieRequest(r, { type: "cookieRequest", dhtPublicKey: z(32), nonce: z(24), box: z(88) }, 0) === null);
 * ```
 */
export function answerCookieRequest(
  r: CookieResponder,
  req: CookieRequestPacket,
  now: number,
): Uint8Array | null {
  const shared = trySharedKey(r.crypto, req.dhtPublicKey, r.dhtSecretKey);
  if (shared === null) return null; // a low-order key: nothing can be opened with it
  const plain = r.crypto.open(req.box, req.nonce, shared);
  if (plain === null) return null;
  const { realPublicKey, echoId } = decodeCookieRequestPlain(plain);
  const cookie = r.jar.mint(realPublicKey, req.dhtPublicKey, now);
  const nonce = r.random(NONCE_SIZE);
  const box = r.crypto.seal(concat(cookie, echoId), nonce, shared);
  return encodeSessionPacket({ type: "cookieResponse", nonce, box });
}
