/**
 * Datagram helpers for the lab's probe programs: JSON messages, address text, and an inbox
 * that reads one socket in the background so callers can wait with a deadline.
 *
 * @example
 * ```ts
 * import { decodeMsg, parseAddr, showAddr } from "./probe_io.ts";
 * const a = parseAddr("203.0.113.10:3478");
 * console.assert(showAddr(a) === "203.0.113.10:3478");
 * console.assert(decodeMsg(new TextEncoder().encode("{bad")) === null);
 * ```
 * @module
 */

/** A probe message: a JSON object with a type tag `t`. */
export type Msg = { t: string; [k: string]: unknown };

/**
 * The most messages an inbox reads before it stops (a bound, far above any test's need).
 *
 * @example
 * ```ts
 * import { INBOX_MAX } from "./probe_io.ts";
 * console.assert(INBOX_MAX > 0);
 * ```
 */
export const INBOX_MAX = 1_000_000;

/**
 * Parses a datagram as a {@link Msg}; `null` for anything else (never throws).
 *
 * @example
 * ```ts
 * import { decodeMsg } from "./probe_io.ts";
 * console.assert(decodeMsg(new TextEncoder().encode('{"t":"map"}'))?.t === "map");
 * ```
 */
export function decodeMsg(bytes: Uint8Array): Msg | null {
  if (bytes.length > 4096) return null;
  try {
    const v = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
    return v && typeof v === "object" && !Array.isArray(v) && typeof v.t === "string"
      ? v as Msg
      : null;
  } catch {
    return null;
  }
}

/**
 * `ip:port` of a UDP address.
 *
 * @example
 * ```ts
 * import { showAddr } from "./probe_io.ts";
 * console.assert(showAddr({ transport: "udp", hostname: "10.0.1.2", port: 9 }) === "10.0.1.2:9");
 * ```
 */
export function showAddr(a: Deno.Addr): string {
  return "hostname" in a ? `${a.hostname}:${a.port}` : String(a.transport);
}

/**
 * The UDP address of `ip:port` text; throws `TypeError` on anything else.
 *
 * @example
 * ```ts
 * import { parseAddr } from "./probe_io.ts";
 * console.assert(parseAddr("10.0.2.2:40001").port === 40001);
 * ```
 */
export function parseAddr(s: string): Deno.NetAddr {
  const m = /^(\d{1,3}(?:\.\d{1,3}){3}):(\d{1,5})$/.exec(s);
  const port = Number(m?.[2]);
  if (!m || port < 1 || port > 65535) throw new TypeError(`bad address: ${s}`);
  return { transport: "udp", hostname: m[1]!, port };
}

/**
 * Sends `msg` as JSON to `to`; a send error (e.g. ICMP unreachable seen late) is ignored, as
 * a lost datagram would be.
 *
 * @example
 * ```ts ignore
 * import { send } from "./probe_io.ts";
 * await send(sock, { transport: "udp", hostname: "203.0.113.10", port: 3478 }, { t: "map" });
 * ```
 */
export async function send(sock: Deno.DatagramConn, to: Deno.Addr, msg: Msg): Promise<void> {
  try {
    await sock.send(new TextEncoder().encode(JSON.stringify(msg)), to);
  } catch { /* like a lost datagram */ }
}

/** A received message and its sender. */
export interface Received {
  /** The message. */
  msg: Msg;
  /** Who sent it. */
  from: Deno.NetAddr;
}

/**
 * Reads a socket in the background; {@link Inbox.next} waits for the next message with a
 * deadline. Datagrams that are not messages are counted in `dropped`.
 *
 * @example
 * ```ts ignore
 * import { Inbox } from "./probe_io.ts";
 * const inbox = new Inbox(sock);
 * const got = await inbox.next(Date.now() + 500); // null on timeout
 * inbox.close();
 * ```
 */
export class Inbox {
  /** Datagrams that did not parse. */
  dropped = 0;
  #queue: Received[] = [];
  #wake: (() => void) | null = null;
  #closed = false;
  #sock: Deno.DatagramConn;

  constructor(sock: Deno.DatagramConn) {
    this.#sock = sock;
    this.#loop();
  }

  async #loop(): Promise<void> {
    for (let n = 0; n < INBOX_MAX && !this.#closed; n++) {
      let got: [Uint8Array, Deno.Addr];
      try {
        got = await this.#sock.receive();
      } catch {
        break;
      }
      const msg = decodeMsg(got[0]);
      if (msg && "hostname" in got[1]) this.#queue.push({ msg, from: got[1] as Deno.NetAddr });
      else this.dropped++;
      this.#wake?.();
    }
    this.#closed = true;
    this.#wake?.();
  }

  /** The next message, or `null` once `deadline` (epoch ms) passes or the socket closes. */
  async next(deadline: number): Promise<Received | null> {
    for (;;) {
      const m = this.#queue.shift();
      if (m) return m;
      const left = deadline - Date.now();
      if (left <= 0 || this.#closed) return null;
      let t: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((res) => {
        this.#wake = res;
        t = setTimeout(res, left);
      });
      clearTimeout(t);
      this.#wake = null;
    }
  }

  /** Closes the socket. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#sock.close();
    } catch { /* closed */ }
  }
}
