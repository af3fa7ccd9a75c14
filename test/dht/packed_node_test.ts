import assert from "node:assert/strict";
import fc from "fast-check";
import {
  type NodeInfo,
  packIpPort,
  packNodes,
  unpackIpPort,
  unpackNodes,
} from "../../lib/dht/packed_node.ts";
import { formatIp, parseIp } from "../../lib/net/mod.ts";
import { fromHex, toHex } from "../../lib/util/bytes.ts";
import { WireError } from "../../lib/util/wire_error.ts";

const PK = fromHex("0102030405060708091011121314151617181920212223242526272829303132");

Deno.test("packNodes: IPv4 node golden bytes (family 2, address, port BE, key last)", () => {
  const bytes = packNodes([{ publicKey: PK, addr: { hostname: "127.0.0.1", port: 33445 } }]);
  assert.equal(toHex(bytes), "027f00000182a5" + toHex(PK));
});

Deno.test("packNodes: IPv6 and TCP families golden bytes", () => {
  assert.equal(
    toHex(packIpPort({ hostname: "::1", port: 443 })),
    "0a" + "00".repeat(15) + "01" + "01bb",
  );
  assert.equal(toHex(packIpPort({ hostname: "1.2.3.4", port: 1 }, true)), "820102030400" + "01");
  assert.equal(toHex(packIpPort({ hostname: "::2", port: 1 }, true)).slice(0, 2), "8a");
});

Deno.test("packIpPort packs an IPv4-mapped IPv6 address as IPv4", () => {
  assert.equal(toHex(packIpPort({ hostname: "::ffff:10.0.0.1", port: 2 })), "020a0000010002");
});

const nodeArb: fc.Arbitrary<NodeInfo> = fc.record({
  publicKey: fc.uint8Array({ minLength: 32, maxLength: 32 }),
  addr: fc.record({
    hostname: fc.oneof(fc.ipV4(), fc.ipV6()).map((h) => formatIp(parseIp(h)!)),
    port: fc.integer({ min: 0, max: 65535 }),
  }),
  tcp: fc.boolean(),
}).map((n) => (n.tcp ? n : { publicKey: n.publicKey, addr: n.addr }));

Deno.test("unpackNodes(packNodes(ns)) returns ns (IPv4-mapped normalised)", () => {
  fc.assert(fc.property(fc.array(nodeArb, { maxLength: 6 }), (ns) => {
    const bytes = packNodes(ns);
    const r = unpackNodes(bytes, { allowTcp: true });
    assert.equal(r.size, bytes.length);
    assert.equal(r.nodes.length, ns.length);
    r.nodes.forEach((n, i) => {
      assert.deepEqual(n.publicKey, ns[i]!.publicKey);
      assert.equal(n.addr.port, ns[i]!.addr.port);
      assert.deepEqual(packNodes([n]), packNodes([ns[i]!]));
    });
  }));
});

Deno.test("unpackNodes refuses TCP families unless allowed", () => {
  const bytes = packNodes([{ publicKey: PK, addr: { hostname: "1.2.3.4", port: 5 }, tcp: true }]);
  assert.throws(() => unpackNodes(bytes), (e) => e instanceof WireError && e.code === "BAD_FAMILY");
  assert.equal(unpackNodes(bytes, { allowTcp: true }).nodes[0]?.tcp, true);
});

Deno.test("unpackIpPort/unpackNodes: truncation and bit flips raise only WireError", () => {
  fc.assert(fc.property(
    fc.array(nodeArb, { minLength: 1, maxLength: 4 }),
    fc.nat(),
    fc.nat(),
    (ns, cut, flip) => {
      const bytes = packNodes(ns);
      const variants = [bytes.subarray(0, cut % bytes.length), bytes.slice()];
      variants[1]![flip % bytes.length]! ^= 0xff;
      for (const v of variants) {
        try {
          unpackNodes(v, { allowTcp: true });
          unpackIpPort(v, 0, true);
        } catch (e) {
          assert.ok(e instanceof WireError, String(e));
        }
      }
    },
  ));
});
