import assert from "node:assert/strict";
import fc from "fast-check";
import { tweetnaclBackend as nacl } from "../../lib/crypto/backend.ts";
import {
  decodeDhtPacket,
  type DhtMessage,
  encodeLanDiscovery,
  encodeNatPing,
  sealDhtPacket,
  sealRoutedPacket,
} from "../../lib/dht/wire.ts";
import type { NodeInfo } from "../../lib/dht/packed_node.ts";
import { WireError } from "../../lib/util/wire_error.ts";
import { encodeStun, isStunPacket } from "../../lib/nat/wire.ts";
import { MAGIC_COOKIE } from "../../lib/nat/constants.ts";

const a = nacl.keyPairFromSecretKey(new Uint8Array(32).fill(0x11));
const b = nacl.keyPairFromSecretKey(new Uint8Array(32).fill(0x22));
const key = nacl.sharedKey(b.publicKey, a.secretKey);

function node(i: number, v6: boolean): NodeInfo {
  return {
    publicKey: new Uint8Array(32).fill(i),
    addr: { hostname: v6 ? `2001:db8::${i + 1}` : `192.0.2.${i + 1}`, port: 33445 + i },
  };
}

/** Every kind of Tox DHT packet peerkit builds, for a few nonces and payload sizes. */
function toxPackets(): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let s = 0; s < 8; s++) {
    const nonce = new Uint8Array(24).fill(s * 31);
    const pingId = new Uint8Array(8).fill(s);
    const messages: DhtMessage[] = [
      { type: "pingRequest", pingId },
      { type: "pingResponse", pingId },
      { type: "nodesRequest", target: b.publicKey, pingId },
    ];
    for (let k = 0; k <= 4; k++) {
      messages.push({
        type: "nodesResponse",
        nodes: Array.from({ length: k }, (_, i) => node(i, (i + s) % 2 === 0)),
        pingId,
      });
    }
    for (const m of messages) out.push(sealDhtPacket(m, a.publicKey, key, nonce));
    const natPing = encodeNatPing({ response: s % 2 === 1, pingId });
    out.push(sealRoutedPacket(b.publicKey, a.publicKey, 254, natPing.subarray(1), key, nonce));
    out.push(encodeLanDiscovery(a.publicKey));
  }
  return out;
}

Deno.test("isStunPacket() takes no Tox DHT packet for STUN", () => {
  const packets = toxPackets();
  assert.ok(packets.length > 50);
  for (const p of packets) {
    assert.equal(isStunPacket(p), false);
    assert.equal(isStunPacket(p, { legacy: true }), false);
  }
});

Deno.test("isStunPacket() rejects random 0x00/0x01 datagrams of the Tox sizes", () => {
  const sizes = [82, 113, 33, 121, 133, 160, 172, 184, 286];
  fc.assert(
    fc.property(
      fc.constantFrom(0x00, 0x01, 0x02, 0x04, 0x20, 0x21),
      fc.constantFrom(...sizes),
      fc.uint8Array({ minLength: 286, maxLength: 286 }),
      (kind, n, rnd) => {
        const p = rnd.slice(0, n);
        p[0] = kind;
        assert.equal(isStunPacket(p), false);
        assert.equal(isStunPacket(p, { legacy: true }), false);
      },
    ),
    { numRuns: 3000 },
  );
});

Deno.test("a ping-sized datagram is never STUN even with a cookie and a matching length", () => {
  for (const n of [82, 113, 33]) {
    const p = new Uint8Array(n);
    p[0] = 0x00;
    p[1] = 0x01;
    new DataView(p.buffer).setUint16(2, n - 20);
    new DataView(p.buffer).setUint32(4, MAGIC_COOKIE);
    assert.equal(isStunPacket(p), false, `size ${n}`);
    assert.equal(isStunPacket(p, { legacy: true }), false, `size ${n}`);
  }
});

Deno.test("no STUN Binding message is taken for a Tox DHT packet", () => {
  const cls = fc.constantFrom("request", "indication", "success", "error") as fc.Arbitrary<
    "request" | "indication" | "success" | "error"
  >;
  fc.assert(
    fc.property(
      cls,
      fc.uint8Array({ minLength: 12, maxLength: 12 }),
      fc.string({ maxLength: 300 }),
      fc.boolean(),
      (c, transactionId, text, fingerprint) => {
        const m = encodeStun({
          class: c,
          method: 1,
          transactionId,
          attributes: text ? [{ type: "software", text }] : [],
          fingerprint,
        });
        assert.ok(isStunPacket(m));
        assert.throws(() => decodeDhtPacket(m), WireError);
      },
    ),
    { numRuns: 1000 },
  );
});
