/** Test helper: `RelayNode`s (DHT + onion node + TCP relay, as `relay serve`) on loopback. */
import { backend } from "../../lib/crypto/mod.ts";
import { RelayNode } from "../../lib/relay/node.ts";

/** `n` relay nodes, each bootstrapped from the ones before. */
export async function startNet(n: number): Promise<RelayNode[]> {
  const nodes: RelayNode[] = [];
  for (let i = 0; i < n; i++) {
    const boot = nodes.map((x) => ({ addr: x.udpAddr, publicKey: x.dht.node.publicKey }));
    nodes.push(await RelayNode.start({ keyPair: backend().keyPair(), bootstrap: boot }));
  }
  return nodes;
}
