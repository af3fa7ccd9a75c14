/**
 * Demo stage: join the DHT and find a peer. A small testnet of peerkit DHT nodes starts on
 * loopback; `peerkit bootstrap` joins it through one node and saves what it learned; then
 * `peerkit lookup` finds a node that the first one never mentioned, from the saved nodes.
 *
 * @example
 * ```ts ignore
 * import { dhtStage } from "./dht.ts";
 * await dhtStage(console.log);
 * ```
 * @module
 */
import { tweetnaclBackend as nacl } from "../../lib/crypto/backend.ts";
import { DhtDriver } from "../../lib/dht/driver.ts";
import { denoNetwork } from "../../lib/net/deno.ts";
import { formatAddr } from "../../lib/net/addr.ts";
import { formatPublicKey } from "../../lib/identity/mod.ts";
import { main } from "../../cli.ts";

const TESTNET_SIZE = 8;

/**
 * Runs the stage; every node, socket and temporary directory is gone when it returns.
 *
 * @example
 * ```ts ignore
 * import { dhtStage } from "./dht.ts";
 * await dhtStage((l) => console.log(l), AbortSignal.timeout(30_000));
 * ```
 */
export async function dhtStage(say: (line: string) => void, signal?: AbortSignal): Promise<void> {
  const home = await Deno.makeTempDir({ prefix: "peerkit-demo-dht-" });
  const nodes: DhtDriver[] = [];
  const check = () => {
    if (signal?.aborted) throw new Error("interrupted");
  };
  try {
    say(`starting a testnet of ${TESTNET_SIZE} peerkit DHT nodes on 127.0.0.1`);
    for (let i = 0; i < TESTNET_SIZE; i++) {
      const socket = await denoNetwork.bindDatagram({ hostname: "127.0.0.1", port: 0 });
      const d = new DhtDriver({ socket, node: { keyPair: nacl.keyPair() } });
      d.start();
      // a chain: each node is introduced to the previous one only
      const prev = nodes[i - 1];
      if (prev) d.bootstrap(prev.localAddr, prev.node.publicKey);
      nodes.push(d);
    }
    await new Promise((r) => setTimeout(r, 2500));
    check();
    const first = nodes[0]!, last = nodes[TESTNET_SIZE - 1]!;
    for (const [i, d] of nodes.entries()) {
      say(`  node ${i}: ${formatAddr(d.localAddr)}  knows ${d.node.closeListSize().good} nodes`);
    }
    const spec = `${formatAddr(first.localAddr)}:${formatPublicKey(first.node.publicKey)}`;
    const run = async (args: string[]) => {
      let out = "", err = "";
      const code = await main(["--home", home, ...args], {
        out: (t) => out += t,
        err: (t) => err += t,
      });
      return { code, out, err };
    };
    say(`$ peerkit bootstrap --bootstrap ${spec.slice(0, 32)}… --timeout 1.5`);
    const b = await run(["bootstrap", "--bootstrap", spec, "--timeout", "1.5"]);
    for (const l of b.out.trim().split("\n")) say(`  ${l}`);
    if (b.code !== 0) throw new Error(`bootstrap exited ${b.code}: ${b.err.trim()}`);
    check();
    const id = formatPublicKey(last.node.publicKey);
    say(`$ peerkit lookup ${id.slice(0, 16)}…   (node ${TESTNET_SIZE - 1}, from the saved nodes)`);
    const l = await run(["lookup", id, "--timeout", "10"]);
    for (const line of l.out.trim().split("\n").slice(0, 5)) say(`  ${line}`);
    if (l.code !== 0) throw new Error(`lookup exited ${l.code}: ${l.err.trim()}`);
    say(`node ${TESTNET_SIZE - 1} really listens at ${formatAddr(last.localAddr)}`);
  } finally {
    for (const d of nodes) await d.close();
    await Deno.remove(home, { recursive: true }).catch(() => {});
  }
}
