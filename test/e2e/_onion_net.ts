/** Test helper: `relay serve` processes on loopback as an onion network. */
import { type RelayServeProcess, spawnRelayServe } from "../_support/relay_serve.ts";

/**
 * `count` relay serve processes, each bootstrapped from the ones before; their UDP node
 * specs and their TCP relay specs (`HOST:PORT:PUBKEY`).
 */
export async function startOnionNet(
  count: number,
): Promise<{ procs: RelayServeProcess[]; specs: string[]; tcpSpecs: string[] }> {
  const procs: RelayServeProcess[] = [], specs: string[] = [], tcpSpecs: string[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const boot = specs.flatMap((s) => ["--bootstrap", s]);
      const p = await spawnRelayServe([
        "--json",
        "relay",
        "serve",
        "--host",
        "127.0.0.1",
        "--udp-port",
        "0",
        "--tcp-port",
        "0",
        ...boot,
      ], { tempHome: true });
      procs.push(p);
      const doc = JSON.parse(p.firstLine());
      specs.push(`${doc.udp}:${doc.publicKey}`);
      tcpSpecs.push(`${doc.tcp[0]}:${doc.publicKey}`);
    }
  } catch (e) {
    for (const p of procs) await p.stop();
    throw e;
  }
  return { procs, specs, tcpSpecs };
}

export async function until(done: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
  return true;
}
