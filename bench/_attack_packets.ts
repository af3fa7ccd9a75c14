/**
 * The datagrams of bench/attack.ts's UDP floods, built once per target (they depend on its
 * public key) and written as `[length u16 BE][bytes]` records for bench/attack_flood.c.
 *
 * @example
 * ```ts
 * import { randomDatagrams, records } from "./_attack_packets.ts";
 * const r = records(randomDatagrams(4));
 * console.assert(r.length > 8);
 * ```
 * @module
 */
import { backend, type KeyPair } from "../lib/crypto/mod.ts";
import { sealDhtPacket } from "../lib/dht/wire.ts";
import {
  buildAnnounceRequest,
  buildOnionPacket,
  createOnionPath,
} from "../lib/onion/client_packets.ts";
/** Re-exported for the attack kinds; see `_load_gen.ts`. */
export { records } from "./_load_gen.ts";

/** Every datagram kind peerkit or tox-bootstrapd knows. */
export const KNOWN_KINDS: readonly number[] = [
  0x00,
  0x01,
  0x02,
  0x04,
  0x18,
  0x19,
  0x20,
  0x21,
  ...Array.from({ length: 0x8f - 0x80 }, (_, i) => 0x80 + i),
  ...Array.from({ length: 0x99 - 0x90 }, (_, i) => 0x90 + i),
  0xf0,
  0xf1,
];

function randomInt(n: number): number {
  const r = backend().randomBytes(4);
  return (((r[0]! << 24) | (r[1]! << 16) | (r[2]! << 8) | r[3]!) >>> 0) % n;
}

/**
 * `count` datagrams of random bytes, 1..1400 long.
 *
 * @example
 * ```ts
 * import { randomDatagrams } from "./_attack_packets.ts";
 * console.assert(randomDatagrams(3).every((d) => d.length >= 1 && d.length <= 1400));
 * ```
 */
export function randomDatagrams(count: number): Uint8Array[] {
  return Array.from({ length: count }, () => backend().randomBytes(1 + randomInt(1400)));
}

/**
 * `count` datagrams of a known kind (first byte) with a random body, 1..1400 long.
 *
 * @example
 * ```ts
 * import { KNOWN_KINDS, kindDatagrams } from "./_attack_packets.ts";
 * console.assert(kindDatagrams(8).every((d) => KNOWN_KINDS.includes(d[0]!)));
 * ```
 */
export function kindDatagrams(count: number): Uint8Array[] {
  return Array.from({ length: count }, (_, i) => {
    const d = backend().randomBytes(1 + randomInt(1400));
    d[0] = KNOWN_KINDS[i % KNOWN_KINDS.length]!;
    return d;
  });
}

/**
 * Valid DHT ping requests to `target`, one from each of `keys` sender keys.
 *
 * @example
 * ```ts
 * import { backend } from "../lib/crypto/mod.ts";
 * import { pingDatagrams } from "./_attack_packets.ts";
 * console.assert(pingDatagrams(backend().keyPair().publicKey, 2)[0]![0] === 0);
 * ```
 */
export function pingDatagrams(target: Uint8Array, keys: number): Uint8Array[] {
  return Array.from({ length: keys }, () => pingFrom(target));
}

/**
 * A DHT ping request to `target` from key pair `me` (default a fresh one).
 *
 * @example
 * ```ts
 * import { backend } from "../lib/crypto/mod.ts";
 * import { pingFrom } from "./_attack_packets.ts";
 * console.assert(pingFrom(backend().keyPair().publicKey).length === 82);
 * ```
 */
export function pingFrom(target: Uint8Array, me: KeyPair = backend().keyPair()): Uint8Array {
  const b = backend();
  return sealDhtPacket(
    { type: "pingRequest", pingId: b.randomBytes(8) },
    me.publicKey,
    b.sharedKey(target, me.secretKey),
    b.randomBytes(24),
  );
}

/**
 * Truncated copies of valid pings and of known kinds (0..81 bytes), and one oversized
 * datagram (2..16 KiB of a known kind) in every 16.
 *
 * @example
 * ```ts
 * import { backend } from "../lib/crypto/mod.ts";
 * import { sizeDatagrams } from "./_attack_packets.ts";
 * console.assert(sizeDatagrams(backend().keyPair().publicKey, 32).some((d) => d.length > 2048));
 * ```
 */
export function sizeDatagrams(target: Uint8Array, count: number): Uint8Array[] {
  const pings = pingDatagrams(target, 64);
  return Array.from({ length: count }, (_, i) => {
    if (i % 16 === 15) {
      const d = backend().randomBytes(2048 + randomInt(14 * 1024));
      d[0] = KNOWN_KINDS[i % KNOWN_KINDS.length]!;
      return d;
    }
    const whole = i % 2 === 0 ? pings[i % pings.length]! : kindDatagrams(1)[0]!;
    return whole.slice(0, 1 + randomInt(Math.min(81, whole.length - 1)));
  });
}

function randomLoopback(): { hostname: string; port: number } {
  const r = backend().randomBytes(5);
  return {
    hostname: `127.${r[0]}.${r[1]}.${r[2]! | 1}`,
    port: 1024 + (((r[3]! << 8) | r[4]!) % 60000),
  };
}

/**
 * Onion requests (0x80) through `target` to random 127.x.y.z hops and announce requests
 * (0x83) to `target`, alternating, each from a fresh sender key.
 *
 * @example
 * ```ts
 * import { backend } from "../lib/crypto/mod.ts";
 * import { onionDatagrams } from "./_attack_packets.ts";
 * const d = onionDatagrams(backend().keyPair().publicKey, 2);
 * console.assert(d[0]![0] === 0x80 && d[1]![0] === 0x83);
 * ```
 */
export function onionDatagrams(target: Uint8Array, count: number): Uint8Array[] {
  const b = backend();
  return Array.from({ length: count }, (_, i) => {
    if (i % 2 === 0) {
      const hop = () => ({ publicKey: b.keyPair().publicKey, addr: randomLoopback() });
      const path = createOnionPath(
        [{ publicKey: target, addr: randomLoopback() }, hop(), hop()],
        b.keyPair(),
      );
      return buildOnionPacket(path, randomLoopback(), b.randomBytes(100));
    }
    return buildAnnounceRequest({
      destPublicKey: target,
      sender: b.keyPair(),
      pingId: new Uint8Array(32),
      searchedPublicKey: b.randomBytes(32),
      dataPublicKey: b.randomBytes(32),
      sendback: b.randomBytes(8),
    });
  });
}
