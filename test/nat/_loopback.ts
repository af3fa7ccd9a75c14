/**
 * Loopback helpers for the NAT tests: free port pairs on 127.0.0.1 and 127.0.0.2, a small
 * UDP driver around {@link StunResponder} that binds its four addresses, and a coturn
 * `turnserver` started on two loopback addresses and stopped by its PID, `peerkit relay serve`
 * with its STUN alternate, and Debian's `stun` client run with a deadline.
 * @module
 */
import type { Addr } from "../../lib/net/addr.ts";
import { denoNetwork } from "../../lib/net/deno.ts";
import { StunResponder, type StunResponderOptions } from "../../lib/nat/responder.ts";
import { discoverNat } from "../../lib/nat/driver.ts";
import { StunResponderDriver } from "../../lib/nat/responder_driver.ts";
import { type RelayServeProcess, spawnRelayServe } from "../_support/relay_serve.ts";
import { freePort } from "../_support/toxcore.ts";

export const IP1 = "127.0.0.1";
export const IP2 = "127.0.0.2";

/** A UDP port free on both loopback addresses (checked by binding both, then closing). */
async function freePortOnBoth(avoid: number[] = []): Promise<number> {
  for (let i = 0; i < 20; i++) {
    const a = await denoNetwork.bindDatagram({ hostname: IP1, port: 0 });
    const port = a.localAddr.port;
    try {
      if (avoid.includes(port)) continue;
      const b = await denoNetwork.bindDatagram({ hostname: IP2, port }).catch(() => null);
      if (!b) continue;
      b.close();
      return port;
    } finally {
      a.close();
    }
  }
  throw new Error("no UDP port free on both 127.0.0.1 and 127.0.0.2");
}

/** Two ports free on both loopback addresses. */
export async function freePortPair(): Promise<[number, number]> {
  const p = await freePortOnBoth();
  return [p, await freePortOnBoth([p])];
}

/** A {@link StunResponder} on UDP sockets bound to each of its addresses. */
export interface StunServe extends AsyncDisposable {
  responder: StunResponder;
  primary: Addr;
  alternate: Addr | undefined;
}

/** Binds the responder's addresses and answers until disposed. */
export async function serveStun(
  opts: Omit<StunResponderOptions, "primary" | "alternate"> & { alternate?: boolean } = {},
): Promise<StunServe> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const [p, a] = await freePortPair();
    const primary = { hostname: IP1, port: p };
    const alternate = opts.alternate === false ? undefined : { hostname: IP2, port: a };
    const responder = new StunResponder({ ...opts, primary, alternate });
    let driver: StunResponderDriver;
    try {
      driver = await StunResponderDriver.bind(responder);
    } catch {
      continue;
    }
    return {
      responder,
      primary,
      alternate,
      [Symbol.asyncDispose]: () => driver.close(),
    };
  }
  throw new Error("could not bind the STUN responder's addresses");
}

/** A running coturn `turnserver`. */
export interface Coturn extends AsyncDisposable {
  pid: number;
  primary: Addr;
  alternate: Addr;
  log(): string;
}

/**
 * Starts `turnserver` in STUN-only mode on 127.0.0.1 and 127.0.0.2 with an alternate port,
 * waits until it answers a Binding request, and stops it by PID on dispose.
 */
export async function startCoturn(): Promise<Coturn> {
  const [port, alt] = await freePortPair();
  const dir = await Deno.makeTempDir({ prefix: "peerkit-coturn-" });
  const child = new Deno.Command("turnserver", {
    args: [
      "-c",
      "/dev/null",
      "--listening-ip",
      IP1,
      "--listening-ip",
      IP2,
      "--listening-port",
      String(port),
      "--alt-listening-port",
      String(alt),
      "--no-tcp",
      "--no-tls",
      "--no-dtls",
      "--stun-only",
      "--no-cli",
      "--simple-log",
      "--log-file",
      "stdout",
      "--pidfile",
      `${dir}/turnserver.pid`,
      "--relay-threads",
      "1",
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let log = "";
  const d = new TextDecoder();
  const pump = async (s: ReadableStream<Uint8Array>) => {
    for await (const c of s) log += d.decode(c, { stream: true });
  };
  const pumps = Promise.all([pump(child.stdout), pump(child.stderr)]);
  const stop = async () => {
    try {
      child.kill("SIGTERM");
    } catch { /* gone */ }
    const t = setTimeout(() => {
      try {
        child.kill("SIGKILL");
      } catch { /* gone */ }
    }, 3000);
    await child.status;
    clearTimeout(t);
    await pumps;
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  const primary = { hostname: IP1, port }, alternate = { hostname: IP2, port: alt };
  // Ready once it answers; bounded to about 10 s.
  for (let i = 0; i < 20; i++) {
    const r = await discoverNat({
      servers: [primary],
      bind: { hostname: IP1, port: 0 },
      rto: 100,
      attempts: 2,
      rm: 2,
    });
    if (r.udp) {
      return { pid: child.pid, primary, alternate, log: () => log, [Symbol.asyncDispose]: stop };
    }
  }
  await stop();
  throw new Error(`turnserver did not answer on ${IP1}:${port}:\n${log.slice(-2000)}`);
}

/**
 * `peerkit relay serve` on 127.0.0.1 with free UDP and TCP ports and its STUN alternate on
 * 127.0.0.2 (another free port); `extra` flags are appended.
 */
export async function spawnRelayWithAlternate(extra: string[] = []): Promise<{
  s: RelayServeProcess;
  udp: number;
  alt: number;
  // deno-lint-ignore no-explicit-any
  doc: any;
}> {
  const [udp, alt] = await freePortPair();
  const s = await spawnRelayServe([
    "--json",
    "relay",
    "serve",
    "--host",
    IP1,
    "--udp-port",
    String(udp),
    "--tcp-port",
    String(freePort()),
    "--stun-alternate",
    `${IP2}:${alt}`,
    ...extra,
  ], { tempHome: true });
  return { s, udp, alt, doc: JSON.parse(s.firstLine()) };
}

/** Runs Debian's `stun TARGET -v` (killed after 20 s) and returns stdout and stderr together. */
export async function runStunClient(target: string): Promise<string> {
  const child = new Deno.Command("stun", {
    args: [target, "-v"],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const killer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch { /* gone */ }
  }, 20_000);
  const out = await child.output();
  clearTimeout(killer);
  return new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
}
