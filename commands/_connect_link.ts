/**
 * How `connect` gets its link: with `--relay`, a {@link Link} on the relays (the punch runs
 * in the background); with `--bootstrap`, the DHT meeting first (`runDhtMeet`, NAT pings
 * through the peer's close nodes, then probes), then a link bound to the very UDP port the
 * meeting punched from, so the session runs over that direct path only. (`runDhtMeet`
 * owns its socket; the link rebinds the port as soon as it is closed, and the NAT mapping,
 * kept by traffic seconds ago, stays.)
 *
 * @example
 * ```ts ignore
 * const opened = await openConnectLink(opts, keyPair, g, io, report);
 * if (typeof opened === "string") console.error(opened);
 * ```
 * @module
 */
import type { KeyPair } from "../lib/crypto/backend.ts";
import { Link } from "../lib/link/link.ts";
import { type Addr, parseAddr } from "../lib/net/addr.ts";
import type { ConnectReport } from "./_connect_report.ts";
import type { GlobalOptions, Io } from "./_io.ts";
import type { ConnectCommandOptions } from "./connect.ts";

/** An open link, and the peer's direct address when the DHT meeting found it. */
export interface ConnectLink {
  /** The link. */
  link: Link;
  /** Where to dial directly (`--bootstrap`). */
  addrs?: Addr[];
  /** The peer's DHT key, when it is not its real key (`--onion`). */
  peerDht?: Uint8Array;
  /** The DHT and onion beside the link (`--onion`), closed before it. */
  onion?: AsyncDisposable;
}

/**
 * Opens the link `connect` runs on; a string says why it could not be done.
 *
 * @example
 * ```ts ignore
 * const opened = await openConnectLink(opts, keyPair, g, io, report);
 * ```
 */
export async function openConnectLink(
  o: ConnectCommandOptions & { punch?: boolean },
  keyPair: KeyPair,
  g: GlobalOptions,
  io: Io,
  report: ConnectReport,
): Promise<ConnectLink | string> {
  const log = g.verbose ? (l: string) => io.err(`connect: ${l}`) : undefined;
  const { useFastestBackend } = await import("../lib/crypto/mod.ts");
  const crypto = await useFastestBackend(); // libsodium (native when it loads) for the session
  log?.(`crypto: ${crypto}`);
  if (o.onion) return (await import("./_onion_peer.ts")).openOnionLink(o, keyPair, g, io, report);
  if (o.bootstrap.length > 0) {
    const { runDhtMeet } = await import("../lib/punch/dht_meet_driver.ts");
    const peer = o.peer ?? (o.allow as Uint8Array[])[0]!;
    report.line("meeting through the DHT");
    const r = await runDhtMeet({
      keyPair,
      peer,
      bootstrap: o.bootstrap,
      timeoutMs: o.timeoutMs,
      signal: io.signal,
      ...(o.bind ? { bind: o.bind } : {}),
    });
    if (r.path !== "direct" || r.remote === null) {
      return `no direct path through the DHT within ${o.timeoutMs / 1000} s: ${r.why}`;
    }
    report.line(`DHT meeting: direct path to ${r.remote}`);
    const link = await Link.open({ keyPair, bind: parseAddr(r.local), ...(log ? { log } : {}) });
    link.onPath((e) => report.path(e));
    return { link, addrs: [parseAddr(r.remote)] };
  }
  const link = await Link.open({
    keyPair,
    relays: o.relays,
    stun: o.stun,
    ...(o.punch === false ? { punch: false } : {}), // send --no-punch: stay on the relay
    ...(o.bind ? { bind: o.bind } : {}),
    ...(log ? { log } : {}),
  });
  link.onPath((e) => report.path(e));
  try {
    await link.relay.waitForRelays(1, o.timeoutMs);
  } catch {
    await link.close();
    return `no relay reachable within ${o.timeoutMs / 1000} s`;
  }
  return { link };
}

/**
 * Where the peer's bytes go: the process's raw stdout, or text lines where it is not wired.
 *
 * @example
 * ```ts
 * import { bufferIo } from "./_io.ts";
 * import { stdoutWriter } from "./_connect_link.ts";
 * const io = bufferIo();
 * await stdoutWriter(io)(new TextEncoder().encode("hi"));
 * console.assert(io.stdout() === "hi\n");
 * ```
 */
export function stdoutWriter(io: Io): (bytes: Uint8Array) => Promise<void> {
  if (io.rawStdout) return io.rawStdout;
  const d = new TextDecoder();
  return (b) => Promise.resolve(io.out(d.decode(b)));
}
