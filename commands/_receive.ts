/**
 * The receiving end of `peerkit send`, run by `connect --listen` for every channel whose
 * messages carry transfer packet ids (168-175): messages to stdout, files saved under
 * `--save-dir`. `connect` routes each such message to {@link TransferReceiver.handle}, in
 * order, from the first one on.
 *
 * A message is printed on stdout with `io.out`: its text followed by one newline (a message
 * holding newlines spans several lines). Files go to the save directory (see
 * `lib/transfer/store.ts`). Human lines go on stderr (`peerkit: received …`), or with
 * `--json` one JSON line per event on stderr: `{"event":"receiving",…}` at the first byte
 * (with `at`, ms since the epoch), then `{"event":"received",…}`, `{"event":"refused",…}`
 * or `{"event":"failed",…}`. With `--verbose` the first byte is also a human line
 * (`peerkit: receiving NAME from KEY… at offset N`).
 *
 * @example
 * ```ts
 * import { createTransferReceiver } from "./_receive.ts";
 * console.assert(typeof createTransferReceiver === "function");
 * ```
 * @module
 */
import type { GlobalOptions, Io } from "./_io.ts";
import type { PeerChannel } from "../lib/link/channel.ts";
import { type ReceiveResult, receiveTransfer } from "../lib/transfer/receive_driver.ts";
import { formatBytes } from "../lib/transfer/progress.ts";

/** Options of the receiving end. */
export interface ReceiveOptions {
  /** Where files are saved (absolute); absent: files are refused, messages still print. */
  saveDir?: string;
  /** Global options (`--json`, `--quiet`). */
  g: GlobalOptions;
  /** The process's streams. */
  io: Io;
}

/** What one incoming transfer came to. */
export interface ReceiveOutcome {
  /** `message`, `file`, or `refused` (nothing stored). */
  kind: "message" | "file" | "refused";
  /** Where a file was stored. */
  path?: string;
  /** Bytes received in this run. */
  bytes: number;
  /** Why it was refused or failed. */
  why?: string;
}

/** One incoming transfer on a channel. */
export interface TransferReceiver {
  /** Takes the next transfer message (ids 168-175) from the channel, in order. */
  handle(msg: Uint8Array): void;
  /** Resolves when the transfer is over (stored, refused or broken off). */
  readonly done: Promise<ReceiveOutcome>;
}

/**
 * The stderr line (human) or JSON line (`--json`) for one finished transfer, or `null` when
 * there is nothing to say (a message printed, or `--quiet`).
 *
 * @example
 * ```ts
 * import { describeReceived } from "./_receive.ts";
 * const g = { json: false, quiet: false, verbose: false, home: "" };
 * const l = describeReceived(g, "AB".repeat(32), { kind: "file", ok: true, name: "a", path: "/in/a", bytes: 2048, resumedFrom: 0, timeMs: 5, sha256: "00" });
 * console.assert(l === "peerkit: received a (2.0 KiB) from ABABABAB…: saved as /in/a");
 * ```
 */
export function describeReceived(g: GlobalOptions, peer: string, r: ReceiveResult): string | null {
  if (g.json) {
    const event = r.ok ? "received" : r.kind === "refused" ? "refused" : "failed";
    return JSON.stringify({ event, peer, ...r });
  }
  if (g.quiet || (r.ok && r.kind === "message" && !g.verbose)) return null;
  const from = `from ${peer.slice(0, 8)}…`;
  if (r.ok && r.kind === "message") return `peerkit: message (${r.bytes} bytes) ${from}`;
  const resumed = r.resumedFrom > 0 ? `, resumed after ${formatBytes(r.resumedFrom)}` : "";
  if (r.ok) {
    return `peerkit: received ${r.name} (${
      formatBytes(r.bytes + r.resumedFrom)
    }${resumed}) ${from}: saved as ${r.path}`;
  }
  const what = r.name ? ` ${r.name}` : r.kind === "message" ? " a message" : "";
  return r.kind === "refused"
    ? `peerkit: refused${what} ${from}: ${r.why?.replace(/^refused: /, "")}`
    : `peerkit: not received${what} ${from}: ${r.why}`;
}

/**
 * Starts the receiving end of a transfer on `ch`.
 *
 * @example
 * ```ts ignore
 * const r = createTransferReceiver(channel, { saveDir: "/tmp/in", g, io });
 * ```
 */
export function createTransferReceiver(ch: PeerChannel, o: ReceiveOptions): TransferReceiver {
  const { g, io } = o;
  const r = receiveTransfer({
    peer: ch.peer,
    send: (m) => ch.send(m),
    ...(o.saveDir !== undefined ? { saveDir: o.saveDir } : {}),
    onText: (text) => io.out(text),
    onFirstData: ({ name, offset }) => {
      if (g.json) {
        io.err(JSON.stringify({ event: "receiving", peer: ch.peer, name, offset, at: Date.now() }));
      } else if (g.verbose && !g.quiet) {
        const what = name === "" ? "a message" : name;
        io.err(`peerkit: receiving ${what} from ${ch.peer.slice(0, 8)}… at offset ${offset}`);
      }
    },
    ended: ch.ended,
  });
  const done = r.done.then((res): ReceiveOutcome => {
    const line = describeReceived(g, ch.peer, res);
    if (line !== null) io.err(line);
    return {
      kind: res.kind,
      bytes: res.bytes,
      ...(res.path !== undefined ? { path: res.path } : {}),
      ...(res.why !== undefined ? { why: res.why } : {}),
    };
  });
  return { handle: (m) => r.handle(m), done };
}
