/**
 * Relay clients that abuse a TCP relay for bench/attack.ts, run as their own process:
 * CLIENTS clients finish the handshake, then each writes as fast as the relay reads, for
 * SECONDS, one of
 *
 * - `routes`: routing requests (id 0) for random keys,
 * - `oob`: out-of-band sends (id 6) of 256 bytes to random keys,
 * - `onion`: TCP onion requests (id 8) whose next hop is a random 127.x.y.z address,
 * - `ffff`: one 0xFFFF frame length (more than any frame may have), then nothing.
 *
 *   deno run -A bench/_attack_relay.ts PORT PUBKEY_HEX CLIENTS SECONDS routes|oob|onion|ffff
 *
 * Prints one line: "sent <frames> clients <n> seconds <s>".
 *
 * @example
 * ```sh ignore
 * deno run -A bench/_attack_relay.ts 33445 <64 hex> 50 10 onion
 * ```
 * @module
 */
import { backend, loadSodium, setBackend } from "../lib/crypto/mod.ts";
import { buildOnionPacketTcp, createOnionPath } from "../lib/onion/client_packets.ts";
import {
  createClientHandshake,
  encodePacket,
  FrameCodec,
  openServerHandshake,
  type RelayPacket,
} from "../lib/relay/mod.ts";
import { concat, fromHex } from "../lib/util/bytes.ts";

/** Frames written per write. */
const BATCH = 32;
/** Distinct packets each client cycles through. */
const POOL = 64;

const [portText, pkHex, clientsText, secondsText, mode] = Deno.args;
const port = Number(portText), clients = Number(clientsText), seconds = Number(secondsText);
if (
  !port || !pkHex || pkHex.length !== 64 || !(clients > 0 && clients <= 1000) ||
  !(seconds > 0 && seconds <= 60) || !["routes", "oob", "onion", "ffff"].includes(mode ?? "")
) {
  console.error(
    "usage: _attack_relay.ts PORT PUBKEY_HEX CLIENTS(1..1000) SECONDS(..60) routes|oob|onion|ffff",
  );
  Deno.exit(2);
}
setBackend(await loadSodium());
const b = backend();
const serverPk = fromHex(pkHex);

function randomLoopback(): { hostname: string; port: number } {
  const r = b.randomBytes(5);
  return {
    hostname: `127.${r[0]}.${r[1]}.${r[2]! | 1}`,
    port: 1024 + ((r[3]! << 8 | r[4]!) % 60000),
  };
}

function packet(): RelayPacket {
  if (mode === "routes") return { type: "routingRequest", publicKey: b.randomBytes(32) };
  if (mode === "oob") {
    return { type: "oobSend", publicKey: b.randomBytes(32), data: b.randomBytes(256) };
  }
  const node = () => ({ publicKey: b.keyPair().publicKey, addr: randomLoopback() });
  const path = createOnionPath([node(), node(), node()], b.keyPair());
  return {
    type: "onionRequest",
    data: buildOnionPacketTcp(path, randomLoopback(), b.randomBytes(100)),
  };
}

const pool = mode === "ffff" ? [] : Array.from({ length: POOL }, packet).map(encodePacket);
const deadline = performance.now() + seconds * 1000;
let sent = 0;

async function client(): Promise<void> {
  const kp = b.keyPair();
  let conn: Deno.TcpConn | undefined;
  const timer = setTimeout(() => conn?.close(), seconds * 1000 + 2000);
  try {
    conn = await Deno.connect({ hostname: "127.0.0.1", port });
    const h = createClientHandshake(kp, serverPk);
    await conn.write(h.bytes);
    const reply = new Uint8Array(96);
    for (let got = 0; got < 96;) {
      const n = await conn.read(reply.subarray(got));
      if (n === null) return;
      got += n;
    }
    const keys = openServerHandshake(h, serverPk, kp.secretKey, reply);
    if (!keys) return;
    const codec = new FrameCodec(keys);
    // Whatever the relay answers is read and dropped, so it never blocks on us.
    const sink = new Uint8Array(65536);
    const drain = (async () => {
      try {
        while ((await conn!.read(sink)) !== null) { /* dropped */ }
      } catch { /* closed */ }
    })();
    if (mode === "ffff") {
      await conn.write(new Uint8Array([0xff, 0xff]));
      sent++;
      while (performance.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    }
    let i = 0;
    while (mode !== "ffff" && performance.now() < deadline) {
      const frames: Uint8Array[] = [];
      for (let k = 0; k < BATCH; k++) frames.push(codec.seal(pool[i++ % POOL]!));
      await conn.write(concat(...frames));
      sent += BATCH;
    }
    conn.close();
    conn = undefined;
    await drain;
  } catch {
    /* refused, reset or closed: that client is done */
  } finally {
    clearTimeout(timer);
    try {
      conn?.close();
    } catch { /* closed */ }
  }
}

const start = performance.now();
await Promise.all(Array.from({ length: clients }, client));
console.log(
  `sent ${sent} clients ${clients} seconds ${((performance.now() - start) / 1000).toFixed(3)}`,
);
