/**
 * A lean relay peer for the throughput benchmark: the relay handshake, the encrypted framing
 * and the routing request straight over a Deno TCP socket, with no client state machine in
 * between, so the load generator costs exactly one seal per sent frame and one open per
 * received frame. The same code serves the direct-connection limit: there the receiver
 * accepts the sender's handshake itself (the relay-side framing and crypto) and no relay
 * sits between them.
 *
 * @example
 * ```ts ignore
 * import { backend } from "../lib/crypto/mod.ts";
 * import { connectLink } from "./_relay_peer.ts";
 * const link = await connectLink({ hostname: "127.0.0.1", port: 33445 }, relayKey, backend().keyPair());
 * ```
 * @module
 */
import type { KeyPair } from "../lib/crypto/mod.ts";
import { FrameCodec, FrameReader } from "../lib/relay/framing.ts";
import {
  acceptClientHandshake,
  createClientHandshake,
  openServerHandshake,
} from "../lib/relay/handshake.ts";
import {
  CLIENT_HANDSHAKE_SIZE,
  NUM_RESERVED_PORTS,
  PACKET_ID,
  SERVER_HANDSHAKE_SIZE,
} from "../lib/relay/constants.ts";
import { encodePacket } from "../lib/relay/wire.ts";

/** Payload bytes of every data packet the sender sends (one frame of 2019 bytes each). */
export const PAYLOAD = 2000;
/** Frames sealed into one socket write at most. */
export const MAX_BATCH = 32;

/** An established, encrypted link (to a relay, or directly to the other peer). */
export interface Link {
  /** The socket. */
  conn: Deno.TcpConn;
  /** Seals and opens frames of this link. */
  codec: FrameCodec;
  /** Cuts the byte stream into frames. */
  reader: FrameReader;
  /** Bytes that arrived after the handshake and still wait for {@link readPackets}. */
  leftover: Uint8Array;
}

/** How long a handshake may take before the socket is closed. */
export const HANDSHAKE_TIMEOUT_MS = 10_000;

async function readExactly(conn: Deno.TcpConn, n: number): Promise<Uint8Array> {
  const buf = new Uint8Array(n + 65536);
  let got = 0;
  const timer = setTimeout(() => conn.close(), HANDSHAKE_TIMEOUT_MS);
  try {
    while (got < n) {
      const r = await conn.read(buf.subarray(got));
      if (r === null) throw new Error("connection closed during the handshake");
      got += r;
    }
  } finally {
    clearTimeout(timer);
  }
  return buf.subarray(0, got);
}

/** Writes all of `bytes`. */
export async function writeAll(conn: Deno.TcpConn, bytes: Uint8Array): Promise<void> {
  let off = 0;
  while (off < bytes.length) off += await conn.write(bytes.subarray(off));
}

/** Connects and runs the client handshake against `serverKey` (a relay, or the direct peer). */
export async function connectLink(
  addr: Deno.ConnectOptions,
  serverKey: Uint8Array,
  self: KeyPair,
): Promise<Link> {
  const conn = await Deno.connect(addr);
  conn.setNoDelay(true);
  const hs = createClientHandshake(self, serverKey);
  await writeAll(conn, hs.bytes);
  const got = await readExactly(conn, SERVER_HANDSHAKE_SIZE);
  const keys = openServerHandshake(
    hs,
    serverKey,
    self.secretKey,
    got.subarray(0, SERVER_HANDSHAKE_SIZE),
  );
  if (!keys) {
    conn.close();
    throw new Error("server handshake did not open");
  }
  return {
    conn,
    codec: new FrameCodec(keys),
    reader: new FrameReader(),
    leftover: got.slice(SERVER_HANDSHAKE_SIZE),
  };
}

/** Accepts one client handshake on `conn` with our key pair, as a relay would. */
export async function acceptLink(conn: Deno.TcpConn, self: KeyPair): Promise<Link> {
  conn.setNoDelay(true);
  const got = await readExactly(conn, CLIENT_HANDSHAKE_SIZE);
  const acc = acceptClientHandshake(self, got.subarray(0, CLIENT_HANDSHAKE_SIZE));
  if (!acc) {
    conn.close();
    throw new Error("client handshake did not open");
  }
  await writeAll(conn, acc.reply);
  return {
    conn,
    codec: new FrameCodec(acc.session),
    reader: new FrameReader(),
    leftover: got.slice(CLIENT_HANDSHAKE_SIZE),
  };
}

/**
 * Reads frames until the socket closes or `onPacket` returns false, handing each opened
 * packet over (a view, valid during the call). Throws when a frame does not open.
 */
export async function readPackets(
  link: Link,
  onPacket: (p: Uint8Array) => boolean | void,
): Promise<void> {
  const buf = new Uint8Array(256 * 1024);
  let chunk: Uint8Array | null = link.leftover;
  link.leftover = new Uint8Array(0);
  for (;;) {
    if (chunk === null) {
      let n: number | null;
      try {
        n = await link.conn.read(buf);
      } catch {
        return;
      }
      if (n === null) return;
      chunk = buf.subarray(0, n);
    }
    for (const f of link.reader.push(chunk)) {
      const p = link.codec.open(f);
      if (!p) throw new Error("a frame did not open");
      if (onPacket(p) === false) return;
    }
    chunk = null;
  }
}

/** Sends one plaintext packet on the link. */
export function sendPacket(link: Link, packet: Uint8Array): Promise<void> {
  return writeAll(link.conn, link.codec.seal(packet));
}

/**
 * Asks the relay for a route to `peer` and waits (at most `timeoutMs`) until the relay says
 * the peer is online; returns the connection id to send data on.
 */
export async function route(link: Link, peer: Uint8Array, timeoutMs = 10_000): Promise<number> {
  await sendPacket(link, encodePacket({ type: "routingRequest", publicKey: peer }));
  let connId = 0;
  const timer = setTimeout(() => link.conn.close(), timeoutMs);
  try {
    await readPackets(link, (p) => {
      if (p[0] === PACKET_ID.CONNECT_NOTIFICATION) {
        connId = p[1]!;
        return false;
      }
      return true;
    });
  } finally {
    clearTimeout(timer);
  }
  if (connId < NUM_RESERVED_PORTS) throw new Error("the relay never reported the peer online");
  return connId;
}

/** A write still blocked this long after the step's end means the relay stopped reading. */
export const BLOCKED_MS = 1000;

/** Writes `bytes`, or gives up at `deadline` (closing the socket); returns the error, if any. */
async function writeBefore(
  link: Link,
  bytes: Uint8Array,
  deadline: number,
): Promise<string | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(
      () => resolve("write blocked: the relay stopped reading"),
      Math.max(0, deadline - performance.now()),
    );
  });
  const write = writeAll(link.conn, bytes).then(
    () => undefined,
    (e) => e instanceof Error ? e.message : String(e),
  );
  const error = await Promise.race([write, timeout]);
  clearTimeout(timer);
  if (error) {
    try {
      link.conn.close();
    } catch { /* already closed */ }
    await write;
  }
  return error;
}

/** Result of {@link sendLoad}. */
export interface SendResult {
  /** Frames the schedule asked for (paced), or frames sent (greedy). */
  offered: number;
  /** Frames actually written to the socket. */
  sent: number;
  /** Wall time of the sending, ms. */
  ms: number;
  /** Set when the socket failed (e.g. the relay reset it): the step stopped there. */
  error?: string;
}

/**
 * Sends data packets on `connId` for `ms` milliseconds: at `bytesPerSecond` (a schedule
 * that owes `rate * elapsed / PAYLOAD` frames at any time, topped up every millisecond) or,
 * with 0, greedily (as fast as the socket accepts, waiting only on backpressure). Frames
 * owed at once are sealed into one write of at most {@link MAX_BATCH} frames.
 */
export async function sendLoad(
  link: Link,
  connId: number,
  bytesPerSecond: number,
  ms: number,
): Promise<SendResult> {
  const plain = new Uint8Array(1 + PAYLOAD);
  plain[0] = connId;
  const view = new DataView(plain.buffer);
  const frameBytes = 2 + 16 + plain.length;
  const batch = new Uint8Array(MAX_BATCH * frameBytes);
  const perMs = bytesPerSecond / 1000 / PAYLOAD;
  let sent = 0;
  let error: string | undefined;
  const start = performance.now(), end = start + ms;
  for (let now = start; now < end; now = performance.now()) {
    const owed = bytesPerSecond > 0 ? Math.floor(perMs * (now - start)) - sent : MAX_BATCH;
    if (owed <= 0) {
      await new Promise((r) => setTimeout(r, 1));
      continue;
    }
    const n = Math.min(owed, MAX_BATCH);
    for (let i = 0; i < n; i++) {
      view.setUint32(1, sent + i);
      batch.set(link.codec.seal(plain), i * frameBytes);
    }
    error = await writeBefore(link, batch.subarray(0, n * frameBytes), end + BLOCKED_MS);
    if (error) break;
    sent += n;
  }
  const took = performance.now() - start;
  const offered = bytesPerSecond > 0 ? Math.floor(perMs * ms) : sent;
  return error === undefined ? { offered, sent, ms: took } : { offered, sent, ms: took, error };
}
