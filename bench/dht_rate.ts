/**
 * Side by side: answered DHT requests per second of one peerkit node and of one
 * tox-bootstrapd (c-toxcore 0.2.18), under the same load generator — many sender keys, a mix
 * of ping requests (0x00) and nodes requests (0x02) at increasing offered rates over UDP on
 * 127.0.0.1. Each target runs in its own process. The load generator is a small C program
 * (bench/dht_load.c, compiled with gcc at start) that sends pre-built packets with sendmmsg
 * and counts answers with recvmmsg, so that it can offer far more than either node answers;
 * it counts valid-looking responses (0x01 / 0x04 from the target's key). Steps alternate
 * between the targets so that background load hits both alike. Every step of every round is
 * printed; the summary gives each side's best clean rate (the most answered at a step that
 * lost at most 5 %), its peak, its mean answered rate at the highest offered rate (past
 * saturation), and the peerkit / tox-bootstrapd ratio of each.
 *
 *   deno run -A bench/dht_rate.ts [--seconds 2] [--keys 512] [--rounds 3]
 *                                 [--rates 10000,20000,30000,40000,60000,80000,120000]
 *                                 [--backend libsodium|tweetnacl] [--socket batched|deno]
 *
 * `libsodium` (default) is the node's `sodiumCipher` (raw WebAssembly calls); `tweetnacl` is
 * the pure JavaScript `naclCipher`. `batched` (default) is the node's socket from
 * `denoBatchNetwork` (recvmmsg/sendmmsg on Linux); `deno` is Deno's own `DatagramConn`.
 *
 * @module
 */
import { tweetnaclBackend as nacl } from "../lib/crypto/backend.ts";
import { naclCipher, sodiumCipher } from "../lib/dht/cipher.ts";
import { sealDhtPacket } from "../lib/dht/wire.ts";
import { denoBatchNetwork, denoNetwork } from "../lib/net/deno.ts";
import { openUdpStack } from "../lib/node/stack.ts";
import { fromHex, toHex } from "../lib/util/bytes.ts";
import { startBootstrapd } from "../test/_support/toxcore.ts";
import { compileBenchC, records } from "./_load_gen.ts";

function flag(name: string, def: string): string {
  const i = Deno.args.indexOf(`--${name}`);
  return i >= 0 && Deno.args[i + 1] !== undefined ? Deno.args[i + 1]! : def;
}
const backendName = flag("backend", "libsodium");
const socketName = flag("socket", "batched");

if (Deno.args.includes("--serve")) {
  // Child mode: one peerkit DHT node on 127.0.0.1, until SIGTERM.
  const keyPair = nacl.keyPair();
  const cipher = backendName === "libsodium"
    ? await sodiumCipher(keyPair.secretKey)
    : naclCipher(keyPair.secretKey);
  const network = socketName === "deno" ? denoNetwork : denoBatchNetwork;
  const stack = await openUdpStack({ keyPair, cipher, network });
  console.log(`READY ${stack.host.localAddr.port} ${toHex(stack.dht.node.publicKey)}`);
  await new Promise<void>((r) => Deno.addSignalListener("SIGTERM", () => r()));
  const s = stack.dht.node.stats;
  await stack.close();
  console.error(
    `peerkit node: ${JSON.stringify({ pings: s.pingRequests, nodes: s.nodesRequests })}`,
  );
  Deno.exit(0);
}

const seconds = Number(flag("seconds", "2"));
const keys = Number(flag("keys", "512"));
const rates = flag("rates", "10000,20000,30000,40000,60000,80000,120000").split(",").map(Number);
const rounds = Number(flag("rounds", "3"));
/** A step counts as clean when at most this share of the offered requests went unanswered. */
const CLEAN_LOSS = 0.05;
const GENERATOR_TIMEOUT_MS = (seconds + 10) * 1000;

/** Pre-built requests from `keys` sender keys to `target` as length-prefixed records. */
function buildLoad(target: Uint8Array): Uint8Array {
  const packets: Uint8Array[] = [];
  for (let k = 0; k < keys; k++) {
    const me = nacl.keyPair();
    const key = nacl.sharedKey(target, me.secretKey);
    for (let j = 0; j < 4; j++) {
      const pingId = nacl.randomBytes(8);
      const nonce = nacl.randomBytes(24);
      packets.push(
        j % 2 === 0
          ? sealDhtPacket({ type: "pingRequest", pingId }, me.publicKey, key, nonce)
          : sealDhtPacket(
            { type: "nodesRequest", target: nacl.randomBytes(32), pingId },
            me.publicKey,
            key,
            nonce,
          ),
      );
    }
  }
  return records(packets);
}

interface Step {
  offered: number;
  answered: number;
}

/** Offers `rate` requests/s for `seconds` from the C generator; returns rates per second. */
async function drive(bin: string, port: number, pk: Uint8Array, file: string, rate: number) {
  const child = new Deno.Command(bin, {
    args: [String(port), toHex(pk), String(rate), String(seconds), file],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch { /* gone */ }
  }, GENERATOR_TIMEOUT_MS);
  const out = await child.output().finally(() => clearTimeout(timer));
  const text = new TextDecoder().decode(out.stdout);
  const m = /sent (\d+) answered (\d+) seconds ([\d.]+)/.exec(text);
  if (!out.success || !m) {
    throw new Error(`load generator failed: ${text}${new TextDecoder().decode(out.stderr)}`);
  }
  const elapsed = Number(m[3]);
  return {
    offered: Math.round(Number(m[1]) / elapsed),
    answered: Math.round(Number(m[2]) / elapsed),
  } satisfies Step;
}

function summarise(steps: Step[]) {
  const clean = steps.filter((s) => s.answered >= s.offered * (1 - CLEAN_LOSS));
  const top = Math.max(...rates);
  const atTop = steps.filter((_, i) => rates[i % rates.length] === top);
  return {
    clean: Math.max(0, ...clean.map((s) => s.answered)),
    peak: Math.max(0, ...steps.map((s) => s.answered)),
    saturated: Math.round(atTop.reduce((n, s) => n + s.answered, 0) / Math.max(1, atTop.length)),
  };
}

console.log(`DHT answered requests per second, ${keys} sender keys, ${seconds} s per step,`);
console.log(
  `steps alternate between the two targets, ${rounds} rounds, load from bench/dht_load.c`,
);

const tmp = await Deno.makeTempDir({ prefix: "peerkit-dht-rate-" });
const bin = await compileBenchC("dht_load", tmp).catch(async (e) => {
  await Deno.remove(tmp, { recursive: true }).catch(() => {});
  console.error(
    `dht_rate: cannot build bench/dht_load.c (needs gcc): ${e instanceof Error ? e.message : e}`,
  );
  Deno.exit(1);
});
// Both targets up: tox-bootstrapd (c-toxcore 0.2.18) and a peerkit node in its own process.
const daemon = await startBootstrapd({ tcpRelay: false });
const child = new Deno.Command(Deno.execPath(), {
  args: [
    "run",
    "-A",
    new URL(import.meta.url).pathname,
    "--serve",
    "--backend",
    backendName,
    "--socket",
    socketName,
  ],
  stdout: "piped",
  stderr: "inherit",
}).spawn();
const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
let line = "";
while (!line.includes("\n")) {
  const { value, done } = await reader.read();
  if (done) break;
  line += value;
}
const m = /READY (\d+) ([0-9a-f]{64})/.exec(line);
try {
  if (!m) throw new Error(`peerkit node did not start: ${line}`);
  const targets = [
    { name: "tox-bootstrapd", port: daemon.udpPort, pk: daemon.publicKey, steps: [] as Step[] },
    {
      name: `peerkit (${backendName}, ${socketName})`,
      port: Number(m[1]),
      pk: fromHex(m[2]!),
      steps: [] as Step[],
    },
  ];
  const files: string[] = [];
  for (const [i, t] of targets.entries()) {
    files[i] = `${tmp}/load-${i}.bin`;
    await Deno.writeFile(files[i]!, buildLoad(t.pk));
  }
  console.log(`\nround  offered/s  ${targets.map((t) => t.name.padStart(30)).join("")}`);
  for (let round = 1; round <= rounds; round++) {
    for (const rate of rates) {
      const cells: string[] = [];
      for (const [i, t] of targets.entries()) {
        const r = await drive(bin, t.port, t.pk, files[i]!, rate);
        t.steps.push(r);
        cells.push(`${r.offered}->${r.answered}`.padStart(30));
      }
      console.log(`${String(round).padStart(5)}  ${String(rate).padStart(9)}  ${cells.join("")}`);
    }
  }
  const [a, b] = targets.map((t) => summarise(t.steps));
  console.log(
    `\n${"".padEnd(30)}${"best clean/s".padStart(14)}${"peak/s".padStart(10)}${
      `at ${Math.max(...rates)}/s`.padStart(14)
    }`,
  );
  for (const [i, t] of targets.entries()) {
    const s = i === 0 ? a! : b!;
    console.log(
      `${t.name.padEnd(30)}${String(s.clean).padStart(14)}${String(s.peak).padStart(10)}${
        String(s.saturated).padStart(14)
      }`,
    );
  }
  const ratio = (x: number, y: number) => (y > 0 ? (x / y).toFixed(2) + "x" : "n/a");
  console.log(
    `${"ratio peerkit/bootstrapd".padEnd(30)}${ratio(b!.clean, a!.clean).padStart(14)}${
      ratio(b!.peak, a!.peak).padStart(10)
    }${ratio(b!.saturated, a!.saturated).padStart(14)}`,
  );
  console.log(
    `(clean = at most ${CLEAN_LOSS * 100}% of the offered requests unanswered; ` +
      `the last column is the mean over rounds at the highest offered rate)`,
  );
} finally {
  await daemon.stop();
  child.kill("SIGTERM");
  await child.status;
  reader.releaseLock();
  await child.stdout.cancel().catch(() => {});
  await Deno.remove(tmp, { recursive: true }).catch(() => {});
}
