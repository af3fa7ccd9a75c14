/**
 * What a sender reads from: a message, a file (hashed before the offer, so it can resume),
 * or a stream of unknown size (stdin, hashed as it goes).
 *
 * @example
 * ```ts
 * import { messageSource } from "./source.ts";
 * const s = messageSource("hello");
 * console.assert(s.kind === "message" && s.size === 5 && s.hash?.length === 32);
 * ```
 * @module
 */
import { createHash } from "node:crypto";
import { sha256 } from "../crypto/hash.ts";
import type { OfferKind } from "./wire.ts";

/** Content to send. */
export interface Source {
  /** Message, file or stream. */
  readonly kind: OfferKind;
  /** Base name offered (empty for a message). */
  readonly name: string;
  /** Bytes, `null` for a stream. */
  readonly size: number | null;
  /** SHA-256 of the whole content, `null` for a stream until it has been read. */
  readonly hash: Uint8Array | null;
  /** SHA-256 of the first `n` bytes (for checking a receiver's resume offer). */
  prefixHash(n: number): Promise<Uint8Array>;
  /** The content from byte `offset` on, in chunks of any size. */
  read(offset: number): AsyncIterable<Uint8Array>;
  /** SHA-256 of everything `read` yielded from 0 (a stream's hash, once read). */
  finalHash(): Uint8Array;
}

const READ_CHUNK = 1 << 20;

/**
 * A text message.
 *
 * @example
 * ```ts
 * import { messageSource } from "./source.ts";
 * const chunks = [];
 * for await (const c of messageSource("hi").read(0)) chunks.push(c);
 * console.assert(chunks.length === 1 && chunks[0]?.length === 2);
 * ```
 */
export function messageSource(text: string): Source {
  const bytes = new TextEncoder().encode(text);
  const hash = sha256(bytes);
  return {
    kind: "message",
    name: "",
    size: bytes.length,
    hash,
    prefixHash: (n) => Promise.resolve(sha256(bytes.subarray(0, n))),
    async *read(offset) {
      if (offset < bytes.length) yield bytes.subarray(offset);
    },
    finalHash: () => hash,
  };
}

async function* readFile(path: string, from: number, upTo: number): AsyncIterable<Uint8Array> {
  using f = await Deno.open(path, { read: true });
  await f.seek(from, Deno.SeekMode.Start);
  let left = upTo - from;
  while (left > 0) {
    const buf = new Uint8Array(Math.min(READ_CHUNK, left));
    const n = await f.read(buf);
    if (n === null) throw new Error(`the file shrank while being sent`);
    left -= n;
    yield buf.subarray(0, n);
  }
}

async function hashRange(path: string, upTo: number): Promise<Uint8Array> {
  const h = createHash("sha256");
  for await (const c of readFile(path, 0, upTo)) h.update(c);
  return new Uint8Array(h.digest());
}

/**
 * A file, offered as `name` (its base name unless given). Reads it once to hash it.
 *
 * @example
 * ```ts
 * import { fileSource } from "./source.ts";
 * const p = await Deno.makeTempFile();
 * await Deno.writeTextFile(p, "abc");
 * const s = await fileSource(p);
 * console.assert(s.size === 3 && s.name === p.split("/").pop());
 * await Deno.remove(p);
 * ```
 */
export async function fileSource(path: string, name?: string): Promise<Source> {
  const size = (await Deno.stat(path)).size;
  const hash = await hashRange(path, size);
  return {
    kind: "file",
    name: name ?? path.split("/").pop() ?? path,
    size,
    hash,
    prefixHash: (n) => hashRange(path, Math.min(n, size)),
    read: (offset) => readFile(path, offset, size),
    finalHash: () => hash,
  };
}

/**
 * A stream of unknown size (stdin), offered as `name`; hashed as it is read.
 *
 * @example
 * ```ts
 * import { streamSource } from "./source.ts";
 * const s = streamSource(ReadableStream.from([new Uint8Array([1, 2])]), "stdin");
 * let n = 0;
 * for await (const c of s.read(0)) n += c.length;
 * console.assert(n === 2 && s.finalHash().length === 32 && s.size === null);
 * ```
 */
export function streamSource(stream: ReadableStream<Uint8Array>, name: string): Source {
  const h = createHash("sha256");
  let digest: Uint8Array | null = null;
  return {
    kind: "stream",
    name,
    size: null,
    hash: null,
    prefixHash: () => Promise.reject(new TypeError("a stream does not resume")),
    async *read() {
      for await (const c of stream) {
        h.update(c);
        yield c;
      }
      digest = new Uint8Array(h.digest());
    },
    finalHash: () => {
      if (digest === null) throw new TypeError("the stream has not been read to its end");
      return digest;
    },
  };
}
