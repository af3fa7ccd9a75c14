/**
 * Starts real c-toxcore `tox-bootstrapd` daemons on loopback for interop tests and
 * benchmarks, and stops them by PID. Each daemon gets its own temporary directory, its own
 * free UDP and TCP ports, and LAN discovery off.
 *
 * @example
 * ```ts ignore
 * import { startBootstrapd } from "./toxcore.ts";
 * await using d = await startBootstrapd();
 * console.log(d.udpPort, d.publicKeyHex);
 * ```
 * @module
 */
import { fromHex } from "../../lib/util/bytes.ts";

/** A running tox-bootstrapd. */
export interface Bootstrapd extends AsyncDisposable {
  /** Process id. */
  pid: number;
  /** UDP (DHT) port on 127.0.0.1. */
  udpPort: number;
  /** TCP relay port on 127.0.0.1 (0 when the relay is off). */
  tcpPort: number;
  /** Its DHT public key (also its relay key). */
  publicKey: Uint8Array;
  /** The same, as 64 upper-case hex characters. */
  publicKeyHex: string;
  /** Its working directory (config, keys, log). */
  dir: string;
  /** Everything it logged so far. */
  log(): string;
  /** SIGTERM, wait for exit (SIGKILL after 2 s), remove the directory. */
  stop(): Promise<void>;
}

/** Options of {@link startBootstrapd}. */
export interface BootstrapdOptions {
  /** Nodes to bootstrap from. */
  bootstrap?: { host: string; port: number; publicKeyHex: string }[];
  /** Run the TCP relay (default true). */
  tcpRelay?: boolean;
  /** A 64-byte key file to use (copied); a new key otherwise. */
  keyFile?: Uint8Array;
  /** Fixed UDP port (default: a free one). */
  udpPort?: number;
  /** Words to run the daemon under, e.g. `["ip", "netns", "exec", NS]` (default none). */
  prefix?: string[];
}

const usedPorts = new Set<number>();

/**
 * A port that is free for both UDP and TCP on every address right now, and that this
 * process has not handed out before (c-toxcore remembers keys per address).
 *
 * @example
 * ```ts ignore
 * import { freePort } from "./toxcore.ts";
 * console.log(await freePort());
 * ```
 */
export function freePort(): number {
  for (let i = 0; i < 200; i++) {
    const l = Deno.listen({ hostname: "0.0.0.0", port: 0 });
    const port = (l.addr as Deno.NetAddr).port;
    l.close();
    if (usedPorts.has(port)) continue;
    try {
      const u = Deno.listenDatagram({ transport: "udp", hostname: "0.0.0.0", port });
      u.close();
    } catch {
      continue;
    }
    usedPorts.add(port);
    return port;
  }
  throw new Error("no free port found");
}

/**
 * Starts tox-bootstrapd and resolves once it has printed its public key.
 *
 * @example
 * ```ts ignore
 * import { startBootstrapd } from "./toxcore.ts";
 * const d = await startBootstrapd({ tcpRelay: false });
 * await d.stop();
 * ```
 */
export async function startBootstrapd(opts: BootstrapdOptions = {}): Promise<Bootstrapd> {
  const dir = await Deno.makeTempDir({ prefix: "peerkit-bootstrapd-" });
  const udpPort = opts.udpPort ?? freePort();
  const relay = opts.tcpRelay ?? true;
  const tcpPort = relay ? freePort() : 0;
  if (opts.keyFile) await Deno.writeFile(`${dir}/keys`, opts.keyFile, { mode: 0o600 });
  const nodes = (opts.bootstrap ?? []).map((n) =>
    `{ address = "${n.host}"; port = ${n.port}; public_key = "${n.publicKeyHex}"; }`
  ).join(",\n");
  await Deno.writeTextFile(
    `${dir}/conf`,
    `port = ${udpPort}
keys_file_path = "${dir}/keys"
pid_file_path = "${dir}/pid"
enable_ipv6 = false
enable_ipv4_fallback = true
enable_lan_discovery = false
enable_tcp_relay = ${relay}
tcp_relay_ports = [${relay ? tcpPort : ""}]
enable_motd = true
motd = "peerkit-test"
bootstrap_nodes = (${nodes})
`,
  );
  const [cmd, ...pre] = [...(opts.prefix ?? []), "tox-bootstrapd"];
  const child = new Deno.Command(cmd!, {
    args: [...pre, `--config=${dir}/conf`, "--foreground", "--log-backend=stdout"],
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).spawn();
  let text = "";
  const decoder = new TextDecoder();
  const pump = async (s: ReadableStream<Uint8Array>) => {
    for await (const chunk of s) text += decoder.decode(chunk, { stream: true });
  };
  const pumps = Promise.all([pump(child.stdout), pump(child.stderr)]);
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    try {
      child.kill("SIGTERM");
    } catch { /* already gone */ }
    const timer = setTimeout(() => {
      try {
        child.kill("SIGKILL");
      } catch { /* gone */ }
    }, 2000);
    await child.status;
    clearTimeout(timer);
    await pumps;
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  const deadline = Date.now() + 5000;
  let m: RegExpExecArray | null = null;
  while (!(m = /Public Key: ([0-9A-F]{64})/.exec(text))) {
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`tox-bootstrapd did not start:\n${text}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  const publicKeyHex = m[1]!;
  return {
    pid: child.pid,
    udpPort,
    tcpPort,
    publicKey: fromHex(publicKeyHex),
    publicKeyHex,
    dir,
    log: () => text,
    stop,
    [Symbol.asyncDispose]: stop,
  };
}
