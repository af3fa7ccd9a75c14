/**
 * The onion client against a real c-toxcore 0.2.18 client, with tox-bootstrapd daemons as
 * the whole network: the peerkit client sends a friend request to the c-toxcore client's
 * Tox ID, and receives the DHT-PK packets the c-toxcore client sends it through the onion.
 * A second test times a c-toxcore pair and a peerkit pair finding each other on the same
 * daemons.
 */
import assert from "node:assert/strict";
import { backend } from "../../lib/crypto/mod.ts";
import { parseToxId } from "../../lib/identity/tox_id.ts";
import { formatPublicKey } from "../../lib/identity/pubkey.ts";
import type { Addr } from "../../lib/net/addr.ts";
import { OnionClient, type OnionClientEvent } from "../../lib/onion/client.ts";
import type { PathNode } from "../../lib/onion/client_packets.ts";
import { fromHex } from "../../lib/util/bytes.ts";
import { needs } from "../_support/env.ts";
import { startToxClient } from "../_support/toxclient.ts";
import { type Bootstrapd, startBootstrapd } from "../_support/toxcore.ts";

/** An OnionClient on its own UDP socket, with a once-a-second round. */
class UdpClient implements AsyncDisposable {
  readonly events: OnionClientEvent[] = [];
  readonly client: OnionClient;
  readonly realKeyPair = backend().keyPair();
  readonly dhtKeyPair = backend().keyPair();
  readonly #sock: Deno.DatagramConn;
  readonly #loop: Promise<void>;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(nodes: PathNode[]) {
    const client = new OnionClient({
      realKeyPair: this.realKeyPair,
      dhtKeyPair: this.dhtKeyPair,
      nodes: () => nodes,
    });
    const sock = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
    this.client = client;
    this.#sock = sock;
    this.#loop = (async () => {
      try {
        for (;;) {
          const [data] = await sock.receive();
          client.handlePacket(data, performance.now());
          this.flush();
        }
      } catch { /* closed */ }
    })();
    const round = () => {
      this.client.handleTimeout(performance.now());
      this.flush();
      this.#timer = setTimeout(round, 1000);
    };
    round();
  }

  flush(): void {
    for (let t = this.client.pollTransmit(); t; t = this.client.pollTransmit()) {
      if (t.to === "udp") this.#send(t.data, t.addr);
    }
    for (let e = this.client.pollEvent(); e; e = this.client.pollEvent()) this.events.push(e);
  }

  #send(data: Uint8Array, to: Addr): void {
    this.#sock.send(data, { transport: "udp", ...to }).catch(() => {});
  }

  has(type: OnionClientEvent["type"]): boolean {
    return this.events.some((e) => e.type === type);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    clearTimeout(this.#timer);
    this.#sock.close();
    await this.#loop;
  }
}

async function until(done: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

async function startDaemons(): Promise<Bootstrapd[]> {
  const daemons: Bootstrapd[] = [];
  const first = await startBootstrapd({ tcpRelay: false });
  daemons.push(first);
  const entry = { host: "127.0.0.1", port: first.udpPort, publicKeyHex: first.publicKeyHex };
  for (let i = 0; i < 4; i++) {
    daemons.push(await startBootstrapd({ tcpRelay: false, bootstrap: [entry] }));
  }
  return daemons;
}

Deno.test({
  name: "interop: a c-toxcore client gets peerkit's friend request and sends it DHT-PK packets",
  ...needs(["tox-bootstrapd", "gcc", "pkg-config"]),
  async fn() {
    const daemons = await startDaemons();
    try {
      await using carol = await startToxClient({ name: "carol" });
      for (const d of daemons) await carol.bootstrap("127.0.0.1", d.udpPort, d.publicKeyHex);
      await carol.waitForOnline(30_000);
      const nodes = daemons.map((d) => ({
        publicKey: d.publicKey,
        addr: { hostname: "127.0.0.1", port: d.udpPort },
      }));
      await using me = new UdpClient(nodes);
      const id = parseToxId(carol.toxId);
      assert.equal(formatPublicKey(id.publicKey), carol.publicKey);
      const t0 = performance.now();
      me.client.sendFriendRequest(
        id.publicKey,
        id.nospam,
        new TextEncoder().encode("hello carol"),
        t0,
      );
      me.flush();
      const req = await carol.waitFor((e) => e.kind === "friend_request", 40_000);
      assert.ok(req.kind === "friend_request");
      assert.equal(req.publicKey, formatPublicKey(me.realKeyPair.publicKey));
      assert.equal(req.text, "hello carol");
      const tRequest = performance.now() - t0;

      // Carol befriends us: her onion client searches us and sends DHT-PK through the onion.
      const t1 = performance.now();
      await carol.addFriendNoRequest(formatPublicKey(me.realKeyPair.publicKey));
      const ok = await until(() => me.has("dhtpk"), 60_000);
      assert.ok(ok, `no DHT-PK from carol; events ${me.events.map((e) => e.type)}`);
      const dhtpk = me.events.find((e) => e.type === "dhtpk");
      assert.ok(dhtpk?.type === "dhtpk");
      assert.deepEqual(dhtpk.publicKey, id.publicKey);
      assert.deepEqual(dhtpk.dhtPublicKey, fromHex(carol.dhtPublicKey));
      assert.equal(dhtpk.via, "onion");
      // Its close nodes: the daemons (and maybe us), all on loopback, none a TCP relay here.
      assert.ok(dhtpk.nodes.length >= 1 && dhtpk.nodes.length <= 4, `${dhtpk.nodes.length} nodes`);
      for (const n of dhtpk.nodes) {
        assert.equal(n.addr.hostname, "127.0.0.1");
        assert.ok(!n.tcp);
      }
      const known = new Set(daemons.map((d) => d.publicKeyHex));
      assert.ok(dhtpk.nodes.some((n) => known.has(formatPublicKey(n.publicKey))));
      console.log(
        `c-toxcore interop: friend request arrived after ${Math.round(tRequest)} ms, ` +
          `c-toxcore's first DHT-PK after ${Math.round(performance.now() - t1)} ms (real time)`,
      );
    } finally {
      for (const d of daemons) await d.stop();
    }
  },
});

Deno.test({
  name:
    "interop: time to find a friend, a c-toxcore pair beside a peerkit pair on the same daemons",
  ...needs(["tox-bootstrapd", "gcc", "pkg-config"]),
  async fn() {
    const daemons = await startDaemons();
    try {
      await using alice = await startToxClient({ name: "alice" });
      await using bob = await startToxClient({ name: "bob" });
      for (const c of [alice, bob]) {
        for (const d of daemons) await c.bootstrap("127.0.0.1", d.udpPort, d.publicKeyHex);
      }
      await alice.waitForOnline(30_000);
      await bob.waitForOnline(30_000);
      const nodes = daemons.map((d) => ({
        publicKey: d.publicKey,
        addr: { hostname: "127.0.0.1", port: d.udpPort },
      }));
      // c-toxcore: friends by key on both sides, until both report the friend connection
      // (DHT-PK found through the onion, then the net_crypto handshake).
      const t0 = performance.now();
      const bobOnAlice = await alice.addFriendNoRequest(bob.publicKey);
      const aliceOnBob = await bob.addFriendNoRequest(alice.publicKey);
      await alice.waitForFriend(bobOnAlice, { timeoutMs: 60_000 });
      await bob.waitForFriend(aliceOnBob, { timeoutMs: 60_000 });
      const toxcoreMs = performance.now() - t0;
      // peerkit: until both hold the other's DHT-PK (where c-toxcore starts its handshake).
      await using p = new UdpClient(nodes);
      await using q = new UdpClient(nodes);
      const t1 = performance.now();
      p.client.addFriend(q.realKeyPair.publicKey);
      q.client.addFriend(p.realKeyPair.publicKey);
      assert.ok(await until(() => p.has("dhtpk") && q.has("dhtpk"), 60_000), "peerkit pair");
      const peerkitMs = performance.now() - t1;
      console.log(
        `time to find a friend (real time, shared machine, one run): c-toxcore pair ` +
          `${Math.round(toxcoreMs)} ms to friend connection; peerkit pair ` +
          `${Math.round(peerkitMs)} ms to DHT-PK both ways; ratio peerkit/c-toxcore ` +
          `${(peerkitMs / toxcoreMs).toFixed(2)}`,
      );
    } finally {
      for (const d of daemons) await d.stop();
    }
  },
});
