/**
 * The relay handshake (TCP_common.h): the client sends 128 bytes, the server answers 96.
 * Each side boxes its temporary public key and its base nonce with the long-term keys;
 * the session key is `crypto_box_beforenm` of the two temporary keys.
 *
 * @example
 * ```ts
 * import { backend } from "../crypto/mod.ts";
 * import { acceptClientHandshake, createClientHandshake, openServerHandshake } from "./handshake.ts";
 * const server = backend().keyPair(), client = backend().keyPair();
 * const hello = createClientHandshake(client, server.publicKey);
 * const acc = acceptClientHandshake(server, hello.bytes)!;
 * const s = openServerHandshake(hello, server.publicKey, client.secretKey, acc.reply)!;
 * console.assert(s.key.every((b, i) => b === acc.session.key[i]));
 * ```
 * @module
 */
import { backend, type CryptoBackend, type KeyPair, trySharedKey } from "../crypto/mod.ts";
import { WireError } from "../util/wire_error.ts";
import {
  CLIENT_HANDSHAKE_SIZE,
  HANDSHAKE_PLAIN_SIZE,
  NONCE_SIZE,
  PUBLIC_KEY_SIZE,
  SERVER_HANDSHAKE_SIZE,
} from "./constants.ts";

/** Keys and nonces of an established link, from one side's point of view. */
export interface SessionKeys {
  /** Shared session key. */
  key: Uint8Array;
  /** Nonce for the next packet this side sends (incremented per packet). */
  sendNonce: Uint8Array;
  /** Nonce expected on the next packet received. */
  recvNonce: Uint8Array;
}

/**
 * Crypto and randomness of a handshake, so a simulation can seed and replay it. Defaults:
 * the process backend ({@link backend}) and its random source.
 */
export interface HandshakeOptions {
  /** Backend for X25519 and the boxes. */
  crypto?: CryptoBackend;
  /** Random bytes for the temporary secret key and the nonces. */
  random?: (n: number) => Uint8Array;
}

function resolve(o: HandshakeOptions): { b: CryptoBackend; random: (n: number) => Uint8Array } {
  const b = o.crypto ?? backend();
  return { b, random: o.random ?? ((n) => b.randomBytes(n)) };
}

/** The parts of a 128-byte client handshake. */
export interface ClientHandshake {
  /** Client's long-term (DHT) public key. */
  publicKey: Uint8Array;
  /** Nonce of the box. */
  nonce: Uint8Array;
  /** `Box(DH(client, server), nonce, [temp pk 32][base nonce 24])`, 72 bytes. */
  sealed: Uint8Array;
}

/**
 * Splits a 128-byte client handshake. Throws {@link WireError} on any other length.
 *
 * @example
 * ```ts
 * import { decodeClientHandshake } from "./handshake.ts";
 * console.assert(decodeClientHandshake(new Uint8Array(128)).sealed.length === 72);
 * ```
 */
export function decodeClientHandshake(b: Uint8Array): ClientHandshake {
  if (b.length !== CLIENT_HANDSHAKE_SIZE) {
    throw new WireError("BAD_LENGTH", `client handshake of ${b.length} bytes, want 128`);
  }
  return {
    publicKey: b.subarray(0, PUBLIC_KEY_SIZE),
    nonce: b.subarray(PUBLIC_KEY_SIZE, PUBLIC_KEY_SIZE + NONCE_SIZE),
    sealed: b.subarray(PUBLIC_KEY_SIZE + NONCE_SIZE),
  };
}

/**
 * Joins the parts of a client handshake into its 128 bytes.
 *
 * @example
 * ```ts
 * import { encodeClientHandshake } from "./handshake.ts";
 * const h = { publicKey: new Uint8Array(32), nonce: new Uint8Array(24), sealed: new Uint8Array(72) };
 * console.assert(encodeClientHandshake(h).length === 128);
 * ```
 */
export function encodeClientHandshake(h: ClientHandshake): Uint8Array {
  if (h.publicKey.length !== PUBLIC_KEY_SIZE || h.nonce.length !== NONCE_SIZE) {
    throw new TypeError("bad key or nonce size");
  }
  if (h.sealed.length !== HANDSHAKE_PLAIN_SIZE + 16) throw new TypeError("sealed must be 72 bytes");
  const out = new Uint8Array(CLIENT_HANDSHAKE_SIZE);
  out.set(h.publicKey, 0);
  out.set(h.nonce, PUBLIC_KEY_SIZE);
  out.set(h.sealed, PUBLIC_KEY_SIZE + NONCE_SIZE);
  return out;
}

/** A client handshake in flight: what to send, and the secrets to finish with. */
export interface PendingClientHandshake {
  /** The 128 bytes to write first. */
  bytes: Uint8Array;
  /** Temporary key pair of this link. */
  temp: KeyPair;
  /** Client's base nonce (its first send nonce). */
  baseNonce: Uint8Array;
}

/**
 * Builds a client handshake to the relay `serverPublicKey`.
 *
 * @example
 * ```ts
 * import { backend } from "../crypto/mod.ts";
 * import { createClientHandshake } from "./handshake.ts";
 * const h = createClientHandshake(backend().keyPair(), backend().keyPair().publicKey);
 * console.assert(h.bytes.length === 128);
 * ```
 */
export function createClientHandshake(
  self: KeyPair,
  serverPublicKey: Uint8Array,
  opts: HandshakeOptions = {},
): PendingClientHandshake {
  const { b, random } = resolve(opts);
  const temp = b.keyPairFromSecretKey(random(PUBLIC_KEY_SIZE));
  const baseNonce = random(NONCE_SIZE);
  const nonce = random(NONCE_SIZE);
  const plain = new Uint8Array(HANDSHAKE_PLAIN_SIZE);
  plain.set(temp.publicKey, 0);
  plain.set(baseNonce, PUBLIC_KEY_SIZE);
  const sealed = b.seal(plain, nonce, b.sharedKey(serverPublicKey, self.secretKey));
  return {
    bytes: encodeClientHandshake({ publicKey: self.publicKey, nonce, sealed }),
    temp,
    baseNonce,
  };
}

/**
 * Server side: opens a 128-byte client handshake and builds the 96-byte reply. `null` when
 * the box does not open or a key in it is a low-order point (the server then closes the
 * connection). Computes two X25519s: one with the client's long-term key, one for the
 * session.
 *
 * @example
 * ```ts
 * import { backend } from "../crypto/mod.ts";
 * import { acceptClientHandshake } from "./handshake.ts";
 * console.assert(acceptClientHandshake(backend().keyPair(), new Uint8Array(128)) === null);
 * ```
 */
export function acceptClientHandshake(
  server: KeyPair,
  bytes: Uint8Array,
  opts: HandshakeOptions = {},
): { clientPublicKey: Uint8Array; reply: Uint8Array; session: SessionKeys } | null {
  const h = decodeClientHandshake(bytes);
  const { b, random } = resolve(opts);
  // One X25519 with the client's long-term key opens its box and seals ours.
  const longTerm = trySharedKey(b, h.publicKey, server.secretKey);
  if (!longTerm) return null;
  const plain = b.open(h.sealed, h.nonce, longTerm);
  if (!plain || plain.length !== HANDSHAKE_PLAIN_SIZE) return null;
  const clientTemp = plain.subarray(0, PUBLIC_KEY_SIZE);
  const recvNonce = plain.slice(PUBLIC_KEY_SIZE);
  const temp = b.keyPairFromSecretKey(random(PUBLIC_KEY_SIZE));
  const key = trySharedKey(b, clientTemp, temp.secretKey);
  if (!key) return null;
  const sendNonce = random(NONCE_SIZE);
  const mine = new Uint8Array(HANDSHAKE_PLAIN_SIZE);
  mine.set(temp.publicKey, 0);
  mine.set(sendNonce, PUBLIC_KEY_SIZE);
  const n2 = random(NONCE_SIZE);
  const sealed = b.seal(mine, n2, longTerm);
  const reply = new Uint8Array(SERVER_HANDSHAKE_SIZE);
  reply.set(n2, 0);
  reply.set(sealed, NONCE_SIZE);
  return {
    clientPublicKey: h.publicKey.slice(),
    reply,
    session: { key, sendNonce: Uint8Array.from(sendNonce), recvNonce },
  };
}

/**
 * Client side: opens the server's 96-byte reply. `null` when it does not open or carries a
 * low-order temporary key.
 *
 * @example
 * ```ts
 * import { backend } from "../crypto/mod.ts";
 * import { createClientHandshake, openServerHandshake } from "./handshake.ts";
 * const me = backend().keyPair(), srv = backend().keyPair();
 * const h = createClientHandshake(me, srv.publicKey);
 * console.assert(openServerHandshake(h, srv.publicKey, me.secretKey, new Uint8Array(96)) === null);
 * ```
 */
export function openServerHandshake(
  pending: PendingClientHandshake,
  serverPublicKey: Uint8Array,
  clientSecretKey: Uint8Array,
  reply: Uint8Array,
  opts: Pick<HandshakeOptions, "crypto"> = {},
): SessionKeys | null {
  if (reply.length !== SERVER_HANDSHAKE_SIZE) {
    throw new WireError("BAD_LENGTH", `server handshake of ${reply.length} bytes, want 96`);
  }
  const b = opts.crypto ?? backend();
  const longTerm = trySharedKey(b, serverPublicKey, clientSecretKey);
  if (!longTerm) return null;
  const plain = b.open(reply.subarray(NONCE_SIZE), reply.subarray(0, NONCE_SIZE), longTerm);
  if (!plain || plain.length !== HANDSHAKE_PLAIN_SIZE) return null;
  const key = trySharedKey(b, plain.subarray(0, PUBLIC_KEY_SIZE), pending.temp.secretKey);
  if (!key) return null;
  return {
    key,
    sendNonce: Uint8Array.from(pending.baseNonce),
    recvNonce: plain.slice(PUBLIC_KEY_SIZE),
  };
}
