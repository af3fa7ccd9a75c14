/**
 * The receiving end of `peerkit send`, run by `connect --listen` for every channel whose
 * messages carry transfer packet ids (168-175): messages to stdout, files saved under
 * `--save-dir`. `connect` routes each such message to {@link TransferReceiver.handle}, in
 * order, from the first one on.
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
 * Starts the receiving end of a transfer on `ch`. (The transfer protocol lands with
 * `lib/transfer`; until then every transfer is refused with a bye saying so.)
 *
 * @example
 * ```ts ignore
 * const r = createTransferReceiver(channel, { saveDir: "/tmp/in", g, io });
 * ```
 */
export function createTransferReceiver(ch: PeerChannel, _o: ReceiveOptions): TransferReceiver {
  const done = ch.close("transfers are not built yet").then((): ReceiveOutcome => ({
    kind: "refused",
    bytes: 0,
    why: "transfers are not built yet",
  }));
  return { handle: () => {}, done };
}
