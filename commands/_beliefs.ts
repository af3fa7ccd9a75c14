/**
 * The beliefs file, `<home>/beliefs.json`: what `punch` learned about paths to peers, kept
 * between runs. Loading never fails: a missing file is empty beliefs, and a file that is not
 * valid (bad JSON, wrong shape, NaN, negative counts, times in the future) is reported in
 * one line and replaced by empty beliefs. Saving is atomic (temporary file, then rename) with
 * mode 0600 in a state directory of mode 0700.
 *
 * @example
 * ```ts
 * import { loadBeliefs, saveBeliefs } from "./_beliefs.ts";
 * import { recordAttempt } from "../lib/punch/beliefs.ts";
 * const home = await Deno.makeTempDir();
 * const b = recordAttempt(await loadBeliefs(home, 0), "AB".repeat(32), "direct", true, 1);
 * await saveBeliefs(home, b);
 * console.assert((await loadBeliefs(home, 2)).peers["AB".repeat(32)]!.direct.a === 2);
 * await Deno.remove(home, { recursive: true });
 * ```
 * @module
 */
import { z } from "zod";
import { ensureStateDir } from "../lib/identity/home.ts";
import { PeerkitError } from "../lib/util/errors.ts";
import { type Beliefs, emptyBeliefs, lastUpdate, pruneBeliefs } from "../lib/punch/beliefs.ts";

/** File name of the beliefs inside the state directory. */
export const BELIEFS_FILE = "beliefs.json";

/** A beliefs file larger than this is not read (1024 peers take about 200 KiB). */
export const MAX_BELIEFS_FILE_BYTES = 4 * 1024 * 1024;

/** The largest pseudo-count accepted from the file. */
export const MAX_COUNT = 1e6;

/**
 * Path of the beliefs file inside a state directory.
 *
 * @example
 * ```ts
 * import { beliefsPath } from "./_beliefs.ts";
 * console.assert(beliefsPath("/h/") === "/h/beliefs.json");
 * ```
 */
export function beliefsPath(home: string): string {
  return `${home.replace(/\/+$/, "") || "/"}/${BELIEFS_FILE}`;
}

function schema(now: number) {
  const count = z.number().min(0).max(MAX_COUNT);
  const beta = z.object({
    a: count,
    b: count,
    t: z.number().min(0).max(now, { message: `time is in the future (now is ${now})` }),
  });
  const peer = z.object({ direct: beta, birthday: beta, relay: beta });
  return z.object({
    version: z.literal(1),
    network: z.object({ udp: beta, eim: beta, eif: beta }),
    peers: z.record(z.string().regex(/^[0-9A-F]{64}$/, "peer id is not 64 upper-case hex"), peer),
  });
}

/**
 * Validates parsed JSON as beliefs at `now`; the reason in one line when it is not.
 *
 * @example
 * ```ts
 * import { parseBeliefs } from "./_beliefs.ts";
 * const r = parseBeliefs({ version: 2 }, 0);
 * console.assert(!r.ok && r.reason.length > 0);
 * ```
 */
export function parseBeliefs(
  raw: unknown,
  now: number,
): { ok: true; beliefs: Beliefs } | { ok: false; reason: string } {
  const r = schema(now).safeParse(raw);
  if (r.success) return { ok: true, beliefs: r.data };
  const issue = r.error.issues[0];
  const where = issue && issue.path.length > 0 ? `${issue.path.map(String).join(".")}: ` : "";
  return { ok: false, reason: `${where}${issue?.message ?? "wrong shape"}`.replace(/\s+/g, " ") };
}

/**
 * Reads `<home>/beliefs.json` as of `now`; empty beliefs when it is missing. A file that
 * cannot be read or is not valid gives one line to `warn` (if given) and empty beliefs,
 * never an exception. What is loaded is pruned to the default size.
 *
 * @example
 * ```ts
 * import { loadBeliefs } from "./_beliefs.ts";
 * const home = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${home}/beliefs.json`, "{not json");
 * const lines: string[] = [];
 * const b = await loadBeliefs(home, 0, (l) => lines.push(l));
 * console.assert(lines.length === 1 && Object.keys(b.peers).length === 0);
 * await Deno.remove(home, { recursive: true });
 * ```
 */
export async function loadBeliefs(
  home: string,
  now: number,
  warn?: (line: string) => void,
): Promise<Beliefs> {
  const path = beliefsPath(home);
  const empty = (why: string) => {
    warn?.(`ignoring ${path}: ${why}; starting with empty beliefs`);
    return emptyBeliefs(now);
  };
  let text: string;
  try {
    const info = await Deno.stat(path);
    if (!info.isFile) return empty("not a regular file");
    if (info.size > MAX_BELIEFS_FILE_BYTES) {
      return empty(`${info.size} bytes, more than ${MAX_BELIEFS_FILE_BYTES}`);
    }
    text = await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return emptyBeliefs(now);
    return empty(`cannot read it (${e instanceof Error ? e.message : String(e)})`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return empty("not JSON");
  }
  const r = parseBeliefs(raw, now);
  if (!r.ok) return empty(r.reason);
  return pruneBeliefs(r.beliefs, now);
}

/**
 * Writes `<home>/beliefs.json` atomically (a temporary file in the same directory, synced,
 * then renamed over the old one) with mode 0600, creating the state directory with mode
 * 0700. The beliefs are pruned first (as of their newest update) so the file stays bounded.
 * Fails with `BELIEFS_UNWRITABLE` (or `STATE_DIR_UNWRITABLE`).
 *
 * @example
 * ```ts
 * import { saveBeliefs } from "./_beliefs.ts";
 * import { emptyBeliefs } from "../lib/punch/beliefs.ts";
 * const home = `${await Deno.makeTempDir()}/state`;
 * await saveBeliefs(home, emptyBeliefs(0));
 * console.assert(((await Deno.stat(`${home}/beliefs.json`)).mode! & 0o777) === 0o600);
 * await Deno.remove(home, { recursive: true });
 * ```
 */
export async function saveBeliefs(home: string, b: Beliefs): Promise<void> {
  await ensureStateDir(home);
  const path = beliefsPath(home);
  const newest = Math.max(0, ...Object.values(b.peers).map(lastUpdate));
  const kept = pruneBeliefs(b, newest);
  const doc = { version: 1, network: kept.network, peers: kept.peers };
  const tmp = `${path}.${crypto.randomUUID().slice(0, 8)}.tmp`;
  try {
    const f = await Deno.open(tmp, { write: true, createNew: true, mode: 0o600 });
    try {
      const bytes = new TextEncoder().encode(JSON.stringify(doc) + "\n");
      for (let off = 0; off < bytes.length;) {
        const n = await f.write(bytes.subarray(off));
        if (n <= 0) throw new Error("short write");
        off += n;
      }
      await f.syncData();
    } finally {
      f.close();
    }
    await Deno.chmod(tmp, 0o600);
    await Deno.rename(tmp, path);
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    throw new PeerkitError(
      "BELIEFS_UNWRITABLE",
      `cannot write ${path}: ${e instanceof Error ? e.message : String(e)}`,
      { cause: e },
    );
  }
}
