import assert from "node:assert/strict";
import fc from "fast-check";
import { type Addr, type Dependence, parseAddr } from "../../lib/net/mod.ts";
import { host, ONE, S1, S2, S3, world } from "./_nat_world.ts";

const KINDS: Dependence[] = [
  "endpoint-independent",
  "address-dependent",
  "address-and-port-dependent",
];
const SERVERS = [S1, S2, S3];

/** What a mapping or a filter keys on, for a remote `a` under dependence `d`. */
function keyOf(d: Dependence, a: Addr): string {
  if (d === "endpoint-independent") return "";
  return d === "address-dependent" ? a.hostname : `${a.hostname}:${a.port}`;
}

Deno.test("Nat admits an inbound packet exactly when RFC 4787's mapping and filtering rules say so", () => {
  fc.assert(fc.property(
    fc.constantFrom(...KINDS),
    fc.constantFrom(...KINDS),
    fc.array(
      fc.oneof(
        fc.record({ send: fc.integer({ min: 0, max: 2 }) }),
        fc.record({ from: fc.integer({ min: 0, max: 2 }), to: fc.integer({ min: 0, max: 2 }) }),
      ),
      { maxLength: 40 },
    ),
    (mapping, filtering, actions) => {
      const w = world();
      const nat = w.nat({ mapping, filtering, ports: "sequential" });
      const h = host(nat, { hostname: "10.0.1.2", port: 5000 });
      const sentTo = new Set<number>(); // servers the host has sent to
      for (const a of actions) {
        if ("send" in a) {
          h.ep.send(ONE, SERVERS[a.send]!);
          sentTo.add(a.send);
          w.clock.advance(1);
          continue;
        }
        // Server `from` sends to the public address that server `to` saw, if it saw one.
        const seen = w.servers[a.to]!.from[0];
        if (seen === undefined) continue;
        const before = h.got.length;
        w.servers[a.from]!.ep.send(ONE, parseAddr(seen));
        w.clock.advance(1);
        const mappingOfTo = keyOf(mapping, SERVERS[a.to]!);
        const admitted = [...sentTo].some((k) =>
          keyOf(mapping, SERVERS[k]!) === mappingOfTo &&
          keyOf(filtering, SERVERS[k]!) === keyOf(filtering, SERVERS[a.from]!)
        );
        assert.equal(
          h.got.length - before,
          admitted ? 1 : 0,
          JSON.stringify({ a, sentTo: [...sentTo] }),
        );
      }
      const s = nat.stats;
      assert.equal(s.inbound, h.got.length);
    },
  ));
});
