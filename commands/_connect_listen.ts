/**
 * The listening side of `connect`: accept sessions from allowed peers and sort each
 * channel by its first message. `[160]`/`[161]` opens the byte stream (stdin and stdout,
 * one peer at a time); a transfer id (168-175) goes to `send`'s receiving end
 * ({@link createTransferReceiver}), every transfer message in order from the first.
 * Transfers run concurrently with each other, not with a stream: the one that would
 * overlap is told `[162] busy`. A Tox client's text messages `[64]` and actions `[65]` are
 * printed on stdout, one line each ({@link toxLine}). Without `--keep-open` the command ends with the first
 * accepted channel; with it, on Ctrl-C or SIGTERM.
 *
 * @example
 * ```ts ignore
 * import { connectListen } from "./_connect_listen.ts";
 * const code = await connectListen(opts, keyPair, g, io);
 * ```
 * @module
 */
import type { KeyPair } from "../lib/crypto/backend.ts";
import { formatPublicKey } from "../lib/identity/pubkey.ts";
import { MESSENGER, PACKET, type PeerChannel, reasonMessage } from "../lib/link/channel.ts";
import { ConnectReport, describeEnd } from "./_connect_report.ts";
import { openConnectLink, stdoutWriter } from "./_connect_link.ts";
import type { GlobalOptions, Io } from "./_io.ts";
import { createTransferReceiver } from "./_receive.ts";
import { ByteSource, runStream } from "./_stream.ts";
import type { ConnectCommandOptions } from "./connect.ts";

const isTransfer = (id: number) => id >= PACKET.TRANSFER_FIRST && id <= PACKET.TRANSFER_LAST;
const isToxText = (id: number) => id === MESSENGER.MESSAGE || id === MESSENGER.ACTION;

/**
 * The stdout line for a Tox client's message `[64][text]` or action `[65][text]` (shown as
 * `* text`): line breaks inside become spaces, so each message is one line.
 *
 * @example
 * ```ts
 * import { toxLine } from "./_connect_listen.ts";
 * console.assert(toxLine(new Uint8Array([65, 104, 10, 105])) === "* h i\n");
 * ```
 */
export function toxLine(m: Uint8Array): string {
  const text = new TextDecoder().decode(m.subarray(1)).replace(/\r\n|[\r\n]/g, " ");
  return `${m[0] === MESSENGER.ACTION ? "* " : ""}${text}`;
}

/**
 * Listens and serves channels until done; returns the exit code.
 *
 * @example
 * ```ts ignore
 * const code = await connectListen(opts, keyPair, g, io);
 * ```
 */
export async function connectListen(
  o: ConnectCommandOptions,
  keyPair: KeyPair,
  g: GlobalOptions,
  io: Io,
): Promise<number> {
  const report = new ConnectReport(g, io);
  const opened = await openConnectLink(o, keyPair, g, io, report);
  if (typeof opened === "string") return report.failed("unreachable", opened, 0);
  await using link = opened.link;
  await using _onion = opened.onion;
  const input = o.recvOnly || !io.rawStdin ? undefined : new ByteSource(io.rawStdin);
  const write = stdoutWriter(io);
  let stream: PeerChannel | null = null;
  const transfers = new Set<PeerChannel>();
  let finish!: (code: number) => void;
  const finished = new Promise<number>((r) => finish = r);
  let first = true;
  let serving: Promise<void> = Promise.resolve();
  const done = (code: number) => {
    if (!o.keepOpen) finish(code);
  };

  const refuse = (ch: PeerChannel, why: string) => {
    report.line(`${ch.peer.slice(0, 8)}… refused: ${why}`);
    ch.send(reasonMessage(PACKET.REFUSED, why)).then(() => ch.close(), () => {});
  };

  const serveStream = async (ch: PeerChannel, feed: { fn: (m: Uint8Array) => void }) => {
    stream = ch;
    const started = Date.now();
    report.line(`${ch.peer.slice(0, 8)}… connected`);
    const s = await runStream(ch, {
      ...(input ? { input } : {}),
      write,
      signal: io.signal,
      subscribe: (fn) => {
        feed.fn = fn;
        return () => feed.fn = () => {};
      },
    });
    stream = null;
    const d = describeEnd(s.end, ch.peer, io.signal.aborted);
    report.end({
      event: "end",
      peer: ch.peer,
      bytesSent: s.sent,
      bytesReceived: s.received,
      durationMs: Date.now() - started,
      paths: ch.pathsUsed,
      ...d,
    });
    done(d.exitCode);
  };

  const serveTransfer = (ch: PeerChannel) => {
    transfers.add(ch);
    const r = createTransferReceiver(ch, { ...(o.saveDir ? { saveDir: o.saveDir } : {}), g, io });
    r.done.then((out) => {
      if (g.verbose) {
        report.line(`${ch.peer.slice(0, 8)}… transfer: ${out.kind} ${out.bytes} bytes`);
      }
    }, () => {}).finally(async () => {
      const end = await ch.ended;
      transfers.delete(ch);
      done(describeEnd(end, ch.peer).exitCode);
    });
    return (m: Uint8Array) => {
      if (isTransfer(m[0]!)) r.handle(m);
    };
  };

  const serveTox = (ch: PeerChannel) => {
    report.line(`${ch.peer.slice(0, 8)}… (a Tox client) sent a message`);
    ch.ended.then((end) => done(describeEnd(end, ch.peer).exitCode));
    const enc = new TextEncoder();
    const raw = io.rawStdout;
    let chain = Promise.resolve();
    return (m: Uint8Array) => {
      if (!isToxText(m[0]!)) return;
      const line = toxLine(m);
      if (!raw) return io.out(line);
      chain = chain.then(() => raw(enc.encode(line + "\n"))).catch(() => {});
    };
  };

  /** Sorts a channel by its first message; returns where the rest go. */
  const sort = (ch: PeerChannel, m: Uint8Array): (m: Uint8Array) => void => {
    const id = m[0]!;
    if (isToxText(id)) return serveTox(ch);
    if (isTransfer(id)) {
      if (stream) return (refuse(ch, "busy: a stream is open"), () => {});
      first = false;
      return serveTransfer(ch);
    }
    if (id === PACKET.STREAM_DATA || id === PACKET.STREAM_END) {
      if (stream || transfers.size > 0 || (!o.keepOpen && !first)) {
        return (refuse(ch, "busy"), () => {});
      }
      first = false;
      const feed = { fn: (_: Uint8Array) => {} };
      serving = serveStream(ch, feed);
      return (x) => feed.fn(x);
    }
    return (refuse(ch, `unknown channel (first message ${id})`), () => {});
  };

  link.listen({
    allow: o.allow,
    onChannel: (ch) => {
      let route: ((m: Uint8Array) => void) | null = null;
      ch.onMessage((m) => (route ??= sort(ch, m))(m));
    },
  });
  report.line(
    `listening as ${formatPublicKey(keyPair.publicKey)}${o.keepOpen ? " (--keep-open)" : ""}`,
  );
  const stop = new Promise<number>((r) => {
    if (io.signal.aborted) r(0);
    io.signal.addEventListener("abort", () => r(0), { once: true });
  });
  const code = await Promise.race([finished, stop]);
  if (stream) await (stream as PeerChannel).close("interrupted");
  await serving;
  await Promise.all([...transfers].map((t) => t.close("interrupted")));
  return code;
}
