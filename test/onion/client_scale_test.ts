import assert from "node:assert/strict";
import { setBackend, tweetnaclBackend, useFastestBackend } from "../../lib/crypto/mod.ts";
import { ClientNet, eventsOf, type NetClient } from "./_client_net.ts";

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Virtual ms from the start until `c` saw `type` from `peer`, or undefined. */
function firstFrom(c: NetClient, type: "peer_found" | "dhtpk", peer: Uint8Array, t0: number) {
  const hit = c.events.find((x) =>
    x.e.type === type && x.e.publicKey.every((b, i) => b === peer[i])
  );
  return hit ? hit.at - t0 : undefined;
}

function scale(
  loss: number,
  seed: number,
  pairCount: number,
): { ok: number; found: number[]; dhtpk: number[] } {
  const net = new ClientNet({ nodes: 200, seed, latencyMs: [10, 80], loss });
  const pairs: [NetClient, NetClient][] = [];
  for (let i = 0; i < pairCount; i++) {
    const a = net.addClient({}, 20), b = net.addClient({}, 20);
    a.client.addFriend(b.realKeyPair.publicKey);
    b.client.addFriend(a.realKeyPair.publicKey);
    pairs.push([a, b]);
  }
  const t0 = net.clock.now();
  const done = () =>
    pairs.every(([a, b]) => eventsOf(a, "dhtpk").length > 0 && eventsOf(b, "dhtpk").length > 0);
  net.runUntil(done, 120_000);
  net.stop();
  const found: number[] = [], dhtpk: number[] = [];
  let ok = 0;
  for (const [a, b] of pairs) {
    for (const [x, y] of [[a, b], [b, a]] as const) {
      const f = firstFrom(x, "peer_found", y.realKeyPair.publicKey, t0);
      const d = firstFrom(x, "dhtpk", y.realKeyPair.publicKey, t0);
      if (f !== undefined) found.push(f);
      if (d !== undefined) {
        dhtpk.push(d);
        ok++;
      }
    }
  }
  console.log(
    `onion scale (loss ${loss * 100} %): 200 nodes, ${pairCount * 2} clients: ${ok}/${
      pairCount * 2
    } directions got DHT-PK; ` +
      `peer found median ${median(found)} ms max ${Math.max(...found)} ms; ` +
      `DHT-PK received median ${median(dhtpk)} ms max ${Math.max(...dhtpk)} ms (virtual)`,
  );
  return { ok, found, dhtpk };
}

// libsodium when it loads: thousands of key agreements per virtual second.
Deno.test("scale: 200 onion nodes, 20 pairs that each know 20 nodes all find each other", async () => {
  await useFastestBackend();
  let r;
  try {
    r = scale(0, 41, 20);
  } finally {
    setBackend(tweetnaclBackend);
  }
  assert.equal(r.ok, 40);
  assert.ok(median(r.found) <= 5_000, `median time to find ${median(r.found)} ms`);
});

Deno.test("scale: with 5 % loss at least 95 % of 20 directions get DHT-PK within 120 s", async () => {
  await useFastestBackend();
  let r;
  try {
    r = scale(0.05, 42, 10);
  } finally {
    setBackend(tweetnaclBackend);
  }
  assert.ok(r.ok >= 19, `${r.ok}/20`);
  assert.ok(median(r.found) <= 10_000, `median time to find ${median(r.found)} ms`);
});
