/**
 * A batched UDP socket for Linux through libc (Deno FFI): datagrams are read with
 * `recvmmsg` and written with `sendmmsg`, up to 64 per system call, from one preallocated
 * buffer. Deno's own `DatagramConn` costs one asynchronous operation per datagram each way,
 * which is most of what a DHT node spends under load; here a whole batch costs one wait
 * (a `poll` on a worker thread, so the event loop keeps turning) and one call each way.
 *
 * Under overload nothing queues in the process: what the node cannot read stays in the
 * kernel's receive buffer (2 MiB asked, as c-toxcore asks), and the kernel drops the excess
 * for free.
 *
 * Sends made while a received batch is being handled go out together when the batch is
 * done (or at the next turn of the event loop, if the receiver waits for one); other sends
 * go out at the end of the current task. A failed send rejects with a
 * {@link UdpSendError} carrying the system's reason ("network unreachable"...).
 *
 * Used when FFI is permitted and the platform is Linux; {@link bindLinuxUdp} returns
 * `undefined` otherwise, and callers fall back to Deno's socket.
 *
 * @example
 * ```ts
 * import { bindLinuxUdp } from "./udp_linux.ts";
 * const s = bindLinuxUdp({ hostname: "127.0.0.1", port: 0 });
 * if (s) {
 *   await s.send(new Uint8Array([1, 2]), s.localAddr);
 *   console.assert((await s.receive()).data[1] === 2);
 *   await s[Symbol.asyncDispose]();
 * }
 * ```
 * @module
 */
import type { Addr } from "./addr.ts";
import { formatIp, parseIp } from "./ip.ts";
import { ffiAllowed } from "../util/ffi.ts";
import { ClosedError, type Datagram, type DatagramSocket } from "./types.ts";

/** Datagrams per system call. */
const BATCH = 64;
/** Receive batches taken per wake-up before yielding to the event loop again. */
const BATCHES_PER_WAKE = 16;
/** Largest datagram received whole (c-toxcore reads at most 2048); longer ones are dropped. */
const MAX_DATAGRAM = 4096;
/** Kernel buffer sizes asked for: 2 MiB, what c-toxcore asks for its UDP socket. */
const SOCKET_BUFFER = 2 * 1024 * 1024;
/** Wake-ups in a row that read nothing, after which the pump waits before polling again. */
const EMPTY_WAKES = 64;
const EMPTY_BACKOFF_MS = 10;
/** A wait for readability returns after this long even when nothing arrived. */
const POLL_TIMEOUT_MS = 1000;

const AF_INET = 2, AF_INET6 = 10, SOCK_DGRAM = 2, SOCK_NONBLOCK = 0o4000, SOCK_CLOEXEC = 0o2000000;
const SOL_SOCKET = 1, SO_SNDBUF = 7, SO_RCVBUF = 8, MSG_DONTWAIT = 0x40, MSG_TRUNC = 0x20;
const IPPROTO_IP = 0, IP_TTL = 2, IPPROTO_IPV6 = 41, IPV6_UNICAST_HOPS = 16;
const POLLIN = 1, EFD_NONBLOCK = 0o4000, EFD_CLOEXEC = 0o2000000;
const EAGAIN = 11, EINTR = 4;
/** struct mmsghdr (x86-64 / aarch64): msghdr (56 bytes) + msg_len, padded. */
const MMSG = 64, IOV = 16, NAME = 32;

/** System reasons for a failed send, by errno (Linux numbering). */
const REASONS: Record<number, string> = {
  1: "operation not permitted",
  13: "permission denied",
  22: "invalid argument",
  90: "message too long",
  97: "address family not supported",
  99: "address not available",
  101: "network unreachable",
  105: "no buffer space",
  111: "connection refused",
  113: "host unreachable",
  [EAGAIN]: "send buffer full",
};

/**
 * A send the system refused; `reason` is short text such as "network unreachable".
 *
 * @example
 * ```ts
 * import { UdpSendError } from "./udp_linux.ts";
 * console.assert(new UdpSendError("network unreachable").message.includes("unreachable"));
 * ```
 */
export class UdpSendError extends Error {
  /** The system's reason. */
  readonly reason: string;
  /** An error for `reason`. */
  constructor(reason: string) {
    super(`send failed: ${reason}`);
    this.name = "UdpSendError";
    this.reason = reason;
  }
}

const SYMBOLS = {
  socket: { parameters: ["i32", "i32", "i32"], result: "i32" },
  bind: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  getsockname: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
  setsockopt: { parameters: ["i32", "i32", "i32", "buffer", "u32"], result: "i32" },
  getsockopt: { parameters: ["i32", "i32", "i32", "buffer", "buffer"], result: "i32" },
  close: { parameters: ["i32"], result: "i32" },
  recvmmsg: { parameters: ["i32", "buffer", "u32", "i32", "pointer"], result: "i32" },
  sendmmsg: { parameters: ["i32", "buffer", "u32", "i32"], result: "i32" },
  poll: { parameters: ["buffer", "u64", "i32"], result: "i32", nonblocking: true },
  eventfd: { parameters: ["u32", "i32"], result: "i32" },
  write: { parameters: ["i32", "buffer", "u64"], result: "i64" },
  __errno_location: { parameters: [], result: "pointer" },
} as const;

type Libc = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];
let libc: Libc | null | undefined;

function loadLibc(): Libc | null {
  if (libc !== undefined) return libc;
  libc = null;
  try {
    if (Deno.build.os !== "linux" || !["x86_64", "aarch64"].includes(Deno.build.arch)) return null;
    if (!ffiAllowed()) return null;
    libc = Deno.dlopen("libc.so.6", SYMBOLS).symbols;
  } catch {
    libc = null;
  }
  return libc;
}

function errno(c: Libc): number {
  const p = c.__errno_location();
  return p ? new Deno.UnsafePointerView(p).getInt32() : 0;
}

function address(buf: Uint8Array): bigint {
  return BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(buf)));
}

/**
 * Writes `addr` as a sockaddr into `out` (32 bytes); its length, or 0 when not an IP. On an
 * IPv6 socket (`v6`) an IPv4 address is written IPv4-mapped (`::ffff:a.b.c.d`), as a
 * dual-stack socket needs.
 */
function encodeSockaddr(addr: Addr, out: DataView, off: number, v6 = false): number {
  let ip = parseIp(addr.hostname);
  if (!ip || !Number.isInteger(addr.port) || addr.port < 0 || addr.port > 65535) return 0;
  if (v6 && ip.length === 4) ip = new Uint8Array([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255, 255, ...ip]);
  for (let i = 0; i < NAME; i++) out.setUint8(off + i, 0);
  out.setUint16(off + 2, addr.port, false);
  if (ip.length === 4) {
    out.setUint16(off, AF_INET, true);
    for (let i = 0; i < 4; i++) out.setUint8(off + 4 + i, ip[i]!);
    return 16;
  }
  out.setUint16(off, AF_INET6, true);
  for (let i = 0; i < 16; i++) out.setUint8(off + 8 + i, ip[i]!);
  return 28;
}

/** One preallocated batch of mmsghdr, iovec, address and data slots. */
class Batch {
  readonly mem: Uint8Array;
  readonly view: DataView;
  readonly nameOff = BATCH * (MMSG + IOV);
  readonly dataOff = BATCH * (MMSG + IOV + NAME);
  readonly base: bigint;
  constructor() {
    this.mem = new Uint8Array(this.dataOff + BATCH * MAX_DATAGRAM);
    this.view = new DataView(this.mem.buffer);
    this.base = address(this.mem);
    for (let i = 0; i < BATCH; i++) {
      const h = i * MMSG, iov = BATCH * MMSG + i * IOV;
      this.view.setBigUint64(h, this.base + BigInt(this.nameOff + i * NAME), true);
      this.view.setBigUint64(h + 16, this.base + BigInt(iov), true);
      this.view.setBigUint64(h + 24, 1n, true);
      this.view.setBigUint64(iov, this.base + BigInt(this.dataOff + i * MAX_DATAGRAM), true);
      this.view.setBigUint64(iov + 8, BigInt(MAX_DATAGRAM), true);
    }
  }
  /** Sets slot `i` to send `length` bytes to the address of `nameLength` bytes. */
  prepare(i: number, nameLength: number, length: number): void {
    this.view.setUint32(i * MMSG + 8, nameLength, true);
    this.view.setBigUint64(BATCH * MMSG + i * IOV + 8, BigInt(length), true);
  }
}

interface Outgoing {
  data: Uint8Array;
  to: Addr;
  resolve: () => void;
  reject: (e: Error) => void;
}

/**
 * A socket that can send one datagram with a chosen IP TTL (IPv6: hop limit): the batched
 * Linux socket. Deno's own UDP socket cannot; see {@link canSetTtl}.
 *
 * @example
 * ```ts
 * import { bindLinuxUdp, canSetTtl } from "./udp_linux.ts";
 * const s = bindLinuxUdp({ hostname: "127.0.0.1", port: 0 });
 * if (s && canSetTtl(s)) {
 *   await s.sendWithTtl(new Uint8Array([1]), s.localAddr, 1);
 *   console.assert(s.ttl() > 1, "the default is back after the send");
 * }
 * s?.close();
 * ```
 */
export interface TtlSocket extends DatagramSocket {
  /**
   * Sends `data` to `to` at once with TTL `ttl` (1-255): what was queued before goes first
   * with the default TTL, and the default is restored right after. RangeError for a TTL
   * out of range; UdpSendError when the system refuses the TTL or the send.
   */
  sendWithTtl(data: Uint8Array, to: Addr, ttl: number): Promise<void>;
  /** The TTL (IPv6: unicast hop limit) the kernel gives this socket's datagrams now. */
  ttl(): number;
}

/**
 * True when `s` can send with a chosen TTL (the batched Linux socket; not Deno's socket,
 * not the in-memory one, not with `PEERKIT_NO_FFI=1`).
 *
 * @example
 * ```ts
 * import { canSetTtl } from "./udp_linux.ts";
 * import { MemoryNetwork } from "./memory.ts";
 * const s = await new MemoryNetwork().bindDatagram({ hostname: "10.0.0.1", port: 1 });
 * console.assert(!canSetTtl(s));
 * ```
 */
export function canSetTtl(s: DatagramSocket): s is TtlSocket {
  return typeof (s as Partial<TtlSocket>).sendWithTtl === "function";
}

class LinuxUdpSocket implements TtlSocket {
  readonly localAddr: Addr;
  readonly #c: Libc;
  readonly #fd: number;
  readonly #v6: boolean;
  readonly #wake: number;
  readonly #rx = new Batch();
  readonly #tx = new Batch();
  /** Two pollfds (16 bytes), in a buffer large enough to live off the V8 heap (it never moves). */
  readonly #pollfds = new Uint8Array(128);
  #queue: Datagram[] = [];
  #head = 0;
  #waiters: { resolve: (d: Datagram) => void; reject: (e: Error) => void }[] = [];
  #out: Outgoing[] = [];
  #flushQueued = false;
  #flushTimer: ReturnType<typeof setTimeout> | undefined;
  #pump: Promise<void> | undefined;
  #pumping = false;
  #closed = false;
  #fromCache = new Map<number, Addr>();
  /** Encoded sockaddrs by address object (replies go to the object a datagram came from). */
  #toCache = new WeakMap<Addr, Uint8Array>();

  constructor(c: Libc, fd: number, wake: number, localAddr: Addr, v6: boolean) {
    this.#v6 = v6;
    this.#c = c;
    this.#fd = fd;
    this.#wake = wake;
    this.localAddr = localAddr;
    const pv = new DataView(this.#pollfds.buffer);
    pv.setInt32(0, fd, true);
    pv.setInt16(4, POLLIN, true);
    pv.setInt32(8, wake, true);
    pv.setInt16(12, POLLIN, true);
    // The poll buffer is read on a worker thread: take its address now, while nothing runs.
    address(this.#pollfds);
  }

  send(data: Uint8Array, to: Addr): Promise<void> {
    if (this.#closed) return Promise.reject(new ClosedError("datagram socket"));
    if (data.length > MAX_DATAGRAM) return Promise.reject(new UdpSendError("message too long"));
    return new Promise<void>((resolve, reject) => {
      this.#out.push({ data, to, resolve, reject });
      if (this.#out.length >= BATCH) this.#flush();
      else if (!this.#flushQueued) {
        this.#flushQueued = true;
        // While a received batch is being handled its replies wait for the batch's end, or
        // for the next turn of the event loop if the receiver waits for this send first.
        if (this.#head >= this.#queue.length) queueMicrotask(() => this.#flush());
        else {
          this.#flushTimer ??= setTimeout(() => {
            this.#flushTimer = undefined;
            this.#flush();
          }, 0);
        }
      }
    });
  }

  sendWithTtl(data: Uint8Array, to: Addr, ttl: number): Promise<void> {
    if (!(Number.isInteger(ttl) && ttl >= 1 && ttl <= 255)) {
      return Promise.reject(new RangeError(`ttl must be 1..255, got ${ttl}`));
    }
    if (this.#closed) return Promise.reject(new ClosedError("datagram socket"));
    this.#flush();
    if (!this.#setTtl(ttl)) {
      this.#setTtl(-1);
      return Promise.reject(new UdpSendError(`cannot set TTL: ${REASONS[errno(this.#c)] ?? "?"}`));
    }
    const sent = this.send(data, to);
    this.#flush();
    this.#setTtl(-1);
    return sent;
  }

  ttl(): number {
    const v = new Int32Array(1), len = new Uint32Array([4]);
    const [level, opt] = this.#v6 ? [IPPROTO_IPV6, IPV6_UNICAST_HOPS] : [IPPROTO_IP, IP_TTL];
    return this.#c.getsockopt(this.#fd, level, opt, v, len) === 0 ? v[0]! : -1;
  }

  /** Sets the TTL (-1: the route's default); an IPv6 socket also sets it for IPv4-mapped. */
  #setTtl(ttl: number): boolean {
    const v = new Int32Array([ttl]);
    if (!this.#v6) return this.#c.setsockopt(this.#fd, IPPROTO_IP, IP_TTL, v, 4) === 0;
    this.#c.setsockopt(this.#fd, IPPROTO_IP, IP_TTL, v, 4);
    return this.#c.setsockopt(this.#fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, v, 4) === 0;
  }

  receive(): Promise<Datagram> {
    if (this.#head < this.#queue.length) {
      const d = this.#queue[this.#head]!;
      this.#queue[this.#head++] = undefined as unknown as Datagram;
      return Promise.resolve(d);
    }
    if (this.#closed) return Promise.reject(new ClosedError("datagram socket"));
    // The batch is handled: its replies go out now, together.
    if (this.#out.length > 0) this.#flush();
    return new Promise<Datagram>((resolve, reject) => {
      this.#waiters.push({ resolve, reject });
      if (!this.#pumping) {
        this.#pumping = true;
        this.#pump = this.#run();
      }
    });
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#flush();
    for (const w of this.#waiters.splice(0)) w.reject(new ClosedError("datagram socket"));
    this.#queue = [];
    this.#head = 0;
    if (this.#pump) {
      // Wake the worker thread's poll; the descriptors close once it has returned.
      this.#c.write(this.#wake, new BigUint64Array([1n]), 8n);
      this.#pump.then(() => this.#release());
    } else this.#release();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
    await this.#pump;
  }

  #release(): void {
    this.#c.close(this.#fd);
    this.#c.close(this.#wake);
  }

  /** Waits for datagrams and hands them to waiting receivers, until none waits. */
  async #run(): Promise<void> {
    let empty = 0;
    for (;;) {
      // Cleared in the same turn as the check for waiters, so that a receiver coming later
      // always finds no pump running and starts one.
      if (this.#closed || this.#waiters.length === 0) {
        this.#pumping = false;
        return;
      }
      const ready = await this.#c.poll(this.#pollfds, 2n, POLL_TIMEOUT_MS);
      if (this.#closed) return;
      if (ready <= 0) continue;
      this.#queue = [];
      this.#head = 0;
      let got = 0;
      for (let i = 0; i < BATCHES_PER_WAKE; i++) {
        const n = this.#readBatch();
        got += n;
        if (n < BATCH) break;
      }
      // Ready but nothing to read (an error state of the socket): do not spin on poll.
      empty = got > 0 ? 0 : empty + 1;
      if (empty > EMPTY_WAKES) await new Promise((r) => setTimeout(r, EMPTY_BACKOFF_MS));
      while (this.#waiters.length > 0 && this.#head < this.#queue.length) {
        const d = this.#queue[this.#head]!;
        this.#queue[this.#head++] = undefined as unknown as Datagram;
        this.#waiters.shift()!.resolve(d);
      }
    }
  }

  /** One recvmmsg into the queue; the number of datagrams the call returned. */
  #readBatch(): number {
    const b = this.#rx, v = b.view;
    for (let i = 0; i < BATCH; i++) {
      v.setUint32(i * MMSG + 8, NAME, true);
      v.setInt32(i * MMSG + 48, 0, true);
    }
    const n = this.#c.recvmmsg(this.#fd, b.mem, BATCH, MSG_DONTWAIT, null);
    if (n <= 0) return 0;
    for (let i = 0; i < n; i++) {
      if (v.getInt32(i * MMSG + 48, true) & MSG_TRUNC) continue;
      const len = v.getUint32(i * MMSG + 56, true);
      const from = this.#from(b.nameOff + i * NAME);
      if (!from) continue;
      const off = b.dataOff + i * MAX_DATAGRAM;
      this.#queue.push({ data: b.mem.slice(off, off + len), from });
    }
    return n;
  }

  #from(off: number): Addr | undefined {
    const v = this.#rx.view;
    const family = v.getUint16(off, true), port = v.getUint16(off + 2, false);
    if (family === AF_INET) {
      const ip = v.getUint32(off + 4, false);
      const key = ip * 65536 + port;
      let a = this.#fromCache.get(key);
      if (!a) {
        if (this.#fromCache.size >= 4096) this.#fromCache.clear();
        a = { hostname: `${ip >>> 24}.${(ip >>> 16) & 255}.${(ip >>> 8) & 255}.${ip & 255}`, port };
        this.#fromCache.set(key, a);
      }
      return a;
    }
    if (family === AF_INET6) {
      return { hostname: formatIp(this.#rx.mem.slice(off + 8, off + 24)), port };
    }
    return undefined;
  }

  /** Writes `to` as a sockaddr at `off`, from a cache of encoded addresses. */
  #sockaddr(to: Addr, b: Batch, off: number): number {
    let enc = this.#toCache.get(to);
    if (!enc) {
      const tmp = new Uint8Array(NAME);
      const n = encodeSockaddr(to, new DataView(tmp.buffer), 0, this.#v6);
      if (n === 0) return 0;
      enc = tmp.subarray(0, n);
      this.#toCache.set(to, enc);
    }
    b.mem.set(enc, off);
    return enc.length;
  }

  /** Sends every queued datagram, `BATCH` per sendmmsg. */
  #flush(): void {
    this.#flushQueued = false;
    if (this.#flushTimer !== undefined) {
      clearTimeout(this.#flushTimer);
      this.#flushTimer = undefined;
    }
    while (this.#out.length > 0) {
      const items = this.#out.splice(0, BATCH);
      const b = this.#tx;
      const slots: Outgoing[] = [];
      for (const item of items) {
        const i = slots.length;
        const nameLength = this.#sockaddr(item.to, b, b.nameOff + i * NAME);
        if (nameLength === 0) {
          item.reject(new UdpSendError("invalid address"));
          continue;
        }
        b.mem.set(item.data, b.dataOff + i * MAX_DATAGRAM);
        b.prepare(i, nameLength, item.data.length);
        slots.push(item);
      }
      let start = 0;
      for (let tries = 0; start < slots.length && tries <= BATCH * 2; tries++) {
        const n = this.#c.sendmmsg(this.#fd, b.mem.subarray(start * MMSG), slots.length - start, 0);
        if (n > 0) {
          for (let i = start; i < start + n; i++) slots[i]!.resolve();
          start += n;
          continue;
        }
        const e = errno(this.#c);
        if (e === EINTR) continue;
        slots[start]!.reject(new UdpSendError(REASONS[e] ?? `error ${e}`));
        start++;
      }
      for (let i = start; i < slots.length; i++) slots[i]!.reject(new UdpSendError("not sent"));
    }
  }
}

/**
 * Binds a batched UDP socket on `addr` (an IP literal; port 0 picks one), or returns
 * `undefined` when FFI is not permitted, the platform is not Linux or the host is a name.
 * Throws like Deno does when the address is taken or not local.
 *
 * @example
 * ```ts
 * import { bindLinuxUdp } from "./udp_linux.ts";
 * const s = bindLinuxUdp({ hostname: "127.0.0.1", port: 0 });
 * console.assert(s === undefined || s.localAddr.port > 0);
 * s?.close();
 * ```
 */
export function bindLinuxUdp(addr: Addr): DatagramSocket | undefined {
  const c = loadLibc();
  if (!c || !parseIp(addr.hostname)) return undefined;
  const name = new Uint8Array(NAME);
  const view = new DataView(name.buffer);
  const nameLength = encodeSockaddr(addr, view, 0);
  if (nameLength === 0) return undefined;
  const family = nameLength === 16 ? AF_INET : AF_INET6;
  const fd = c.socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return undefined;
  const size = new Int32Array([SOCKET_BUFFER]);
  c.setsockopt(fd, SOL_SOCKET, SO_RCVBUF, size, 4);
  c.setsockopt(fd, SOL_SOCKET, SO_SNDBUF, size, 4);
  if (c.bind(fd, name, nameLength) !== 0) {
    const e = errno(c);
    c.close(fd);
    if (e === 98) throw new Deno.errors.AddrInUse(`address in use: ${addr.hostname}:${addr.port}`);
    if (e === 99) {
      throw new Deno.errors.AddrNotAvailable(`address not available: ${addr.hostname}`);
    }
    throw new Error(`bind ${addr.hostname}:${addr.port} failed: ${REASONS[e] ?? `error ${e}`}`);
  }
  const len = new Uint32Array([NAME]);
  c.getsockname(fd, name, len);
  const wake = c.eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake < 0) {
    c.close(fd);
    return undefined;
  }
  const local = { hostname: addr.hostname, port: view.getUint16(2, false) };
  return new LinuxUdpSocket(c, fd, wake, local, family === AF_INET6);
}
