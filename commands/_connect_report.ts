/**
 * What `connect` says on stderr (stdout is the data): path changes as readable lines, or
 * JSON lines with `--json` (`{"event":"path",…}`), and one closing line
 * (`{"event":"end",…}`) with the bytes each way, the duration, the paths used and why.
 *
 * @example
 * ```ts
 * import { bufferIo } from "./_io.ts";
 * import { ConnectReport } from "./_connect_report.ts";
 * const io = bufferIo();
 * const r = new ConnectReport({ json: true, quiet: false, verbose: false, home: "" }, io);
 * r.path({ event: "path", peer: "AB", path: "relay", relay: "127.0.0.1:33445", why: "x", atMs: 5 });
 * console.assert(JSON.parse(io.stderr()).event === "path" && io.stdout() === "");
 * ```
 * @module
 */
import type { GlobalOptions, Io } from "./_io.ts";
import type { ChannelEnd, PathEvent, PathKind } from "../lib/link/channel.ts";

/** The closing line. */
export interface EndEvent {
  /** Always `"end"`. */
  event: "end";
  /** The peer, upper-case hex (null when none was reached). */
  peer: string | null;
  /** Bytes we sent. */
  bytesSent: number;
  /** Bytes we received. */
  bytesReceived: number;
  /** ms from the start of the session (or the command, when none opened). */
  durationMs: number;
  /** Paths used, in order. */
  paths: readonly PathKind[];
  /** How it ended: `clean`, `interrupted`, `refused`, `unreachable`, `timeout`, `lost`, `busy`. */
  outcome: string;
  /** One line on why. */
  why: string;
  /** The exit code this leads to. */
  exitCode: number;
}

/**
 * Prints `connect`'s events on stderr.
 *
 * @example
 * ```ts
 * import { bufferIo } from "./_io.ts";
 * import { ConnectReport } from "./_connect_report.ts";
 * const io = bufferIo();
 * new ConnectReport({ json: false, quiet: false, verbose: false, home: "" }, io).line("hello");
 * console.assert(io.stderr() === "connect: hello\n");
 * ```
 */
export class ConnectReport {
  readonly #g: GlobalOptions;
  readonly #io: Io;

  /** A reporter for these global options. */
  constructor(g: GlobalOptions, io: Io) {
    this.#g = g;
    this.#io = io;
  }

  /** A progress line for people (not with --json or --quiet). */
  line(text: string): void {
    if (!this.#g.json && !this.#g.quiet) this.#io.err(`connect: ${text}`);
  }

  /** A path change. */
  path(e: PathEvent): void {
    if (this.#g.json) return this.#io.err(JSON.stringify(e));
    const where = e.remote ?? e.relay;
    this.line(`${e.peer.slice(0, 8)}… path ${e.path}${where ? ` ${where}` : ""}: ${e.why}`);
  }

  /** The closing line; errors show even with --quiet. */
  end(e: EndEvent): void {
    if (this.#g.json) return this.#io.err(JSON.stringify(e));
    const secs = (e.durationMs / 1000).toFixed(1);
    const text = e.peer === null
      ? e.why
      : `${e.outcome}: ${e.bytesSent} bytes sent, ${e.bytesReceived} received in ${secs} s${
        e.paths.length ? ` over ${e.paths.join(" → ")}` : ""
      }; ${e.why}`;
    if (e.exitCode !== 0 || !this.#g.quiet) this.#io.err(`connect: ${text}`);
  }

  /** The closing line when no session opened; returns exit code 1. */
  failed(outcome: string, why: string, durationMs: number): number {
    this.end({
      event: "end",
      peer: null,
      bytesSent: 0,
      bytesReceived: 0,
      durationMs,
      paths: [],
      outcome,
      why,
      exitCode: 1,
    });
    return 1;
  }
}

/**
 * The outcome, reason and exit code of a channel's end.
 *
 * @example
 * ```ts
 * import { describeEnd } from "./_connect_report.ts";
 * const d = describeEnd({ reason: "refused", message: "busy" }, "AB");
 * console.assert(d.exitCode === 1 && d.why === "refused by AB: busy");
 * ```
 */
export function describeEnd(
  end: ChannelEnd,
  peer: string,
  interrupted = false,
): { outcome: string; why: string; exitCode: number } {
  switch (end.reason) {
    case "local":
      return interrupted
        ? { outcome: "interrupted", why: "closed here (signal)", exitCode: 0 }
        : { outcome: "clean", why: "both streams ended", exitCode: 0 };
    case "peer":
      return {
        outcome: "clean",
        why: `closed by the peer${end.message ? ` (${end.message})` : ""}`,
        exitCode: 0,
      };
    case "refused":
      return { outcome: "refused", why: `refused by ${peer}: ${end.message}`, exitCode: 1 };
    case "timeout":
      return { outcome: "timeout", why: `${peer} went away: nothing heard for 32 s`, exitCode: 1 };
    case "lost":
      return { outcome: "lost", why: `${peer} went away: ${end.message}`, exitCode: 1 };
  }
}
