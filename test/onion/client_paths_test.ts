import assert from "node:assert/strict";
import { backend } from "../../lib/crypto/mod.ts";
import { TOXCORE_ONION_CLIENT } from "../../lib/onion/client_constants.ts";
import { AnnounceList } from "../../lib/onion/client_list.ts";
import { PathSet, randomInt, seededRandom } from "../../lib/onion/client_paths.ts";

const node = (i: number) => ({
  publicKey: new Uint8Array(32).fill(i),
  addr: { hostname: `10.0.0.${i}`, port: 33445 },
});
const NODES = [1, 2, 3, 4, 5].map(node);

function set(seed = 1): PathSet {
  return new PathSet(TOXCORE_ONION_CLIENT, backend().keyPair(), seededRandom(seed));
}

Deno.test("PathSet.pick() builds paths of three distinct nodes, or none with fewer than three", () => {
  const s = set();
  for (let i = 0; i < 20; i++) {
    const p = s.pick(0, NODES, [])!;
    const ids = new Set(p.path.nodes.map((n) => n.publicKey[0]));
    assert.equal(ids.size, 3);
  }
  assert.equal(set().pick(0, NODES.slice(0, 2), []), null);
  assert.ok(s.created <= TOXCORE_ONION_CLIENT.paths, "live slots are reused");
});

Deno.test("a never-answered path dies 4 s after its 4th unanswered use, an answered one after 10 s", () => {
  const s = set();
  const p = s.pick(0, NODES, [])!;
  for (let i = 0; i < 3; i++) s.used(p, 0);
  assert.ok(!s.isDead(p, 100_000), "3 unanswered uses are not enough");
  s.used(p, 1000);
  s.used(p, 3000);
  assert.ok(!s.isDead(p, 1000 + 3999));
  assert.ok(s.isDead(p, 1000 + 4000));
  s.answered(p.id, 5000);
  assert.ok(!s.isDead(p, 5000));
  for (let i = 0; i < 4; i++) s.used(p, 6000);
  assert.ok(!s.isDead(p, 6000 + 9999));
  assert.ok(s.isDead(p, 16_000));
  assert.equal(s.get(p.id, 16_000), undefined);
});

Deno.test("a path is dead after 1200 s however well it works, and pick() replaces dead slots", () => {
  const s = new PathSet(
    { ...TOXCORE_ONION_CLIENT, paths: 1 },
    backend().keyPair(),
    seededRandom(2),
  );
  const p = s.pick(0, NODES, [])!;
  s.answered(p.id, 1_199_999);
  assert.ok(!s.isDead(p, 1_199_999));
  assert.ok(s.isDead(p, 1_200_000));
  const q = s.pick(1_200_000, NODES, [])!;
  assert.notEqual(q.id, p.id);
  assert.equal(s.created, 2);
  assert.deepEqual(s.live(1_200_000).map((x) => x.id), [q.id]);
});

Deno.test("with relays, hop A of every path is a relay and the path names it", () => {
  const s = set(3);
  const relay = { id: "r1", ...node(9) };
  for (let i = 0; i < 10; i++) {
    const p = s.pick(0, NODES, [relay])!;
    assert.equal(p.relay, "r1");
    assert.equal(p.path.nodes[0].publicKey[0], 9);
  }
});

Deno.test("seededRandom() is deterministic per seed and randomInt() stays in range", () => {
  assert.deepEqual(seededRandom(5)(100), seededRandom(5)(100));
  assert.notDeepEqual(seededRandom(5)(32), seededRandom(6)(32));
  const r = seededRandom(1);
  const seen = new Set<number>();
  for (let i = 0; i < 600; i++) {
    const x = randomInt(r, 6);
    assert.ok(x >= 0 && x < 6);
    seen.add(x);
  }
  assert.equal(seen.size, 6);
});

Deno.test("AnnounceList keeps the closest nodes sorted and evicts the furthest when full", () => {
  const target = new Uint8Array(32);
  const l = new AnnounceList(target, 3);
  for (const i of [9, 3, 7]) l.upsert(new Uint8Array(32).fill(i), node(i).addr, 0);
  assert.deepEqual(l.entries.map((e) => e.publicKey[0]), [3, 7, 9]);
  assert.ok(
    l.full && !l.wouldAdd(new Uint8Array(32).fill(10)) && l.wouldAdd(new Uint8Array(32).fill(1)),
  );
  assert.ok(!l.wouldAdd(new Uint8Array(32).fill(3)), "already present");
  l.upsert(new Uint8Array(32).fill(1), node(1).addr, 0);
  assert.deepEqual(l.entries.map((e) => e.publicKey[0]), [1, 3, 7]);
  assert.equal(l.upsert(new Uint8Array(32).fill(12), node(12).addr, 0), undefined);
});

Deno.test("AnnounceList drops a node after 3 unanswered pings once the last is 15 s old", () => {
  const l = new AnnounceList(new Uint8Array(32), 8);
  const e = l.upsert(new Uint8Array(32).fill(1), node(1).addr, 0)!;
  e.pingsSinceResponse = 2;
  e.lastPinged = 0;
  assert.equal(l.expire(100_000, 3, 15_000), 0);
  e.pingsSinceResponse = 3;
  assert.equal(l.expire(14_999, 3, 15_000), 0);
  assert.equal(l.expire(15_000, 3, 15_000), 1);
  assert.equal(l.size, 0);
});
