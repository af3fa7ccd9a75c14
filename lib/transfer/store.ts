/**
 * Where a receiver keeps files: under one save directory, by base name only.
 *
 * Content is written to a hidden partial file in the same directory
 * (`.peerkit-<key>.part`), synced, then hard-linked to its final name and the partial
 * removed; `link` fails when the name exists, so no file is ever overwritten and no partial
 * file ever stands under a final name (the next free `name (n).ext` is used instead). A
 * file of known size and hash keeps its partial file and a small metadata file
 * (`.peerkit-<key>.json`, validated with zod when read) when the transfer breaks off; the
 * key is the SHA-256 of sender key, content hash and size, so the same sender sending the
 * same content again resumes where it stopped. Streams (unknown size) never resume.
 *
 * @example
 * ```ts
 * import { openStore } from "./store.ts";
 * import { sha256 } from "../crypto/hash.ts";
 * const dir = await Deno.makeTempDir();
 * const data = new TextEncoder().encode("hello");
 * const store = await openStore(dir);
 * const inc = await store.open({ sender: "AA".repeat(32), name: "hi.txt", size: 5, hash: sha256(data) });
 * await inc.write(data);
 * console.assert((await inc.commit()).endsWith("/hi.txt"));
 * await Deno.remove(dir, { recursive: true });
 * ```
 * @module
 */
import { createHash, type Hash } from "node:crypto";
import { toHex } from "../util/bytes.ts";
import { PeerkitError } from "../util/errors.ts";
import { numberedName, STORE_PREFIX } from "./names.ts";

/** What the store is asked to take. */
export interface StoreRequest {
  /** The sender's public key, hex. */
  sender: string;
  /** The offered base name (already checked with `badName`). */
  name: string;
  /** Bytes; `null` for a stream. */
  size: number | null;
  /** SHA-256 of the content; `null` for a stream. */
  hash: Uint8Array | null;
}

/** One file being received. */
export interface Incoming {
  /** Bytes already held from an earlier, broken-off transfer (0 when new). */
  readonly offset: number;
  /** SHA-256 of those bytes. */
  readonly prefixHash: Uint8Array;
  /** A SHA-256 that has absorbed the held bytes; feed it what follows. */
  readonly hasher: Hash;
  /** Appends bytes (buffered; resolves when they are accepted, not necessarily on disk). */
  write(bytes: Uint8Array): Promise<void>;
  /** Drops the held bytes: the sender starts again from 0. */
  restart(): Promise<void>;
  /** Syncs, then gives the content its final name; returns the path. */
  commit(): Promise<string>;
  /** Closes and keeps the partial file for a resume (a stream's is deleted). */
  keep(): Promise<void>;
  /** Closes and deletes the partial and metadata files. */
  discard(): Promise<void>;
}

/** A save directory. */
export interface Store {
  /** The directory, absolute. */
  readonly dir: string;
  /** Starts (or resumes) receiving one file. Throws `PeerkitError` `BUSY` if it is already open. */
  open(req: StoreRequest): Promise<Incoming>;
}

/** Most numbered names tried before a commit gives up. */
export const MAX_NUMBERED = 1000;

const FLUSH_BYTES = 1 << 20;

async function loadZod() {
  return (await import("zod")).z;
}

async function readMeta(path: string, want: Record<string, unknown>): Promise<boolean> {
  let raw: string;
  try {
    raw = await Deno.readTextFile(path);
  } catch {
    return false;
  }
  const z = await loadZod();
  const schema = z.object({
    v: z.literal(1),
    sender: z.string().regex(/^[0-9A-F]{64}$/),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    size: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    name: z.string().max(1024),
  }).strict();
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return false;
  }
  const r = schema.safeParse(parsed);
  return r.success && r.data.sender === want.sender && r.data.sha256 === want.sha256 &&
    r.data.size === want.size;
}

async function hashPrefix(path: string, upTo: number): Promise<Hash> {
  const h = createHash("sha256");
  const f = await Deno.open(path, { read: true });
  try {
    const buf = new Uint8Array(1 << 20);
    let left = upTo;
    while (left > 0) {
      const n = await f.read(buf.subarray(0, Math.min(buf.length, left)));
      if (n === null) break;
      h.update(buf.subarray(0, n));
      left -= n;
    }
  } finally {
    f.close();
  }
  return h;
}

async function writeAll(f: Deno.FsFile, b: Uint8Array): Promise<void> {
  let off = 0;
  while (off < b.length) off += await f.write(b.subarray(off));
}

async function removeQuiet(path: string): Promise<void> {
  try {
    await Deno.remove(path);
  } catch { /* already gone */ }
}

/**
 * Opens (creating it if needed) the save directory `dir`.
 *
 * @example
 * ```ts
 * import { openStore } from "./store.ts";
 * const dir = await Deno.makeTempDir();
 * console.assert((await openStore(dir)).dir === dir);
 * await Deno.remove(dir);
 * ```
 */
export async function openStore(dir: string): Promise<Store> {
  await Deno.mkdir(dir, { recursive: true });
  const open = new Set<string>();
  return {
    dir,
    async open(req) {
      const resumable = req.size !== null && req.hash !== null;
      const key = resumable
        ? toHex(
          createHash("sha256").update(`${req.sender}|${toHex(req.hash!)}|${req.size}`).digest()
            .subarray(0, 16),
        )
        : toHex(crypto.getRandomValues(new Uint8Array(16)));
      if (open.has(key)) throw new PeerkitError("BUSY", "this file is already being received");
      const part = `${dir}/${STORE_PREFIX}${key}.part`;
      const metaPath = `${dir}/${STORE_PREFIX}${key}.json`;
      const meta = {
        v: 1,
        sender: req.sender,
        sha256: req.hash ? toHex(req.hash) : "",
        size: req.size,
      };
      let offset = 0;
      if (resumable && await readMeta(metaPath, meta)) {
        try {
          offset = Math.min((await Deno.stat(part)).size, req.size!);
        } catch { /* no partial file */ }
      }
      open.add(key);
      let hasher = offset > 0 ? await hashPrefix(part, offset) : createHash("sha256");
      const prefixHash = new Uint8Array(hasher.copy().digest());
      const file = await Deno.open(part, { create: true, write: true, read: false });
      await file.truncate(offset);
      await file.seek(offset, Deno.SeekMode.Start);
      if (resumable) {
        await Deno.writeTextFile(metaPath, JSON.stringify({ ...meta, name: req.name }));
      }
      let pending: Uint8Array[] = [], pendingBytes = 0, closed = false;
      const flush = async () => {
        if (pendingBytes === 0) return;
        const all = new Uint8Array(pendingBytes);
        let at = 0;
        for (const p of pending) {
          all.set(p, at);
          at += p.length;
        }
        pending = [];
        pendingBytes = 0;
        await writeAll(file, all);
      };
      const close = async () => {
        if (closed) return;
        closed = true;
        open.delete(key);
        try {
          await flush();
        } finally {
          file.close();
        }
      };
      return {
        offset,
        prefixHash,
        get hasher() {
          return hasher;
        },
        async write(bytes) {
          pending.push(bytes);
          pendingBytes += bytes.length;
          if (pendingBytes >= FLUSH_BYTES) await flush();
        },
        async restart() {
          pending = [];
          pendingBytes = 0;
          await file.truncate(0);
          await file.seek(0, Deno.SeekMode.Start);
          hasher = createHash("sha256");
        },
        async commit() {
          await flush();
          await file.sync();
          await close();
          for (let n = 0; n < MAX_NUMBERED; n++) {
            const final = `${dir}/${numberedName(req.name, n)}`;
            try {
              await Deno.link(part, final);
            } catch (e) {
              if (e instanceof Deno.errors.AlreadyExists) continue;
              throw new PeerkitError("STORE", `cannot store ${req.name}: ${(e as Error).message}`);
            }
            await removeQuiet(part);
            await removeQuiet(metaPath);
            return final;
          }
          throw new PeerkitError("EXISTS", `${req.name} and ${MAX_NUMBERED} numbered names exist`);
        },
        async keep() {
          await close();
          if (!resumable) await removeQuiet(part);
        },
        async discard() {
          await close();
          await removeQuiet(part);
          await removeQuiet(metaPath);
        },
      };
    },
  };
}
