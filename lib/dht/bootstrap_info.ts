/**
 * Bootstrap info (UDP kind 0xf0), the "message of the day" that tox-bootstrapd answers with
 * `enable_motd`: node lists and operators send a datagram of exactly 78 bytes starting with
 * 0xf0 (the rest is ignored), and the node answers `[0xf0][version u32 BE][MOTD, NUL
 * included, at most 256 bytes]`.
 *
 * The version field encodes `major.minor.patch` as `1000000000 + major·10⁶ + minor·10³ +
 * patch` (tox-bootstrapd 0.2.18 says 1000002018). peerkit puts its own version in the same
 * encoding, so peerkit 0.1.0 answers 1000001000; a node list shows it as "0.1.0".
 *
 * Only requests of exactly 78 bytes are answered, so a response (at most 261 bytes) is never
 * more than about 3.4 times the request that provoked it, and each source IP is held to a
 * small token bucket (plus one bucket for all sources), so the answer is no amplifier.
 *
 * @example
 * ```ts
 * import { BootstrapInfoResponder, decodeBootstrapInfo, encodeBootstrapInfoRequest } from "./bootstrap_info.ts";
 * const r = new BootstrapInfoResponder({ version: 1000001000, motd: "hello" });
 * const out = r.handle(encodeBootstrapInfoRequest(), { hostname: "127.0.0.1", port: 9 }, 0);
 * console.assert(out !== null && decodeBootstrapInfo(out).motd === "hello");
 * ```
 * @module
 */
import type { Addr } from "../net/addr.ts";
import { WireError } from "../util/wire_error.ts";

/** UDP packet kind of bootstrap info requests and responses. */
export const BOOTSTRAP_INFO_KIND = 0xf0;
/** The one request size that is answered. */
export const BOOTSTRAP_INFO_REQUEST_SIZE = 78;
/** Longest MOTD on the wire, NUL included. */
export const BOOTSTRAP_INFO_MOTD_MAX = 256;
/** Offset of the version field. */
const VERSION_OFFSET = 1;
/** Offset of the MOTD. */
const MOTD_OFFSET = 5;
/** Longest response: kind, version, MOTD. */
export const BOOTSTRAP_INFO_RESPONSE_MAX = MOTD_OFFSET + BOOTSTRAP_INFO_MOTD_MAX;
/** Base of the version encoding. */
export const BOOTSTRAP_INFO_VERSION_BASE = 1_000_000_000;

/** A decoded bootstrap info response. */
export interface BootstrapInfo {
  /** Version field (see {@link encodeVersion}). */
  version: number;
  /** Message of the day, without its NUL. */
  motd: string;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * `1000000000 + major·10⁶ + minor·10³ + patch`; each part 0..999 (else `RangeError`).
 *
 * @example
 * ```ts
 * import { encodeVersion } from "./bootstrap_info.ts";
 * console.assert(encodeVersion("0.2.18") === 1000002018);
 * ```
 */
export function encodeVersion(semver: string): number {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:[-+].*)?$/.exec(semver);
  if (!m) throw new RangeError(`version must be MAJOR.MINOR.PATCH (each 0..999), got ${semver}`);
  return BOOTSTRAP_INFO_VERSION_BASE + Number(m[1]) * 1e6 + Number(m[2]) * 1e3 + Number(m[3]);
}

/**
 * `major.minor.patch` of a version field, or `null` when it is not in that encoding.
 *
 * @example
 * ```ts
 * import { decodeVersion } from "./bootstrap_info.ts";
 * console.assert(decodeVersion(1000002018) === "0.2.18" && decodeVersion(5) === null);
 * ```
 */
export function decodeVersion(version: number): string | null {
  const v = version - BOOTSTRAP_INFO_VERSION_BASE;
  if (!Number.isInteger(v) || v < 0 || v >= 1e9) return null;
  return `${Math.floor(v / 1e6)}.${Math.floor(v / 1e3) % 1000}.${v % 1000}`;
}

/**
 * True for what tox-bootstrapd answers: exactly 78 bytes, the first 0xf0.
 *
 * @example
 * ```ts
 * import { isBootstrapInfoRequest } from "./bootstrap_info.ts";
 * console.assert(!isBootstrapInfoRequest(new Uint8Array(79).fill(0xf0)));
 * ```
 */
export function isBootstrapInfoRequest(data: Uint8Array): boolean {
  return data.length === BOOTSTRAP_INFO_REQUEST_SIZE && data[0] === BOOTSTRAP_INFO_KIND;
}

/**
 * A request: 0xf0 and 77 zero bytes.
 *
 * @example
 * ```ts
 * import { encodeBootstrapInfoRequest } from "./bootstrap_info.ts";
 * console.assert(encodeBootstrapInfoRequest().length === 78);
 * ```
 */
export function encodeBootstrapInfoRequest(): Uint8Array {
  const out = new Uint8Array(BOOTSTRAP_INFO_REQUEST_SIZE);
  out[0] = BOOTSTRAP_INFO_KIND;
  return out;
}

function motdBytes(motd: string): Uint8Array {
  const b = encoder.encode(motd);
  if (b.includes(0)) throw new RangeError("MOTD must not contain NUL");
  if (b.length >= BOOTSTRAP_INFO_MOTD_MAX) {
    throw new RangeError(`MOTD is ${b.length} bytes of UTF-8; at most 255 fit`);
  }
  return b;
}

/**
 * Length of {@link encodeBootstrapInfo}'s output.
 *
 * @example
 * ```ts
 * import { encodedLength } from "./bootstrap_info.ts";
 * console.assert(encodedLength({ version: 1000002018, motd: "hi" }) === 8);
 * ```
 */
export function encodedLength(info: BootstrapInfo): number {
  return MOTD_OFFSET + motdBytes(info.motd).length + 1;
}

/**
 * `[0xf0][version u32 BE][MOTD][0]`. `RangeError` for a MOTD over 255 bytes, one with a
 * NUL, or a version that is not a u32.
 *
 * @example
 * ```ts
 * import { encodeBootstrapInfo } from "./bootstrap_info.ts";
 * console.assert(encodeBootstrapInfo({ version: 1000002018, motd: "" }).length === 6);
 * ```
 */
export function encodeBootstrapInfo(info: BootstrapInfo): Uint8Array {
  if (!Number.isInteger(info.version) || info.version < 0 || info.version > 0xffffffff) {
    throw new RangeError("version must be a u32");
  }
  const m = motdBytes(info.motd);
  const out = new Uint8Array(MOTD_OFFSET + m.length + 1);
  out[0] = BOOTSTRAP_INFO_KIND;
  new DataView(out.buffer).setUint32(VERSION_OFFSET, info.version);
  out.set(m, MOTD_OFFSET);
  return out;
}

/**
 * Reads a response. The MOTD is the text before the first NUL (all of it when a sender
 * left the NUL out); invalid UTF-8 becomes U+FFFD. Throws only {@link WireError}.
 *
 * @example
 * ```ts
 * import { decodeBootstrapInfo } from "./bootstrap_info.ts";
 * const b = Uint8Array.from([0xf0, 0x3b, 0x9a, 0xd1, 0xe2, 0x68, 0x69, 0]);
 * console.assert(decodeBootstrapInfo(b).motd === "hi");
 * ```
 */
export function decodeBootstrapInfo(data: Uint8Array): BootstrapInfo {
  if (data.length < MOTD_OFFSET) {
    throw new WireError("TRUNCATED", `bootstrap info of ${data.length} bytes`);
  }
  if (data[0] !== BOOTSTRAP_INFO_KIND) throw new WireError("BAD_TYPE", "not bootstrap info");
  if (data.length > BOOTSTRAP_INFO_RESPONSE_MAX) {
    throw new WireError("TOO_LARGE", `bootstrap info of ${data.length} bytes`);
  }
  const version = new DataView(data.buffer, data.byteOffset, data.byteLength).getUint32(
    VERSION_OFFSET,
  );
  const rest = data.subarray(MOTD_OFFSET);
  const nul = rest.indexOf(0);
  return { version, motd: decoder.decode(nul < 0 ? rest : rest.subarray(0, nul)) };
}

/** Options of a {@link BootstrapInfoResponder}. */
export interface BootstrapInfoResponderOptions {
  /** Version field to answer (see {@link encodeVersion}). */
  version: number;
  /** Message of the day (at most 255 bytes of UTF-8, no NUL). */
  motd: string;
  /** Answers per second to one source IP (default 1). */
  perIpRate?: number;
  /** Answers one source IP may get at once (default 4). */
  perIpBurst?: number;
  /** Answers per second to all sources together (default 100). */
  totalRate?: number;
  /** Source IPs tracked; the least recently seen is forgotten beyond it (default 4096). */
  maxSources?: number;
}

/** Counters of a {@link BootstrapInfoResponder}. */
export interface BootstrapInfoStats {
  /** Requests answered. */
  answered: number;
  /** 0xf0 datagrams dropped for not being exactly 78 bytes. */
  droppedSize: number;
  /** Requests dropped by the per-IP or the total rate limit. */
  droppedRate: number;
}

/** A count-based token bucket (tokens per second, capped at `burst`). */
class Bucket {
  #tokens: number;
  #at: number;
  constructor(readonly rate: number, readonly burst: number, now: number) {
    this.#tokens = burst;
    this.#at = now;
  }
  take(now: number): boolean {
    if (now > this.#at) {
      this.#tokens = Math.min(this.burst, this.#tokens + ((now - this.#at) * this.rate) / 1000);
      this.#at = now;
    }
    if (this.#tokens < 1) return false;
    this.#tokens--;
    return true;
  }
}

/**
 * Sans-IO answerer of 0xf0 requests: `handle()` returns the datagram to send back to `from`,
 * or `null` (and counts why).
 *
 * @example
 * ```ts
 * import { BootstrapInfoResponder, encodeBootstrapInfoRequest } from "./bootstrap_info.ts";
 * const r = new BootstrapInfoResponder({ version: 1000001000, motd: "m", perIpBurst: 1 });
 * const from = { hostname: "127.0.0.1", port: 9 };
 * r.handle(encodeBootstrapInfoRequest(), from, 0);
 * console.assert(r.handle(encodeBootstrapInfoRequest(), from, 0) === null);
 * console.assert(r.stats.answered === 1 && r.stats.droppedRate === 1);
 * ```
 */
export class BootstrapInfoResponder {
  /** Counters. */
  readonly stats: BootstrapInfoStats = { answered: 0, droppedSize: 0, droppedRate: 0 };
  readonly #answer: Uint8Array;
  readonly #rate: number;
  readonly #burst: number;
  readonly #maxSources: number;
  readonly #total: Bucket;
  readonly #sources = new Map<string, Bucket>();

  /** Encodes the answer once; `RangeError` for a bad MOTD, version or limit. */
  constructor(opts: BootstrapInfoResponderOptions) {
    this.#answer = encodeBootstrapInfo({ version: opts.version, motd: opts.motd });
    this.#rate = opts.perIpRate ?? 1;
    this.#burst = opts.perIpBurst ?? 4;
    this.#maxSources = opts.maxSources ?? 4096;
    const total = opts.totalRate ?? 100;
    if (!(this.#rate > 0) || !(this.#burst >= 1) || !(total > 0) || !(this.#maxSources >= 1)) {
      throw new RangeError("rates must be > 0, burst and maxSources >= 1");
    }
    this.#total = new Bucket(total, total, -Infinity);
  }

  /** Source IPs currently tracked. */
  get sources(): number {
    return this.#sources.size;
  }

  /**
   * Handles one datagram whose first byte is 0xf0. Returns the response for `from`, or
   * `null` for a request of the wrong size or over a rate limit. Never throws.
   */
  handle(data: Uint8Array, from: Addr, now: number): Uint8Array | null {
    if (!isBootstrapInfoRequest(data)) {
      this.stats.droppedSize++;
      return null;
    }
    let b = this.#sources.get(from.hostname);
    if (b) {
      // Re-inserted so that the map stays ordered by last use.
      this.#sources.delete(from.hostname);
    } else {
      if (this.#sources.size >= this.#maxSources) {
        this.#sources.delete(this.#sources.keys().next().value!);
      }
      b = new Bucket(this.#rate, this.#burst, now);
    }
    this.#sources.set(from.hostname, b);
    if (!b.take(now) || !this.#total.take(now)) {
      this.stats.droppedRate++;
      return null;
    }
    this.stats.answered++;
    return this.#answer.slice();
  }
}
