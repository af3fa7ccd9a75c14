import assert from "node:assert/strict";
import { DhtLists } from "../../lib/dht/lists.ts";
import { PendingTable } from "../../lib/dht/pending.ts";
import { ClientList } from "../../lib/dht/client_list.ts";
import { TOXCORE_SIZES, TOXCORE_TIMINGS } from "../../lib/dht/constants.ts";
import { bucketIndex } from "../../lib/dht/distance.ts";

const self = new Uint8Array(32);
/** A key in bucket 0 (first bit differs), distinct by its last byte. */
const far = (i: number) => {
  const k = new Uint8Array(32);
  k[0] = 0x80;
  k[31] = i;
  return k;
};
const addr = (i: number) => ({ hostname: `20.0.0.${i}`, port: 33445 });

Deno.test("close list: a full bucket of good nodes refuses newcomers; a bad slot is reused", () => {
  const l = new DhtLists(self, TOXCORE_SIZES, TOXCORE_TIMINGS);
  for (let i = 0; i < 8; i++) l.add(far(i), addr(i), 0);
  assert.equal(bucketIndex(self, far(0), 128), 0);
  assert.equal(l.size(1).entries, 8);
  assert.equal(l.couldEnterClose(far(9), 1000), false);
  l.add(far(9), addr(9), 1000);
  assert.equal(l.closeAddr(far(9)), undefined, "no eviction of good nodes");
  // entry 0 refreshed at 100 s; the others go bad at 122 s
  l.add(far(0), addr(0), 100_000);
  assert.equal(l.couldEnterClose(far(9), 122_000), true);
  l.add(far(9), addr(9), 122_000);
  assert.deepEqual(l.closeAddr(far(9)), addr(9));
  assert.deepEqual(l.closeAddr(far(0)), addr(0));
  assert.equal(l.size(122_000).good, 2);
});

Deno.test("close list: a LAN address never replaces a non-LAN one", () => {
  const l = new DhtLists(self, TOXCORE_SIZES, TOXCORE_TIMINGS);
  l.add(far(1), addr(1), 0);
  l.add(far(1), { hostname: "192.168.1.5", port: 1 }, 10);
  assert.deepEqual(l.closeAddr(far(1)), addr(1));
});

Deno.test("regression: a known key speaking from a new address is worth a ping, and its answer moves it", () => {
  const l = new DhtLists(self, TOXCORE_SIZES, TOXCORE_TIMINGS);
  for (let i = 0; i < 8; i++) l.add(far(i), addr(i), 0);
  const moved = { hostname: "20.0.0.1", port: 40000 };
  assert.equal(l.couldEnterClose(far(1), 1000), false, "no address: nothing new");
  assert.equal(l.couldEnterClose(far(1), 1000, addr(1)), false, "same address: nothing new");
  assert.equal(l.couldEnterClose(far(1), 1000, moved), true, "a full bucket still pings it");
  l.add(far(1), moved, 1000);
  assert.deepEqual(l.closeAddr(far(1)), moved);
  assert.equal(l.couldEnterClose(far(1), 2000, moved), false);
});

Deno.test("search list keeps the 8 closest to the searched key", () => {
  const l = new DhtLists(self, TOXCORE_SIZES, TOXCORE_TIMINGS);
  const target = new Uint8Array(32).fill(0x11);
  l.searches.set("t", {
    publicKey: target,
    list: new ClientList(8),
    toBootstrap: [],
    lastGetNodes: 0,
    bootstrapTimes: 0,
  });
  for (let i = 0; i < 20; i++) {
    const k = new Uint8Array(32).fill(0x11);
    k[0] = 0x11 ^ (i + 1); // distance grows with i
    l.add(k, addr(i), 0);
  }
  const kept = l.listNodes(l.searches.get("t")!.list, true, 1).map((n) => n.publicKey[0]! ^ 0x11);
  assert.deepEqual(kept.sort((a, b) => a - b), [1, 2, 3, 4, 5, 6, 7, 8]);
});

Deno.test("pending requests: only the asked key, address and kind, in time, once", () => {
  const t = new PendingTable(2, 5000);
  const pk = new Uint8Array(32).fill(1), a = addr(1);
  const id = (n: number) => new Uint8Array(8).fill(n);
  t.add(id(1), { pk, addr: a, kind: 2, sentAt: 0 });
  assert.equal(t.take(id(1), pk, addr(2), 1, 2), undefined);
  assert.equal(t.take(id(1), new Uint8Array(32), a, 1, 2), undefined);
  assert.equal(t.take(id(1), pk, a, 1, 0), undefined);
  assert.equal(t.take(id(1), pk, a, 5001, 2), undefined);
  assert.ok(t.take(id(1), pk, a, 4999, 2));
  assert.equal(t.take(id(1), pk, a, 4999, 2), undefined);
  t.add(id(2), { pk, addr: a, kind: 0, sentAt: 0 });
  t.add(id(3), { pk, addr: a, kind: 0, sentAt: 1 });
  assert.ok(t.add(id(4), { pk, addr: a, kind: 0, sentAt: 2 }), "the oldest is evicted");
  assert.equal(t.expire(5002).length, 1);
  assert.equal(t.size, 1);
});
