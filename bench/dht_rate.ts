/**
 * Side by side: answered DHT requests per second of one peerkit node and of one
 * tox-bootstrapd (c-toxcore 0.2.18), under the same load generator — many sender keys, a mix
 * of ping requests (0x00) and nodes requests (0x02) at increasing offered rates over UDP on
 * 127.0.0.1. Each target runs in its own process; the generator counts valid-looking
 * responses (0x01 / 0x04 from the target's key). Steps alternate between the targets so that
 * background load hits both alike; the best answered rate of each is compared.
 *
 *   deno run -A bench/dht_rate.ts [--seconds 2] [--keys 512] [--rounds 2]
 *                                 [--rates 10000,20000,30000,40000,80000]
 *                                 [--backend libsodium|tweetnacl]
 *
 * `libsodium` (default) is the node's `sodiumCipher` (raw WebAssembly calls); `tweetnacl` is
 * the pure JavaScript `naclCipher`.
 *
 * @module
 */
import { tweetnaclBackend as nacl } from "../lib/crypto/backend.ts";
import { naclCipher, sodiumCipher } from "../lib/dht/cipher.ts";
import { sealDhtPacket } from "../lib/dht/wire.ts";
import { DhtDriver } from "../lib/dht/driver.ts";
import { denoNetwork } from "../lib/net/deno.ts";
import { fromHex, toHex } from "../lib/util/bytes.ts";
import { startBootstrapd } from "../test/_support/toxcore.ts";

function flag(name: string, def: string): string {
  const i = Deno.args.indexOf(`--${name}`);
  return i >= 0 && Deno.args[i + 1] !== undefined ? Deno.args[i + 1]! : def;
}
const backendName = flag("backend", "libsodium");

if (Deno.args.includes("--serve")) {
  // Child mode: one peerkit DHT node on 127.0.0.1, until SIGTERM.
  const keyPair = nacl.keyPair();
  const cipher = backendName === "libsodium"
    ? await sodiumCipher(keyPair.secretKey)
    : naclCipher(keyPair.secretKey);
  const socket = await denoNetwork.bindDatagram({ hostname: "127.0.0.1", port: 0 });
  const driver = new DhtDriver({ socket, node: { keyPair, cipher } });
  driver.start();
  console.log(`READY ${socket.localAddr.port} ${toHex(driver.node.publicKey)}`);
  await new Promise<void>((r) => Deno.addSignalListener("SIGTERM", () => r()));
  const s = driver.node.stats;
  await driver.close();
  console.error(JSON.stringify({ pings: s.pingRequests, nodes: s.nodesRequests }));
  Deno.exit(0);
}

const seconds = Number(flag("seconds", "2"));
const keys = Number(flag("keys", "512"));
const rates = flag("rates", "10000,20000,30000,40000,80000").split(",").map(Number);
const rounds = Number(flag("rounds", "2"));

/** Pre-built requests from `keys` sender keys to `target`: half pings, half nodes requests. */
function buildLoad(target: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let k = 0; k < keys; k++) {
    const me = nacl.keyPair();
    const key = nacl.sharedKey(target, me.secretKey);
    for (let j = 0; j < 4; j++) {
      const pingId = nacl.randomBytes(8);
      const nonce = nacl.randomBytes(24);
      out.push(
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
  return out;
}

/** Offers `rate` requests/s for `seconds`; returns answered per second. */
async function drive(port: number, targetPk: Uint8Array, load: Uint8Array[], rate: number) {
  const sock = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const to = { transport: "udp" as const, hostname: "127.0.0.1", port };
  const pkHex = toHex(targetPk);
  let answered = 0, sent = 0, stop = false;
  const recv = (async () => {
    while (!stop) {
      try {
        const [d] = await sock.receive();
        if ((d[0] === 1 || d[0] === 4) && d.length >= 82 && toHex(d.subarray(1, 33)) === pkHex) {
          answered++;
        }
      } catch {
        return;
      }
    }
  })();
  const start = performance.now();
  const end = start + seconds * 1000;
  let i = 0;
  while (performance.now() < end) {
    const due = Math.floor(((performance.now() - start) / 1000) * rate);
    const batch: Promise<number>[] = [];
    while (sent < due && batch.length < 256) {
      batch.push(sock.send(load[i++ % load.length]!, to));
      sent++;
    }
    if (batch.length) await Promise.all(batch);
    else await new Promise((r) => setTimeout(r, 1));
  }
  const elapsed = (performance.now() - start) / 1000;
  await new Promise((r) => setTimeout(r, 300)); // late answers
  stop = true;
  sock.close();
  await recv;
  return { offered: Math.round(sent / elapsed), answered: Math.round(answered / elapsed) };
}

console.log(`DHT answered requests per second, ${keys} sender keys, ${seconds} s per step,`);
console.log(
  `steps alternate between the two targets, ${rounds} rounds; offered->answered (requests/s)`,
);

// Both targets up: tox-bootstrapd (c-toxcore 0.2.18) and a peerkit node in its own process.
const daemon = await startBootstrapd({ tcpRelay: false });
const child = new Deno.Command(Deno.execPath(), {
  args: ["run", "-A", new URL(import.meta.url).pathname, "--serve", "--backend", backendName],
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
    { name: "tox-bootstrapd", port: daemon.udpPort, pk: daemon.publicKey, rows: [] as string[] },
    {
      name: `peerkit (${backendName})`,
      port: Number(m[1]),
      pk: fromHex(m[2]!),
      rows: [] as string[],
    },
  ];
  const loads = targets.map((t) => buildLoad(t.pk));
  const best = [0, 0];
  for (let round = 0; round < rounds; round++) {
    for (const rate of rates) {
      for (const [i, t] of targets.entries()) {
        const r = await drive(t.port, t.pk, loads[i]!, rate);
        t.rows.push(`${r.offered}->${r.answered}`);
        best[i] = Math.max(best[i]!, r.answered);
      }
    }
  }
  for (const [i, t] of targets.entries()) {
    console.log(`${t.name.padEnd(20)} ${t.rows.join("  ")}   max ${best[i]}/s`);
  }
  console.log(`ratio peerkit / tox-bootstrapd = ${(best[1]! / best[0]!).toFixed(2)}x`);
} finally {
  await daemon.stop();
  child.kill("SIGTERM");
  await child.status;
  reader.releaseLock();
  await child.stdout.cancel().catch(() => {});
}
