/**
 * FriendReach, the sans-IO friend-connection state machine: what a DHT-PK makes it do,
 * the session life cycle (online packet, alive, dead after 32 s, redial), a friend that
 * changed its DHT key, accept-only friends. Virtual time, no network.
 */
import assert from "node:assert/strict";
import type { NodeInfo } from "../../lib/dht/packed_node.ts";
import {
  FriendReach,
  MAX_DHTPK_RELAYS,
  PACKET_ID_ONLINE,
  type ReachAction,
  REDIAL_MS,
} from "../../lib/onion/reach_state.ts";
import { toHex } from "../../lib/util/bytes.ts";

const FRIEND = new Uint8Array(32).fill(1);
const DHT = new Uint8Array(32).fill(2);
const PEER = toHex(FRIEND);
const ADDR = { hostname: "127.0.0.1", port: 33445 };

function node(i: number, tcp = false): NodeInfo {
  return {
    publicKey: new Uint8Array(32).fill(100 + i),
    addr: { hostname: "127.0.0.1", port: 40000 + i },
    ...(tcp ? { tcp } : {}),
  };
}

function kinds(a: ReachAction[]): string[] {
  return a.map((x) => x.do);
}

function dhtpk(dhtPublicKey = DHT, nodes: NodeInfo[] = []) {
  return { publicKey: FRIEND, dhtPublicKey, nodes };
}

/** A reach with FRIEND added and its DHT-PK handled at 0; the actions drained. */
function found(dial = true): FriendReach {
  const r = new FriendReach();
  r.add(FRIEND, { dial });
  r.onDhtPk(dhtpk(), 0);
  r.drain();
  return r;
}

Deno.test("FriendReach: a DHT-PK makes a lookup from its UDP nodes, adds its relays (at most 2) and dials", () => {
  const r = new FriendReach();
  r.add(FRIEND);
  assert.deepEqual(r.drain(), [], "nothing before a DHT-PK");
  const nodes = [node(0, true), node(1), node(2, true), node(3, true), node(4)];
  r.onDhtPk(dhtpk(DHT, nodes), 0);
  const a = r.drain();
  assert.deepEqual(kinds(a), ["relays", "lookup", "dial"]);
  const [relays, lookup, dial] = a;
  assert.ok(relays?.do === "relays" && relays.relays.length === MAX_DHTPK_RELAYS);
  assert.ok(relays.relays.every((n) => n.tcp));
  assert.ok(lookup?.do === "lookup");
  assert.deepEqual(lookup.seeds.map((n) => n.addr.port), [40001, 40004]);
  assert.deepEqual(lookup.dhtKey, DHT);
  assert.ok(dial?.do === "dial" && dial.addr === undefined);
  assert.deepEqual(dial.dhtKey, DHT);
  // A second copy of the packet while the dial is under way dials nothing more.
  r.onDhtPk(dhtpk(DHT, nodes), 100);
  assert.ok(!kinds(r.drain()).includes("dial"));
  assert.equal(r.friend(FRIEND)?.dials, 1);
});

Deno.test("FriendReach: the address the DHT found goes to the session, and into the next dial", () => {
  const r = found();
  r.onAddr(DHT, ADDR, 10);
  const [direct] = r.drain();
  assert.ok(direct?.do === "direct" && direct.addr.port === ADDR.port);
  r.onAddr(new Uint8Array(32).fill(9), { hostname: "127.0.0.9", port: 1 }, 11);
  assert.deepEqual(r.drain(), [], "another key's address is not the friend's");
  r.onSession({ type: "closed", peer: PEER, reason: "timeout" }, 8000);
  r.handleTimeout(8000 + REDIAL_MS - 1);
  assert.deepEqual(r.drain(), [], "no redial before REDIAL_MS");
  assert.equal(r.nextTimeout(), 8000 + REDIAL_MS);
  r.handleTimeout(8000 + REDIAL_MS);
  const [dial] = r.drain();
  assert.ok(dial?.do === "dial" && dial.addr?.port === ADDR.port);
  assert.equal(r.friend(FRIEND)?.dials, 2);
});

Deno.test("FriendReach: established sends the online packet and marks the friend connected; alive every 8 s; dead after 32 s", () => {
  const r = found();
  r.onSession({ type: "established", peer: PEER }, 1000);
  const a = r.drain();
  assert.deepEqual(kinds(a), ["connected", "send"]);
  assert.ok(a[0]?.do === "connected" && a[0].connected);
  assert.ok(a[1]?.do === "send" && a[1].data[0] === PACKET_ID_ONLINE);
  r.handleTimeout(1000);
  const alive = r.drain();
  assert.ok(alive[0]?.do === "send" && alive[0].data[0] === 16, "alive [16] at once");
  r.handleTimeout(9000);
  assert.deepEqual(r.drain(), [], "not again within 8 s");
  r.handleTimeout(9001);
  assert.deepEqual(kinds(r.drain()), ["send"]);
  // Something from the friend at 20 s moves the deadline to 52 s.
  r.onSession({ type: "data", peer: PEER, data: new Uint8Array([64]) }, 20_000);
  r.handleTimeout(34_000);
  assert.ok(!kinds(r.drain()).includes("kill"), "alive at 34 s: heard at 20 s");
  r.handleTimeout(52_001);
  const dead = r.drain();
  assert.deepEqual(kinds(dead), ["kill", "connected"]);
  assert.ok(dead[1]?.do === "connected" && !dead[1].connected);
  assert.equal(r.friend(FRIEND)?.session, "none");
});

Deno.test("FriendReach: a DHT-PK with a new DHT key ends the session and dials the new key", () => {
  const r = found();
  r.onSession({ type: "established", peer: PEER }, 0);
  r.onAddr(DHT, ADDR, 0);
  r.drain();
  const next = new Uint8Array(32).fill(3);
  r.onDhtPk(dhtpk(next, [node(1)]), 5000);
  const a = r.drain();
  assert.deepEqual(kinds(a), ["kill", "connected", "lookup"]);
  // The killed session's own "closed" event changes nothing; the next round dials.
  r.onSession({ type: "closed", peer: PEER, reason: "local" }, 5000);
  assert.deepEqual(r.drain(), []);
  assert.equal(r.nextTimeout(), 5000);
  r.handleTimeout(5000);
  const [dial] = r.drain();
  assert.ok(dial?.do === "dial" && toHex(dial.dhtKey) === toHex(next));
  assert.equal(dial.addr, undefined, "the old address belonged to the old key");
});

Deno.test("FriendReach: an accept-only friend is looked up but never dialled; its incoming session is tracked", () => {
  const r = new FriendReach();
  r.add(FRIEND, { dial: false });
  assert.ok(r.accepts(FRIEND) && !r.accepts(DHT));
  r.onDhtPk(dhtpk(DHT, [node(1)]), 0);
  assert.deepEqual(kinds(r.drain()), ["lookup"]);
  r.handleTimeout(60_000);
  assert.deepEqual(r.drain(), []);
  assert.equal(r.nextTimeout(), Infinity);
  r.onSession({ type: "incoming", peer: PEER, dhtPublicKey: DHT }, 100);
  r.onSession({ type: "established", peer: PEER }, 200);
  assert.deepEqual(kinds(r.drain()), ["connected", "send"]);
  const f = r.friend(FRIEND);
  assert.ok(f && f.incoming === 1 && f.dials === 0 && f.session === "up");
});

Deno.test("FriendReach: strangers' DHT-PK and sessions are ignored; remove kills the session", () => {
  const r = new FriendReach();
  r.onDhtPk(dhtpk(), 0);
  r.onSession({ type: "established", peer: PEER }, 0);
  assert.deepEqual(r.drain(), []);
  assert.equal(r.friend(FRIEND), undefined);
  r.add(FRIEND);
  r.onDhtPk(dhtpk(), 0);
  r.drain();
  r.remove(FRIEND);
  assert.deepEqual(kinds(r.drain()), ["kill"]);
  assert.ok(!r.accepts(FRIEND));
});
