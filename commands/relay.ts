/**
 * `peerkit relay serve`: a DHT node (UDP), a TCP relay (one or more ports) and the onion
 * layer under one key, as tox-bootstrapd runs them, so Tox clients can use it as their
 * only bootstrap node and relay.
 *
 * @example
 * ```ts
 * import { parseRelayServeOptions } from "./relay.ts";
 * const o = await parseRelayServeOptions({ tcpPort: ["33445", "443"], rate: "0" });
 * console.assert(o.tcpPorts.length === 2 && o.rate === 0);
 * ```
 * @module
 */
import {
  emit,
  EXIT,
  type GlobalOptions,
  type Io,
  type Program,
  resolvePath,
  type Runner,
} from "./_io.ts";
import { PeerkitError } from "../lib/util/errors.ts";
import type { Addr } from "../lib/net/addr.ts";
import { parseRelayServeOptions, type RelayServeOptions } from "./_relay_options.ts";
export { parseRelayServeOptions, type RelayServeOptions } from "./_relay_options.ts";

/** Help text shown after the options. */
export const RELAY_EXAMPLES = `
Examples:
  $ peerkit relay serve                          # UDP 33445, TCP 33445, key in ~/.peerkit/relay.key
  $ peerkit relay serve --key /var/lib/tox-bootstrapd/keys --tcp-port 443 --tcp-port 3389
                                                 # a drop-in for tox-bootstrapd, same key
  $ peerkit relay serve --key relay.key --create-key  # a new key in ./relay.key
  $ peerkit relay serve --host 127.0.0.1 --udp-port 33445 --tcp-port 33445 \\
      --bootstrap 127.0.0.1:33500:<64 HEX> --metrics 127.0.0.1:9100 --json
  $ peerkit relay serve --rate 0                 # no per-client rate limit
  $ peerkit relay serve --host 192.0.2.10 --stun-alternate 192.0.2.11:3479
                                                 # STUN with RFC 5780 OTHER-ADDRESS
  $ peerkit relay serve --no-lan-discovery       # a public node: no answers to LAN discovery
  $ peerkit relay serve --key-budget 4096 --key-budget-per-ip 128
                                                 # a faster host: more new keys a second

Key files are tox-bootstrapd's (64 raw bytes, public key first). A --key file must exist
(a typo must not start a server under a new identity) unless --create-key is given; without
--key, <home>/relay.key is used and created when missing.
The UDP port also answers STUN Binding requests ('peerkit nat --relay HOST:PORT'); with
--stun-alternate (a second IP of this host and a free port) it answers from the other
addresses too, so mapping and filtering can be tested against it.
--rate is bytes per second per client of everything it makes the relay send (data, OOB,
onion and routing requests, pings; each control packet counts 8 KiB), suffixes k, M:
default 1M; 0 turns it off.
--key-budget bounds the X25519s that packets from keys not yet cached make the node compute
(DHT requests, onion requests, routed requests 0x20 to it; each routed request it forwards
costs one too): beyond it, in all or from one source IP, they are dropped before any work and
counted (peerkit_key_budget_refused_total). Known peers cost nothing. 0 turns it off
(c-toxcore has none).
Stops cleanly (clients closed, totals printed, exit 0) on SIGINT, SIGTERM or SIGHUP; there
is no reload: restart it to change flags.

Compared with tox-bootstrapd (0.2.18):
  The same: the key file format (and so the public key), UDP port 33445 and TCP relay
  ports given by number (it defaults to 443, 3389 and 33445; here --tcp-port, default
  33445), the DHT, onion and TCP relay, UDP forwarding (0x90-0x92, TCP relay ids 10/11),
  the MOTD answer to 0xf0 bootstrap-info requests (--motd, like its enable_motd/motd; the
  version field is peerkit's own version in the same encoding, 1000000000 + major*10^6 +
  minor*10^3 + patch), and IPv6 by default: with no --host it binds [::] and takes IPv4
  too, else falls back to 0.0.0.0 with a notice.
  Left out: the DHT announcement store (0x93-0x98), which 0.2.18 uses only for its DHT
  announcements (not for bootstrapping, onion announces or friend connections); such
  packets, and forwarded ones meant for that store, are dropped and counted in the
  metrics. No config file, no daemon mode, no LAN discovery broadcasts (received ones are
  heeded unless --no-lan-discovery), no scan of the next 100 ports when the UDP port is
  taken.`;

function isFixableBindError(e: unknown): e is Error {
  return e instanceof Deno.errors.AddrInUse ||
    e instanceof Deno.errors.PermissionDenied ||
    e instanceof Deno.errors.AddrNotAvailable ||
    (e instanceof Error && /lookup address/.test(e.message));
}

/** A bind that failed for a reason the user can fix becomes a one-line `BIND_FAILED`. */
function bindFailure(e: unknown, what: string, reason: (e: unknown) => string): unknown {
  if (!isFixableBindError(e)) return e;
  return new PeerkitError("BIND_FAILED", `relay serve: cannot bind ${what}: ${reason(e)}`, {
    cause: e,
  });
}

/**
 * After the node failed to bind, finds which socket it was by binding each one alone
 * (UDP first, as the node does): `UDP 127.0.0.1:33445`, `TCP 127.0.0.1:443`.
 */
function failedSocket(
  o: RelayServeOptions,
  hostname: string,
  format: (a: Addr) => string,
): string {
  try {
    const s = Deno.listenDatagram({ transport: "udp", hostname, port: o.udpPort });
    s.close();
  } catch (e) {
    if (isFixableBindError(e)) return `UDP ${format({ hostname, port: o.udpPort })}`;
  }
  for (const port of o.tcpPorts) {
    try {
      Deno.listen({ hostname, port }).close();
    } catch (e) {
      if (isFixableBindError(e)) return `TCP ${format({ hostname, port })}`;
    }
  }
  return hostname;
}

async function loadOrCreateKey(path: string, create: boolean, io: Io) {
  const { readKeyFile, writeKeyFile } = await import("../lib/identity/mod.ts");
  const { backend } = await import("../lib/crypto/mod.ts");
  try {
    return await readKeyFile(path);
  } catch (e) {
    if (!(e instanceof PeerkitError) || e.code !== "KEY_FILE_MISSING") throw e;
    if (!create) {
      throw new PeerkitError(
        "KEY_FILE_MISSING",
        `relay serve: no key file at ${path}; check the path, or add --create-key to make one`,
        { cause: e },
      );
    }
    const kp = backend().keyPair();
    await writeKeyFile(path, kp, { force: false });
    io.err(`peerkit: created relay key ${path}`);
    return kp;
  }
}

/**
 * Runs `relay serve` until `io.signal` aborts; returns the exit code.
 *
 * @example
 * ```ts ignore
 * import { parseRelayServeOptions, runRelayServe } from "./relay.ts";
 * import { bufferIo } from "./_io.ts";
 * await runRelayServe(await parseRelayServeOptions({ host: "127.0.0.1" }), g, bufferIo());
 * ```
 */
export async function runRelayServe(
  o: RelayServeOptions,
  g: GlobalOptions,
  io: Io,
): Promise<number> {
  const { loadNativeSodium, loadSodium, setBackend } = await import("../lib/crypto/mod.ts");
  const { formatAddr } = await import("../lib/net/addr.ts");
  const { formatPublicKey } = await import("../lib/identity/mod.ts");
  const { RelayNode } = await import("../lib/relay/node.ts");
  const { KeyBudget } = await import("../lib/crypto/key_budget.ts");
  const { naclCipher, sodiumCipher } = await import("../lib/dht/cipher.ts");
  const { encodeVersion } = await import("../lib/dht/bootstrap_info.ts");
  const { VERSION } = await import("../cli.ts");
  setBackend(await loadSodium());
  const { bindReason } = await import("./_dht.ts");
  let host = o.host;
  if (host === undefined) {
    const { dualStackHost } = await import("../lib/net/dual_stack.ts");
    const ds = await dualStackHost();
    host = ds.hostname;
    if (ds.notice && !g.quiet) io.err(`peerkit: ${ds.notice}`);
  }
  const keyPath = o.key === undefined ? `${g.home}/relay.key` : resolvePath(io.cwd, o.key);
  if (o.key === undefined) {
    const { ensureStateDir } = await import("../lib/identity/home.ts");
    await ensureStateDir(g.home);
  }
  const keyPair = await loadOrCreateKey(keyPath, o.key === undefined || o.createKey, io);
  let node;
  try {
    node = await RelayNode.start({
      keyPair,
      // Native libsodium when it loaded (an X25519 costs a third of WebAssembly's), else
      // libsodium's WebAssembly.
      dhtCipher: loadNativeSodium()
        ? naclCipher(keyPair.secretKey)
        : await sodiumCipher(keyPair.secretKey),
      hostname: host,
      udpPort: o.udpPort,
      bootstrapInfo: { version: encodeVersion(VERSION), motd: o.motd },
      forwarding: true,
      stun: o.stunAlternate ? { alternate: o.stunAlternate } : {},
      lanDiscovery: o.lanDiscovery,
      tcpPorts: o.tcpPorts,
      bootstrap: o.bootstrap,
      maxClients: o.maxClients,
      maxClientsPerIp: o.maxPerIp,
      rateBytesPerSecond: o.rate,
      keyBudget: o.keyBudget === false ? false : new KeyBudget(o.keyBudget),
      onKill: g.verbose
        ? (conn, reason, addr) => io.err(`relay: closed #${conn} ${formatAddr(addr)}: ${reason}`)
        : undefined,
    });
  } catch (e) {
    throw bindFailure(
      e,
      isFixableBindError(e) ? failedSocket(o, host, formatAddr) : "",
      bindReason,
    );
  }
  let metricsServer: Deno.HttpServer | undefined;
  try {
    if (o.metrics) {
      const n = node;
      const handler = (req: Request) =>
        new URL(req.url).pathname === "/metrics"
          ? new Response(n.metrics(), {
            headers: { "content-type": "text/plain; version=0.0.4" },
          })
          : new Response("not found\n", { status: 404 });
      try {
        const { hostname, port } = o.metrics;
        metricsServer = Deno.serve({ hostname, port, onListen: () => {} }, handler);
      } catch (e) {
        throw bindFailure(e, `--metrics TCP ${formatAddr(o.metrics)}`, bindReason);
      }
    }
    const publicKey = formatPublicKey(node.publicKey);
    const udp = formatAddr(node.udpAddr);
    const tcp = node.tcpAddrs.map(formatAddr);
    const ma = metricsServer?.addr as Deno.NetAddr | undefined;
    const metrics = ma ? formatAddr({ hostname: ma.hostname, port: ma.port }) : null;
    const stun = (node.stun?.addresses ?? []).map(formatAddr);
    const keyBudget = o.keyBudget;
    emit(g, io, { publicKey, udp, tcp, metrics, rate: o.rate, stun, keyBudget }, [
      `public key: ${publicKey}`,
      `udp (DHT, STUN): ${udp}`,
      ...(stun.length > 1 ? [`stun (RFC 5780 other addresses): ${stun.slice(1).join(" ")}`] : []),
      ...tcp.map((t) => `tcp (relay): ${t}`),
      ...(metrics ? [`metrics: http://${metrics}/metrics`] : []),
    ]);
    if (!g.quiet) {
      io.err(
        `peerkit: relay serving; rate limit ${
          o.rate === 0 ? "off" : `${o.rate} B/s per client`
        }; key budget ${
          keyBudget === false
            ? "off"
            : `${keyBudget.perSecond}/s, ${keyBudget.perSourcePerSecond}/s per IP`
        }; stop with Ctrl-C`,
      );
    }
    if (!io.signal.aborted) {
      await new Promise<void>((resolve) =>
        io.signal.addEventListener("abort", () => resolve(), { once: true })
      );
    }
    if (!g.quiet) {
      const s = node.relay.core.stats();
      io.err(
        `peerkit: relay stopping: ${s.clients} clients, ${s.bytesRelayed} bytes relayed in total`,
      );
    }
    return EXIT.OK;
  } finally {
    await metricsServer?.shutdown();
    await node.close();
  }
}

/**
 * Adds `relay serve` to the program.
 *
 * @example
 * ```ts
 * import { Command } from "@commander-js/extra-typings";
 * import { registerRelay } from "./relay.ts";
 * registerRelay(new Command(), async () => {});
 * ```
 */
export function registerRelay(program: Program, run: Runner): void {
  const relay = program.command("relay").description("TCP relay for peers that cannot punch");
  const collect = (v: string, prev: string[] = []) => [...prev, v];
  relay.command("serve")
    .description("run a TCP relay, DHT node and onion node (a drop-in for tox-bootstrapd)")
    .option("--key <file>", "key file (tox-bootstrapd format); must exist unless --create-key")
    .option("--create-key", "create the --key file when it is missing")
    .option("--host <addr>", "address to bind UDP and TCP on (default [::], also IPv4)")
    .option("--udp-port <port>", "UDP port of the DHT node", "33445")
    .option("--tcp-port <port>", "TCP relay port (repeatable)", collect)
    .option("--bootstrap <host:port:pubkey>", "DHT node to bootstrap from (repeatable)", collect)
    .option("--max-clients <n>", "most relay clients at once", "10000")
    .option("--max-per-ip <n>", "most relay clients from one IP (0: no cap)", "256")
    .option(
      "--rate <bytes>",
      "bytes per second per client the relay sends for it (k, M; 0: off)",
      "1M",
    )
    .option("--motd <text>", "message of the day for 0xf0 bootstrap-info requests", "peerkit")
    .option("--metrics <host:port>", "serve Prometheus metrics at http://HOST:PORT/metrics")
    .option("--stun-alternate <host:port>", "second IP and port STUN answers from (needs --host)")
    .option("--no-lan-discovery", "do not answer LAN discovery packets (a 33-byte one draws 113)")
    .option(
      "--key-budget <n>",
      "X25519s a second for packets from unknown keys, in all (0: no budget)",
      "1024",
    )
    .option("--key-budget-burst <n>", "of those at once (default: an eighth of --key-budget)")
    .option("--key-budget-per-ip <n>", "X25519s a second for one source address (default 64)")
    .option(
      "--key-budget-per-ip-burst <n>",
      "of those at once (default: a quarter of --key-budget-per-ip)",
    )
    .option("--key-budget-sources <n>", "source addresses tracked at once (default 4096)")
    .addHelpText("after", RELAY_EXAMPLES)
    .action((opts) =>
      run(async (g, io) => runRelayServe(await parseRelayServeOptions(opts), g, io))
    );
}
