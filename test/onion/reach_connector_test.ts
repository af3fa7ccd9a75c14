/**
 * FriendConnector's wiring with stand-ins for the onion, the DHT and the sessions (no
 * network): a DHT-PK event dials the friend and adds its relays, the DHT's answer goes to
 * the session as its direct address, and a lookup that fails is counted, never thrown.
 */
import assert from "node:assert/strict";
import type { DhtDriver } from "../../lib/dht/driver.ts";
import type { Addr } from "../../lib/net/addr.ts";
import type { OnionClientEvent } from "../../lib/onion/client_types.ts";
import type { OnionDriver } from "../../lib/onion/driver.ts";
import { FriendConnector } from "../../lib/onion/reach.ts";
import type { RelayClient } from "../../lib/relay/client_driver.ts";
import type { SessionDriver } from "../../lib/session/driver.ts";
import type { SessionEvent } from "../../lib/session/types.ts";
import { toHex } from "../../lib/util/bytes.ts";

const FRIEND = new Uint8Array(32).fill(1);
const DHT = new Uint8Array(32).fill(2);
const RELAY = new Uint8Array(32).fill(3);
const ADDR: Addr = { hostname: "127.0.0.1", port: 40000 };

function stands(lookup: () => Promise<{ addr?: Addr; reported: Addr[] }>) {
  const calls: string[] = [];
  let onOnion: (e: OnionClientEvent) => void = () => {};
  let onSession: (e: SessionEvent) => void = () => {};
  const onion = {
    on: (fn: typeof onOnion) => (onOnion = fn, () => {}),
    addFriend: () => calls.push("addFriend"),
    flush: () => {},
    client: { setFriendConnected: (_: Uint8Array, c: boolean) => calls.push(`connected ${c}`) },
  } as unknown as OnionDriver;
  const sessions = {
    on: (fn: typeof onSession) => (onSession = fn, () => {}),
    connect: (_r: Uint8Array, d: Uint8Array) => calls.push(`connect ${toHex(d).slice(0, 4)}`),
    setDirect: (_p: string, a: Addr) => calls.push(`direct ${a.port}`),
    send: (_p: string, d: Uint8Array) => (calls.push(`send ${d[0]}`), true),
    kill: () => calls.push("kill"),
  } as unknown as SessionDriver;
  const dht = { lookup } as unknown as DhtDriver;
  const relay = {
    relays: () => [],
    addRelay: (a: Addr) => calls.push(`relay ${a.port}`),
  } as unknown as RelayClient;
  const c = new FriendConnector({ onion, dht, sessions, relay });
  return {
    c,
    calls,
    onion: (e: OnionClientEvent) => onOnion(e),
    session: (e: SessionEvent) => onSession(e),
  };
}

const dhtpk: OnionClientEvent = {
  type: "dhtpk",
  publicKey: FRIEND,
  dhtPublicKey: DHT,
  nodes: [{ publicKey: RELAY, addr: { hostname: "127.0.0.1", port: 33445 }, tcp: true }],
  via: "onion",
};

Deno.test("FriendConnector: a DHT-PK dials and adds the relays; the DHT's answer becomes the direct address", async () => {
  const s = stands(() => Promise.resolve({ addr: ADDR, reported: [] }));
  await using _c = s.c;
  s.c.add(FRIEND);
  s.onion(dhtpk);
  await new Promise((r) => setTimeout(r, 0));
  assert.deepEqual(s.calls, ["addFriend", "relay 33445", "connect 0202", "direct 40000"]);
  assert.deepEqual(s.c.stats, { dials: 1, lookups: 1, found: 1, relaysAdded: 1, lookupErrors: 0 });
  s.session({ type: "established", peer: toHex(FRIEND) });
  assert.deepEqual(s.calls.slice(4), ["connected true", "send 24"]);
});

Deno.test("FriendConnector: a lookup that fails is counted, not thrown; the dial stands", async () => {
  const s = stands(() => Promise.reject(new Error("closed")));
  await using _c = s.c;
  s.c.add(FRIEND);
  s.onion(dhtpk);
  await new Promise((r) => setTimeout(r, 0));
  assert.equal(s.c.stats.lookupErrors, 1);
  assert.equal(s.c.stats.found, 0);
  assert.ok(s.calls.includes("connect 0202"));
  assert.ok(!s.calls.some((c) => c.startsWith("direct")));
});
