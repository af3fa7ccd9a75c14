/**
 * The body of `peerkit send` once a channel is open: offer, stream, wait for the
 * receiver's proof, report (a result line, a progress bar on a terminal, or one JSON
 * document). Separate from the dialling so it runs on any {@link PeerChannel}.
 *
 * @example
 * ```ts
 * import { sendExit } from "./_send_run.ts";
 * console.assert(sendExit({ delivered: true, bytes: 1, resumedFrom: 0, size: 1, timeMs: 1, sha256: null }) === 0);
 * ```
 * @module
 */
import { EXIT, type GlobalOptions, type Io, resolvePath } from "./_io.ts";
import type { Payload } from "./send.ts";
import { PeerkitError } from "../lib/util/errors.ts";
import { formatPublicKey } from "../lib/identity/pubkey.ts";
import { ConnectReport } from "./_connect_report.ts";
import type { PeerOptions } from "./_peer_options.ts";
import type { PeerChannel } from "../lib/link/channel.ts";
import { formatBytes, progressPainter } from "../lib/transfer/progress.ts";
import { sendOverChannel, type SendReport } from "../lib/transfer/send_driver.ts";
import type { Source } from "../lib/transfer/source.ts";

/** How long to wait for the peer's first message (peerkit hello or a Tox client's [24]). */
const KIND_WAIT_MS = 5_000;

/** How a terminal is written to, for the progress bar (tests pass their own). */
export interface Terminal {
  /** Writes without a newline. */
  write(s: string): void;
  /** Columns. */
  width: number;
}

/**
 * The exit code for a report: 0 only when delivered.
 *
 * @example
 * ```ts
 * import { sendExit } from "./_send_run.ts";
 * console.assert(sendExit({ delivered: false, failure: "refused", bytes: 0, resumedFrom: 0, size: 1, timeMs: 1, sha256: null }) === 1);
 * ```
 */
export function sendExit(r: SendReport): number {
  return r.delivered ? EXIT.OK : EXIT.FAILED;
}

/** The terminal of this process's stderr. */
export function stderrTerminal(): Terminal {
  const enc = new TextEncoder();
  let width = 80;
  try {
    width = Deno.consoleSize().columns;
  } catch { /* not a console */ }
  return { write: (s) => void Deno.stderr.writeSync(enc.encode(s)), width };
}

/**
 * The JSON document `send --json` prints.
 *
 * @example
 * ```ts
 * import { sendDocument } from "./_send_run.ts";
 * const d = sendDocument({ delivered: true, bytes: 10, resumedFrom: 0, size: 10, timeMs: 1000, sha256: "ab" }, "AB", ["relay"]);
 * console.assert(d.result === "delivered" && d.rateBytesPerSec === 10);
 * ```
 */
export function sendDocument(r: SendReport, peer: string, paths: readonly string[]) {
  return {
    result: r.delivered ? "delivered" : r.failure ?? "interrupted",
    delivered: r.delivered,
    peer,
    bytes: r.bytes,
    resumedFrom: r.resumedFrom,
    size: r.size,
    timeMs: Math.round(r.timeMs),
    rateBytesPerSec: r.timeMs > 0 ? Math.round(r.bytes / (r.timeMs / 1000)) : 0,
    paths: [...paths],
    sha256: r.sha256,
    receiverSha256: r.receiverSha256 ?? null,
    storedAs: r.storedAs ?? null,
    ...(r.why !== undefined ? { why: r.why } : {}),
  };
}

/**
 * Sends `src` on `ch` and reports; returns the exit code. Does not close `ch`.
 *
 * @example
 * ```ts ignore
 * const code = await sendOnChannel(channel, await fileSource("a.bin"), g, io);
 * ```
 */
export async function sendOnChannel(
  ch: PeerChannel,
  src: Source,
  g: GlobalOptions,
  io: Io,
  term: Terminal | null = io.stderrIsTTY && !g.quiet && !g.json ? stderrTerminal() : null,
): Promise<number> {
  const painter = term && src.kind !== "message"
    ? progressPainter({
      write: term.write,
      now: () => Date.now(),
      total: src.size,
      width: term.width,
    })
    : null;
  const r = await sendOverChannel(ch, src, {
    signal: io.signal,
    // The bar shows what the receiver reports holding, not what is queued here.
    onProgress: (bytes, from, acked) => acked && painter?.update(from + bytes, bytes),
  });
  if (painter && r.delivered) painter.update(r.resumedFrom + r.bytes, r.bytes, true);
  painter?.clear();
  const what = src.kind === "message" ? "message" : src.name;
  if (g.json) io.out(JSON.stringify(sendDocument(r, ch.peer, ch.pathsUsed)));
  else if (r.delivered) {
    if (!g.quiet) {
      const secs = r.timeMs / 1000;
      const resumed = r.resumedFrom > 0 ? `, resumed after ${formatBytes(r.resumedFrom)}` : "";
      const rate = secs > 0 && src.kind !== "message" ? `, ${formatBytes(r.bytes / secs)}/s` : "";
      const as = src.kind === "message" ? "" : ` as ${r.storedAs}`;
      io.out(
        `delivered ${what} (${formatBytes(r.size ?? r.bytes)}${resumed}) to ${
          ch.peer.slice(0, 8)
        }…${as}: ` +
          `sha256 ${r.sha256?.slice(0, 16)}… verified by the receiver in ${
            secs.toFixed(2)
          } s${rate}, ` +
          `path ${ch.pathsUsed.join(" → ") || "?"}`,
      );
    }
  } else io.err(`peerkit: send: ${what} not delivered (${r.failure}): ${r.why}`);
  return sendExit(r);
}

/**
 * The {@link Source} for a payload; a file that cannot be read is a one-line error.
 *
 * @example
 * ```ts
 * import { sourceFor } from "./_send_run.ts";
 * import { bufferIo } from "./_io.ts";
 * const s = await sourceFor({ kind: "message", text: "hi" }, bufferIo());
 * console.assert(s.size === 2);
 * ```
 */
export async function sourceFor(p: Payload, io: Io): Promise<Source> {
  const { fileSource, messageSource, streamSource } = await import("../lib/transfer/source.ts");
  if (p.kind === "message") return messageSource(p.text);
  if (p.kind === "stdin") {
    if (!io.rawStdin) throw new PeerkitError("NO_STDIN", "send: stdin is not available here");
    return streamSource(io.rawStdin, p.name);
  }
  const path = await regularFile(p.path, io);
  // The receiver judges the name (and says why it refuses one); --name is checked earlier.
  return await fileSource(path, p.name ?? path.slice(path.lastIndexOf("/") + 1));
}

/**
 * The absolute path of `path` once it is known to be a regular file; a one-line
 * `PeerkitError` otherwise.
 *
 * @example
 * ```ts
 * import { regularFile } from "./_send_run.ts";
 * import { bufferIo } from "./_io.ts";
 * await regularFile("/nonexistent", bufferIo()).catch((e) => console.assert(/cannot read/.test(e.message)));
 * ```
 */
export async function regularFile(path: string, io: Io): Promise<string> {
  const abs = resolvePath(io.cwd, path);
  let st: Deno.FileInfo;
  try {
    st = await Deno.stat(abs);
  } catch (e) {
    throw new PeerkitError("NO_FILE", `send: cannot read ${path}: ${(e as Error).message}`);
  }
  if (!st.isFile) throw new PeerkitError("NO_FILE", `send: ${path} is not a regular file`);
  return abs;
}

/** Validated options of `send`: how to reach the peer, plus whether to punch. */
export interface SendCommandOptions extends PeerOptions {
  /** The peer (always given for `send`). */
  peer: Uint8Array;
  /** Punch for a direct path in the background (`--no-punch`: stay on the relay). */
  punch: boolean;
  /** With --bootstrap: find the peer by key (or Tox ID) through the Tox onion. */
  onion: boolean;
}

/** Path changes as `send:` lines on stderr (with --verbose). */
class SendPathReport extends ConnectReport {
  readonly #say: (line: string) => void;
  constructor(g: GlobalOptions, io: Io) {
    super({ ...g, json: false }, io);
    this.#say = g.verbose && !g.quiet && !g.json ? (l) => io.err(`send: ${l}`) : () => {};
  }
  override line(text: string): void {
    this.#say(text);
  }
}

/** The report when no channel could be opened. */
function unreachable(why: string, peer: string, g: GlobalOptions, io: Io): number {
  const result = io.signal.aborted ? "interrupted" : "unreachable";
  if (g.json) io.out(JSON.stringify({ result, delivered: false, peer, bytes: 0, why }));
  else io.err(`peerkit: send: not delivered (${result}): ${why}`);
  return EXIT.FAILED;
}

/**
 * Runs `send`: reads (and hashes) the payload while the link opens and dials, then sends
 * and reports; returns the exit code.
 *
 * @example
 * ```ts ignore
 * const code = await runSend(opts, { kind: "message", text: "hi" }, g, io);
 * ```
 */
export async function runSend(
  o: SendCommandOptions,
  payload: Payload,
  g: GlobalOptions,
  io: Io,
): Promise<number> {
  const peer = formatPublicKey(o.peer);
  if (payload.kind === "file") await regularFile(payload.path, io); // fail before dialling
  const reading = sourceFor(payload, io);
  reading.catch(() => {}); // awaited below; the link must not outlive a failed read
  const { loadIdentity } = await import("./_identity.ts");
  const { openConnectLink } = await import("./_connect_link.ts");
  const keyPair = await loadIdentity(o.identity, g.home, io);
  const report = new SendPathReport(g, io);
  const opened = await openConnectLink(
    { ...o, keepOpen: false, recvOnly: false },
    keyPair,
    g,
    io,
    report,
  );
  if (typeof opened === "string") {
    await reading.catch(() => {});
    return unreachable(opened, peer, g, io);
  }
  await using link = opened.link;
  let ch: PeerChannel;
  try {
    ch = await link.dial({
      peer: o.peer,
      timeoutMs: o.timeoutMs,
      signal: io.signal,
      ...(opened.addrs ? { addrs: opened.addrs } : {}),
      ...(opened.peerDht ? { peerDht: opened.peerDht } : {}),
    });
  } catch (e) {
    if (!(e instanceof PeerkitError)) throw e;
    await reading.catch(() => {});
    return unreachable(e.message, peer, g, io);
  }
  try {
    if (await ch.peerKind?.(KIND_WAIT_MS) === "tox") {
      await reading.catch(() => {});
      const { sendToTox } = await import("./_send_tox.ts");
      return await sendToTox(ch, payload, g, io);
    }
    const code = await sendOnChannel(ch, await reading, g, io);
    await ch.close(code === EXIT.OK ? "delivered" : "not delivered");
    return code;
  } finally {
    await ch.close();
  }
}
