/**
 * The dialling side of `connect`: open a link, dial the peer, announce the stream with an
 * empty `[160]`, then run the byte stream until it is over.
 *
 * @example
 * ```ts ignore
 * import { connectDial } from "./_connect_dial.ts";
 * const code = await connectDial(opts, keyPair, g, io);
 * ```
 * @module
 */
import type { KeyPair } from "../lib/crypto/backend.ts";
import { formatPublicKey } from "../lib/identity/pubkey.ts";
import { PACKET, type PeerChannel } from "../lib/link/channel.ts";
import { PeerkitError } from "../lib/util/errors.ts";
import { ConnectReport, describeEnd } from "./_connect_report.ts";
import { openConnectLink, stdoutWriter } from "./_connect_link.ts";
import type { GlobalOptions, Io } from "./_io.ts";
import { ByteSource, runStream } from "./_stream.ts";
import type { ConnectCommandOptions } from "./connect.ts";

/**
 * Dials `o.peer` and runs the stream; returns the exit code.
 *
 * @example
 * ```ts ignore
 * const code = await connectDial(opts, keyPair, g, io);
 * ```
 */
export async function connectDial(
  o: ConnectCommandOptions,
  keyPair: KeyPair,
  g: GlobalOptions,
  io: Io,
): Promise<number> {
  const report = new ConnectReport(g, io);
  const peer = formatPublicKey(o.peer!);
  const t0 = Date.now();
  const fail = (outcome: string, why: string) => report.failed(outcome, why, Date.now() - t0);
  const opened = await openConnectLink(o, keyPair, g, io, report);
  if (typeof opened === "string") return fail("unreachable", opened);
  await using link = opened.link;
  await using _onion = opened.onion;
  report.line(`${formatPublicKey(keyPair.publicKey).slice(0, 8)}… -> ${peer}`);
  let ch: PeerChannel;
  try {
    ch = await link.dial({
      peer: o.peer!,
      timeoutMs: o.timeoutMs,
      signal: io.signal,
      ...(opened.addrs ? { addrs: opened.addrs } : {}),
      ...(opened.peerDht ? { peerDht: opened.peerDht } : {}),
    });
  } catch (e) {
    if (!(e instanceof PeerkitError)) throw e;
    return fail(io.signal.aborted ? "interrupted" : "unreachable", e.message);
  }
  const started = Date.now();
  report.line(`session with ${peer.slice(0, 8)}… open`);
  await ch.send(new Uint8Array([PACKET.STREAM_DATA])).catch(() => {}); // the stream starts
  const s = await runStream(ch, {
    ...(o.recvOnly || !io.rawStdin ? {} : { input: new ByteSource(io.rawStdin) }),
    write: stdoutWriter(io),
    signal: io.signal,
  });
  const d = describeEnd(s.end, peer, io.signal.aborted);
  report.end({
    event: "end",
    peer,
    bytesSent: s.sent,
    bytesReceived: s.received,
    durationMs: Date.now() - started,
    paths: ch.pathsUsed,
    ...d,
    ...(s.writeError ? { why: `${d.why}; stdout failed: ${s.writeError}` } : {}),
  });
  return d.exitCode;
}
