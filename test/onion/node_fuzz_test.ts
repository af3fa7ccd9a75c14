import assert from "node:assert/strict";
import fc from "fast-check";
import { backend } from "../../lib/crypto/mod.ts";
import {
  buildAnnounceRequest,
  buildOnionPacket,
  createOnionPath,
  OnionNode,
} from "../../lib/onion/mod.ts";
import { OnionTestNet } from "./_path.ts";

const FROM = { hostname: "127.0.0.1", port: 5000 };
const KINDS = [0x80, 0x81, 0x82, 0x83, 0x85, 0x8c, 0x8d, 0x8e];

Deno.test("OnionNode.handleUdp() never throws on random datagrams of onion kinds and counts drops", () => {
  const node = new OnionNode({ keyPair: backend().keyPair(), closestNodes: () => [] });
  let sent = 0;
  fc.assert(
    fc.property(fc.constantFrom(...KINDS), fc.uint8Array({ maxLength: 1500 }), (kind, body) => {
      sent++;
      assert.deepEqual(node.handleUdp(new Uint8Array([kind, ...body]), FROM, 0), []);
    }),
    { numRuns: 400 },
  );
  assert.equal(node.stats.dropped, sent);
});

Deno.test("OnionNode.handleTcpRequest() never throws on random payloads", () => {
  const node = new OnionNode({ keyPair: backend().keyPair(), closestNodes: () => [] });
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 1500 }), fc.nat(), (payload, client) => {
      assert.deepEqual(node.handleTcpRequest(payload, client, 0), []);
    }),
    { numRuns: 300 },
  );
});

Deno.test("OnionNode drops bit-flipped copies of a valid path packet at every hop", () => {
  const net = new OnionTestNet();
  const [a, b, c, d] = [net.add(1), net.add(2), net.add(3), net.add(4)];
  const real = backend().keyPair();
  const hop = (n: typeof a) => ({ publicKey: n.keyPair.publicKey, addr: n.addr });
  const path = createOnionPath([hop(a), hop(b), hop(c)], backend().keyPair());
  const req = buildAnnounceRequest({
    destPublicKey: d.keyPair.publicKey,
    sender: real,
    pingId: new Uint8Array(32),
    searchedPublicKey: real.publicKey,
    dataPublicKey: new Uint8Array(32),
    sendback: new Uint8Array(8),
  });
  net.send(FROM, a.addr, buildOnionPacket(path, d.addr, req), 0);
  assert.equal(net.take(FROM).length, 1);
  const hops = net.trace.slice(0, 7);
  fc.assert(
    fc.property(fc.nat(hops.length - 1), fc.nat(), fc.integer({ min: 0, max: 7 }), (h, at, bit) => {
      const { to, data } = hops[h]!;
      const target = net.nodes.get(to)!;
      const m = data.slice();
      const i = 1 + (at % (m.length - 1));
      m[i]! ^= 1 << bit;
      const before = target.node.stats.dropped;
      const out = target.node.handleUdp(m, FROM, 0);
      if (out.length === 0) assert.equal(target.node.stats.dropped, before + 1);
    }),
    { numRuns: 300 },
  );
});
