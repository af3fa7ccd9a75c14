/**
 * Demo stage: NAT diagnostics. A relay node answers STUN on its DHT port, from a second
 * loopback address too (`relay serve --stun-alternate`), and `peerkit nat` asks it what
 * stands in front of this host: public endpoint, mapping, filtering, hairpinning, verdict.
 * On loopback there is no NAT, so the verdict is "open".
 *
 * @example
 * ```ts ignore
 * import { natStage } from "./nat.ts";
 * await natStage(console.log);
 * ```
 * @module
 */
import { backend } from "../../lib/crypto/mod.ts";
import { formatAddr } from "../../lib/net/addr.ts";
import { RelayNode } from "../../lib/relay/node.ts";
import { main } from "../../cli.ts";

const IP1 = "127.0.0.1", IP2 = "127.0.0.2";

/** A UDP port free on both loopback addresses, and a second one; bounded tries. */
function freePorts(): [number, number] {
  const found: number[] = [];
  for (let i = 0; i < 40 && found.length < 2; i++) {
    const a = Deno.listenDatagram({ transport: "udp", hostname: IP1, port: 0 });
    const port = (a.addr as Deno.NetAddr).port;
    try {
      const b = Deno.listenDatagram({ transport: "udp", hostname: IP2, port });
      b.close();
      if (!found.includes(port)) found.push(port);
    } catch {
      /* taken on 127.0.0.2: try another */
    } finally {
      a.close();
    }
  }
  if (found.length < 2) throw new Error("no UDP ports free on both 127.0.0.1 and 127.0.0.2");
  return [found[0]!, found[1]!];
}

/**
 * Runs the stage on loopback and cleans up.
 *
 * @example
 * ```ts ignore
 * import { natStage } from "./nat.ts";
 * await natStage((l) => console.log(l));
 * ```
 */
export async function natStage(say: (line: string) => void, signal?: AbortSignal): Promise<void> {
  const [udp, alt] = freePorts();
  await using node = await RelayNode.start({
    keyPair: backend().keyPair(),
    hostname: IP1,
    udpPort: udp,
    tcpPorts: [0],
    stun: { alternate: { hostname: IP2, port: alt } },
  });
  say(`a relay node, as 'peerkit relay serve --host ${IP1} --udp-port ${udp} \\`);
  say(`  --stun-alternate ${IP2}:${alt}' runs it:`);
  say(`  the relay's UDP port ${formatAddr(node.udpAddr)} serves the DHT and answers STUN;`);
  say(`  STUN packets are told from Tox pings by cookie, length and fingerprint`);
  say(`  it answers from ${node.stun!.addresses.slice(1).map(formatAddr).join(", ")} too`);
  if (signal?.aborted) return;
  const home = await Deno.makeTempDir({ prefix: "peerkit-demo-nat-" });
  try {
    say(`$ peerkit nat --relay ${formatAddr(node.udpAddr)}`);
    let printed = "";
    const code = await main(["--home", home, "nat", "--relay", formatAddr(node.udpAddr)], {
      out: (t) => printed += t,
      err: () => {},
    });
    for (const l of printed.trimEnd().split("\n")) say(`  ${l}`);
    if (code !== 0) throw new Error(`peerkit nat exited ${code}`);
    if (!/verdict: open/.test(printed)) throw new Error("expected the verdict open on loopback");
    const answered = /peerkit_stun_answered_total (\d+)/.exec(node.metrics())?.[1];
    say(`the relay's metrics: peerkit_stun_answered_total ${answered}`);
    say("behind a real NAT the same check says easy, hard (symmetric) or UDP blocked");
  } finally {
    await Deno.remove(home, { recursive: true }).catch(() => {});
  }
}
