import assert from "node:assert/strict";
import { backend } from "../../lib/crypto/mod.ts";
import { encodeBootstrapInfoRequest } from "../../lib/dht/bootstrap_info.ts";
import { sealDhtPacket } from "../../lib/dht/wire.ts";
import { RelayNode } from "../../lib/relay/node.ts";
import { KNOWN_KINDS } from "../../bench/_attack_packets.ts";

const b = backend();

/** Sends `packets` from one fresh socket and returns the bytes answered within `ms`. */
async function answered(port: number, packets: Uint8Array[], ms = 700): Promise<number> {
  const s = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  let bytes = 0;
  const loop = (async () => {
    try {
      for (;;) bytes += (await s.receive())[0].length;
    } catch { /* closed */ }
  })();
  for (const p of packets) await s.send(p, { transport: "udp", hostname: "127.0.0.1", port });
  await new Promise((r) => setTimeout(r, ms));
  s.close();
  await loop;
  return bytes;
}

function dht(node: Uint8Array, m: Parameters<typeof sealDhtPacket>[0]): Uint8Array {
  const me = b.keyPair();
  return sealDhtPacket(m, me.publicKey, b.sharedKey(node, me.secretKey), b.randomBytes(24));
}

Deno.test("answers to an unverified address stay within c-toxcore's amplification factors", async () => {
  await using n = await RelayNode.start({
    keyPair: b.keyPair(),
    lanDiscovery: false,
    bootstrapInfo: { version: 1000001000, motd: "x".repeat(255) },
  });
  const port = n.udpAddr.port;
  const ping = dht(n.publicKey, { type: "pingRequest", pingId: b.randomBytes(8) });
  // A ping response of the same size (the ping back comes later, from the ping queue).
  assert.ok((await answered(port, [ping])) <= ping.length);
  // A nodes response lists at most 4 nodes: 286 bytes at most for 113 (c-toxcore's 2.5x).
  const nodes = dht(n.publicKey, {
    type: "nodesRequest",
    target: b.randomBytes(32),
    pingId: b.randomBytes(8),
  });
  assert.ok((await answered(port, [nodes])) <= 286);
  // Bootstrap info: 78 bytes in, at most 261 out; any other length, nothing.
  const info = encodeBootstrapInfoRequest();
  const got = await answered(port, [info]);
  assert.ok(got > 0 && got <= 261);
  assert.equal(await answered(port, [info.slice(0, 77), new Uint8Array([...info, 0])]), 0);
  // LAN discovery off: nothing for 33 bytes.
  const lan = new Uint8Array(33);
  lan[0] = 0x21;
  lan.set(b.keyPair().publicKey, 1);
  assert.equal(await answered(port, [lan]), 0);
  // Every known kind with a random body (but bootstrap info's exact size): nothing at all.
  const junk = KNOWN_KINDS.flatMap((k) =>
    [1, 33, 82, 113, 400].filter((len) => !(k === 0xf0 && len === 78)).map((len) => {
      const d = b.randomBytes(len);
      d[0] = k;
      return d;
    })
  );
  assert.equal(await answered(port, junk), 0);
});
