/**
 * A relay client over a real TCP connection that can send any packet (forward requests,
 * id 10, which `RelayClient` has no call for), for tests of a running relay.
 * @module
 */
import { backend } from "../../lib/crypto/mod.ts";
import {
  createClientHandshake,
  decodePacket,
  encodePacket,
  FrameCodec,
  FrameReader,
  openServerHandshake,
  type RelayPacket,
} from "../../lib/relay/mod.ts";

/** A relay client over a real TCP connection that can send any packet (here id 10). */
export async function rawClient(node: { publicKey: Uint8Array; tcpAddrs: { port: number }[] }) {
  const kp = backend().keyPair();
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: node.tcpAddrs[0]!.port });
  const h = createClientHandshake(kp, node.publicKey);
  await conn.write(h.bytes);
  const reply = new Uint8Array(96);
  const handshakeTimer = setTimeout(() => conn.close(), 10_000);
  try {
    for (let got = 0; got < 96;) {
      const n = await conn.read(reply.subarray(got));
      if (n === null) throw new Error("relay closed during the handshake");
      got += n;
    }
  } finally {
    clearTimeout(handshakeTimer);
  }
  const codec = new FrameCodec(openServerHandshake(h, node.publicKey, kp.secretKey, reply)!);
  const reader = new FrameReader();
  const buf = new Uint8Array(4096);
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    conn.close();
  };
  return {
    send: (p: RelayPacket) => conn.write(codec.seal(encodePacket(p))),
    /**
     * The next packet of `type`, skipping others; null when the relay closes or nothing comes
     * within `timeoutMs` (the connection is then closed).
     */
    async next(type: RelayPacket["type"], timeoutMs = 10_000): Promise<RelayPacket | null> {
      const timer = setTimeout(() => close(), timeoutMs);
      try {
        for (let i = 0; i < 100; i++) {
          const n = await conn.read(buf).catch(() => null);
          if (n === null) return null;
          for (const body of reader.push(buf.subarray(0, n))) {
            const p = decodePacket(codec.open(body)!.slice());
            if (p.type === type) return p;
          }
        }
        return null;
      } finally {
        clearTimeout(timer);
      }
    },
    close,
  };
}
