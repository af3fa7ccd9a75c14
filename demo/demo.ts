/**
 * The peerkit demo: runs every stage that is built, on loopback, with no root and nothing
 * beyond loopback, narrating each step. Every subcommand has its stage.
 *
 *     deno task demo
 *
 * @module
 */
import { connectStage } from "./stages/connect.ts";
import { dhtStage } from "./stages/dht.ts";
import { keysStage } from "./stages/keys.ts";
import { natStage } from "./stages/nat.ts";
import { punchStage } from "./stages/punch.ts";
import { relayStage } from "./stages/relay.ts";
import { sendStage } from "./stages/send.ts";

type Stage = {
  title: string;
  run: (say: (l: string) => void, signal: AbortSignal) => Promise<void>;
};

const stages: Stage[] = [
  { title: "identities (keygen)", run: (say) => keysStage(say) },
  {
    title: "join the DHT (bootstrap) and find a peer (lookup)",
    run: (say, signal) => dhtStage(say, signal),
  },
  {
    title: "relay: two peers that reach each other only through a TCP relay",
    run: (say, signal) => relayStage(say, signal),
  },
  {
    title: "nat: what stands in front of this host (STUN against the relay)",
    run: (say, signal) => natStage(say, signal),
  },
  {
    title: "punch: a direct UDP path through NATs, met through a relay",
    run: (say, signal) => punchStage(say, signal),
  },
  {
    title: "connect: netcat between two keys, moving from the relay to the direct path",
    run: (say, signal) => connectStage(say, signal),
  },
  { title: "send: a file delivered and verified by both hashes", run: sendStage },
];

const controller = new AbortController();
Deno.addSignalListener("SIGINT", () => controller.abort());
let failed = false;
for (const [i, s] of stages.entries()) {
  console.log(`\n== ${i + 1}. ${s.title}`);
  const t0 = performance.now();
  try {
    await s.run((l) => console.log(`   ${l}`), controller.signal);
    console.log(`   done in ${(performance.now() - t0).toFixed(0)} ms`);
  } catch (e) {
    failed = true;
    console.log(`   FAILED: ${e instanceof Error ? e.message : String(e)}`);
  }
}
Deno.exit(failed ? 1 : 0);
