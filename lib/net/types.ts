/**
 * The transport seam: every driver talks to the network through these interfaces, so the
 * same code runs on Deno sockets and on the in-memory network.
 *
 * @example
 * ```ts
 * import type { DatagramSocket } from "./types.ts";
 * async function echoOnce(s: DatagramSocket) {
 *   const d = await s.receive();
 *   await s.send(d.data, d.from);
 * }
 * ```
 * @module
 */
import type { Addr } from "./addr.ts";

/** One received datagram. */
export interface Datagram {
  /** Payload bytes. */
  data: Uint8Array;
  /** Sender address. */
  from: Addr;
}

/** A bound UDP-like socket. */
export interface DatagramSocket extends AsyncDisposable {
  /** The bound address (port resolved when 0 was asked). */
  readonly localAddr: Addr;
  /** Sends one datagram; best effort, like UDP. */
  send(data: Uint8Array, to: Addr): Promise<void>;
  /** Next datagram; rejects with {@link ClosedError} once closed. */
  receive(): Promise<Datagram>;
  /** Closes the socket; pending `receive` calls reject. Idempotent. */
  close(): void;
}

/** A connected, reliable, ordered byte stream (TCP-like). */
export interface Stream extends AsyncDisposable {
  /** Local end. */
  readonly localAddr: Addr;
  /** Remote end. */
  readonly remoteAddr: Addr;
  /** Reads into `buf`; resolves with the byte count or `null` at end of stream. */
  read(buf: Uint8Array): Promise<number | null>;
  /** Writes all of `data`. Rejects once the stream is closed. */
  write(data: Uint8Array): Promise<void>;
  /** Closes both directions. Idempotent. */
  close(): void;
}

/** A listening stream socket. */
export interface StreamListener extends AsyncDisposable {
  /** The bound address. */
  readonly addr: Addr;
  /** Next incoming stream; rejects with {@link ClosedError} once closed. */
  accept(): Promise<Stream>;
  /** Stops listening. Idempotent. */
  close(): void;
}

/** Everything a driver needs from a network. */
export interface Network {
  /** Binds a datagram socket (`port: 0` picks a free one). */
  bindDatagram(addr: Addr): Promise<DatagramSocket>;
  /** Listens for streams (`port: 0` picks a free one). */
  listen(addr: Addr): Promise<StreamListener>;
  /** Opens a stream to `addr`; rejects when nobody listens there. */
  connect(addr: Addr): Promise<Stream>;
}

/**
 * Raised by `receive`/`accept` after `close`, and by `write` on a closed stream.
 *
 * @example
 * ```ts
 * import { ClosedError } from "./types.ts";
 * console.assert(new ClosedError().name === "ClosedError");
 * ```
 */
export class ClosedError extends Error {
  /** An error saying that `what` is closed. */
  constructor(what = "socket") {
    super(`${what} is closed`);
    this.name = "ClosedError";
  }
}
