/**
 * Thin adapters from the transport interfaces to Deno's sockets: UDP through
 * `Deno.listenDatagram` (needs `"unstable": ["net"]`), TCP through `Deno.listen`/`Deno.connect`.
 *
 * @example
 * ```ts
 * import { denoNetwork } from "./deno.ts";
 * const s = await denoNetwork.bindDatagram({ hostname: "127.0.0.1", port: 0 });
 * console.assert(s.localAddr.port > 0);
 * s.close();
 * ```
 * @module
 */
import type { Addr } from "./addr.ts";
import { bindLinuxUdp } from "./udp_linux.ts";
import {
  ClosedError,
  type DatagramSocket,
  type Network,
  type Stream,
  type StreamListener,
} from "./types.ts";

/** `::ffff:a.b.c.d`, an IPv4 peer of a dual-stack `[::]` socket, reported as `a.b.c.d`. */
const unmapped = (h: string) => h.startsWith("::ffff:") && h.includes(".") ? h.slice(7) : h;

function toAddr(a: Deno.Addr): Addr {
  if (a.transport === "tcp" || a.transport === "udp") {
    return { hostname: unmapped(a.hostname), port: a.port };
  }
  throw new TypeError(`unsupported address transport ${a.transport}`);
}

function closedError(e: unknown, what: string): Error {
  if (e instanceof Deno.errors.BadResource || e instanceof Deno.errors.Interrupted) {
    return new ClosedError(what);
  }
  return e instanceof Error ? e : new Error(String(e));
}

class DenoDatagramSocket implements DatagramSocket {
  readonly localAddr: Addr;
  #conn: Deno.DatagramConn;
  #closed = false;
  #buf: Uint8Array | undefined;
  #receiving = false;

  constructor(conn: Deno.DatagramConn) {
    this.#conn = conn;
    this.localAddr = toAddr(conn.addr);
  }

  async send(data: Uint8Array, to: Addr): Promise<void> {
    if (this.#closed) throw new ClosedError("datagram socket");
    try {
      await this.#conn.send(data, { transport: "udp", hostname: to.hostname, port: to.port });
    } catch (e) {
      throw closedError(e, "datagram socket");
    }
  }

  async receive() {
    if (this.#closed) throw new ClosedError("datagram socket");
    // Receiving into one reused buffer and copying out the datagram is several times faster
    // than letting Deno allocate a 64 KiB buffer per datagram; a concurrent second receive
    // falls back to its own buffer.
    const shared = !this.#receiving;
    const buf = shared ? (this.#buf ??= new Uint8Array(65536)) : new Uint8Array(65536);
    if (shared) this.#receiving = true;
    try {
      const [data, from] = await this.#conn.receive(buf);
      return { data: shared ? data.slice() : data, from: toAddr(from) };
    } catch (e) {
      throw closedError(e, "datagram socket");
    } finally {
      if (shared) this.#receiving = false;
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#conn.close();
    } catch { /* already closed */ }
  }

  [Symbol.asyncDispose](): Promise<void> {
    this.close();
    return Promise.resolve();
  }
}

class DenoStream implements Stream {
  readonly localAddr: Addr;
  readonly remoteAddr: Addr;
  #conn: Deno.TcpConn;
  #closed = false;

  constructor(conn: Deno.TcpConn) {
    this.#conn = conn;
    this.localAddr = toAddr(conn.localAddr);
    this.remoteAddr = toAddr(conn.remoteAddr);
    try {
      conn.setNoDelay(true);
    } catch { /* not fatal */ }
  }

  async read(buf: Uint8Array): Promise<number | null> {
    if (this.#closed) return null;
    try {
      return await this.#conn.read(buf);
    } catch (e) {
      if (this.#closed) return null;
      if (e instanceof Deno.errors.ConnectionReset || e instanceof Deno.errors.BadResource) {
        return null;
      }
      throw e;
    }
  }

  async write(data: Uint8Array): Promise<void> {
    let off = 0;
    while (off < data.length) {
      if (this.#closed) throw new ClosedError("stream");
      try {
        off += await this.#conn.write(data.subarray(off));
      } catch (e) {
        throw closedError(e, "stream");
      }
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#conn.close();
    } catch { /* already closed */ }
  }

  [Symbol.asyncDispose](): Promise<void> {
    this.close();
    return Promise.resolve();
  }
}

class DenoListener implements StreamListener {
  readonly addr: Addr;
  #l: Deno.TcpListener;
  #closed = false;

  constructor(l: Deno.TcpListener) {
    this.#l = l;
    this.addr = toAddr(l.addr);
  }

  async accept(): Promise<Stream> {
    if (this.#closed) throw new ClosedError("listener");
    try {
      return new DenoStream(await this.#l.accept());
    } catch (e) {
      throw closedError(e, "listener");
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#l.close();
    } catch { /* already closed */ }
  }

  [Symbol.asyncDispose](): Promise<void> {
    this.close();
    return Promise.resolve();
  }
}

/**
 * The real network through Deno's socket APIs.
 *
 * @example
 * ```ts
 * import { denoNetwork } from "./deno.ts";
 * const l = await denoNetwork.listen({ hostname: "127.0.0.1", port: 0 });
 * l.close();
 * ```
 */
export const denoNetwork: Network = {
  bindDatagram: (addr) =>
    Promise.resolve(
      new DenoDatagramSocket(
        Deno.listenDatagram({ transport: "udp", hostname: addr.hostname, port: addr.port }),
      ),
    ),
  listen: (addr) =>
    Promise.resolve(
      new DenoListener(Deno.listen({ transport: "tcp", hostname: addr.hostname, port: addr.port })),
    ),
  connect: async (addr) =>
    new DenoStream(
      await Deno.connect({ transport: "tcp", hostname: addr.hostname, port: addr.port }),
    ),
};

/**
 * The real network, with UDP through the batched Linux socket ({@link bindLinuxUdp}:
 * `recvmmsg`/`sendmmsg`, one wait per batch) where FFI is permitted, and Deno's socket
 * elsewhere. TCP is Deno's.
 *
 * @example
 * ```ts
 * import { denoBatchNetwork } from "./deno.ts";
 * await using s = await denoBatchNetwork.bindDatagram({ hostname: "127.0.0.1", port: 0 });
 * console.assert(s.localAddr.port > 0);
 * ```
 */
export const denoBatchNetwork: Network = {
  ...denoNetwork,
  bindDatagram: (addr) => {
    try {
      const s = bindLinuxUdp(addr);
      if (s) return Promise.resolve(s);
    } catch (e) {
      return Promise.reject(e);
    }
    return denoNetwork.bindDatagram(addr);
  },
};
