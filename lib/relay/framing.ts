/**
 * Encrypted framing of an established relay link: `[length u16 BE][Box(K, nonce, packet)]`,
 * length ≤ 2048, one nonce increment per packet in each direction. {@link FrameCodec}
 * holds the nonce state; {@link FrameReader} cuts a byte stream into frames without
 * copying whole chunks.
 *
 * @example
 * ```ts
 * import { FrameCodec } from "./framing.ts";
 * const k = new Uint8Array(32), n = new Uint8Array(24);
 * const a = new FrameCodec({ key: k, sendNonce: n.slice(), recvNonce: n.slice() });
 * const b = new FrameCodec({ key: k, sendNonce: n.slice(), recvNonce: n.slice() });
 * const frame = a.seal(new Uint8Array([4, 1, 2, 3, 4, 5, 6, 7, 8]));
 * console.assert(b.open(frame.subarray(2))?.[0] === 4);
 * ```
 * @module
 */
import { backend, type CryptoBackend, incrementNonce } from "../crypto/mod.ts";
import { WireError } from "../util/wire_error.ts";
import { LENGTH_SIZE, MAC_SIZE, MAX_PACKET_SIZE, MAX_PLAINTEXT_SIZE } from "./constants.ts";
import type { SessionKeys } from "./handshake.ts";

/**
 * Seals outgoing and opens incoming packets of one link, keeping both nonces.
 *
 * @example
 * ```ts
 * import { FrameCodec } from "./framing.ts";
 * const c = new FrameCodec({ key: new Uint8Array(32), sendNonce: new Uint8Array(24), recvNonce: new Uint8Array(24) });
 * console.assert(c.seal(new Uint8Array([16, 1])).length === 2 + 16 + 2);
 * ```
 */
export class FrameCodec {
  #key: Uint8Array;
  #send: Uint8Array;
  #recv: Uint8Array;
  readonly #b: CryptoBackend;

  /**
   * A codec for one established link.
   *
   * @param keys session key and the two nonces (copied)
   * @param crypto backend (default: the process backend now)
   */
  constructor(keys: SessionKeys, crypto: CryptoBackend = backend()) {
    this.#b = crypto;
    this.#key = Uint8Array.from(keys.key);
    this.#send = Uint8Array.from(keys.sendNonce);
    this.#recv = Uint8Array.from(keys.recvNonce);
  }

  /**
   * Encrypts one packet into a whole frame (length prefix included) and steps the send nonce.
   * Throws `RangeError` for an empty or over-long packet.
   */
  seal(packet: Uint8Array): Uint8Array {
    if (packet.length === 0 || packet.length > MAX_PLAINTEXT_SIZE) {
      throw new RangeError(`packet of ${packet.length} bytes cannot be framed`);
    }
    const n = packet.length + MAC_SIZE;
    const out = new Uint8Array(LENGTH_SIZE + n);
    out[0] = n >> 8;
    out[1] = n & 0xff;
    // Straight into the frame where the backend can; otherwise one copy.
    if (this.#b.sealInto) {
      this.#b.sealInto(out.subarray(LENGTH_SIZE), packet, this.#send, this.#key);
    } else out.set(this.#b.seal(packet, this.#send, this.#key), LENGTH_SIZE);
    incrementNonce(this.#send);
    return out;
  }

  /**
   * Opens one frame body (without its length); `null` on a bad MAC (the link is then dead).
   * With `scratch` (at least 2032 bytes) and a backend that can open in place, the packet is
   * a view into `scratch`, valid until its next use: no allocation per frame.
   */
  open(body: Uint8Array, scratch?: Uint8Array): Uint8Array | null {
    if (body.length <= MAC_SIZE) return null;
    const n = body.length - MAC_SIZE;
    let p: Uint8Array | null;
    if (scratch && this.#b.openInto && scratch.length >= n) {
      p = scratch.subarray(0, n);
      if (!this.#b.openInto(p, body, this.#recv, this.#key)) p = null;
    } else p = this.#b.open(body, this.#recv, this.#key);
    if (!p) return null;
    incrementNonce(this.#recv);
    return p;
  }
}

/**
 * Cuts a byte stream into frame bodies.
 *
 * @example
 * ```ts
 * import { FrameReader } from "./framing.ts";
 * const r = new FrameReader();
 * console.assert(r.push(new Uint8Array([0, 2, 7])).length === 0);
 * console.assert(r.push(new Uint8Array([8]))[0]?.length === 2);
 * ```
 */
export class FrameReader {
  #pending: Uint8Array | null = null;

  /** Bytes buffered but not yet a whole frame. */
  get buffered(): number {
    return this.#pending?.length ?? 0;
  }

  /**
   * Appends `chunk` and returns the complete frame bodies in it (views, valid until the next
   * call). Zero-length frames are skipped, as c-toxcore skips them. Throws
   * {@link WireError} when a length field exceeds 2048: the stream is then unusable.
   */
  push(chunk: Uint8Array): Uint8Array[] {
    const out: Uint8Array[] = [];
    let off = 0;
    let p = this.#pending;
    if (p) {
      // Finish the frame left over from the last call: only its missing bytes are copied,
      // not the whole chunk.
      this.#pending = null;
      if (p.length < LENGTH_SIZE) {
        off = Math.min(LENGTH_SIZE - p.length, chunk.length);
        p = join(p, chunk.subarray(0, off));
        if (p.length < LENGTH_SIZE) {
          this.#pending = p;
          return out;
        }
      }
      const len = lengthAt(p, 0);
      const take = Math.min(LENGTH_SIZE + len - p.length, chunk.length - off);
      p = join(p, chunk.subarray(off, off + take));
      off += take;
      if (p.length < LENGTH_SIZE + len) {
        this.#pending = p;
        return out;
      }
      if (len > 0) out.push(p.subarray(LENGTH_SIZE));
    }
    const buf = chunk;
    while (buf.length - off >= LENGTH_SIZE) {
      const len = lengthAt(buf, off);
      if (buf.length - off - LENGTH_SIZE < len) break;
      if (len > 0) out.push(buf.subarray(off + LENGTH_SIZE, off + LENGTH_SIZE + len));
      off += LENGTH_SIZE + len;
    }
    if (off < buf.length) this.#pending = buf.slice(off);
    return out;
  }
}

/** The frame length at `off`; throws {@link WireError} beyond 2048. */
function lengthAt(b: Uint8Array, off: number): number {
  const len = (b[off]! << 8) | b[off + 1]!;
  if (len > MAX_PACKET_SIZE) {
    throw new WireError("TOO_LARGE", `frame length ${len} exceeds ${MAX_PACKET_SIZE}`);
  }
  return len;
}

function join(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
