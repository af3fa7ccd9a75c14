/**
 * The onion client against c-toxcore 0.2.18: two OnionClients on real UDP sockets on
 * 127.0.0.1 use only tox-bootstrapd daemons as hops and announce nodes, announce, find each
 * other, and exchange DHT-PK packets and a friend request; then the same with one client in
 * TCP-only mode, whose paths start at tox-bootstrapd's TCP relay.
 */
import assert from "node:assert/strict";
import { backend } from "../../lib/crypto/mod.ts";
import type { Addr } from "../../lib/net/addr.ts";
import {
  OnionClient,
  type OnionClientEvent,
  type OnionClientOptions,
} from "../../lib/onion/client.ts";
import { RelayClient } from "../../lib/relay/mod.ts";
import { toHex } from "../../lib/util/bytes.ts";
import type { PathNode } from "../../lib/onion/client_packets.ts";
import { needs } from "../_support/env.ts";
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

  /** Relay packets (`[8][...]`) go to this sender; UDP datagrams go out on the socket. */
  relaySend: ((relay: string, payload: Uint8Array) => void) | undefined;

  constructor(nodes: PathNode[], opts: Partial<OnionClientOptions> = {}) {
    const client = new OnionClient({
      realKeyPair: this.realKeyPair,
      dhtKeyPair: this.dhtKeyPair,
      nodes: () => nodes,
      ...opts,
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
      else if (t.to === "relay") this.relaySend?.(t.relay, t.data.subarray(1));
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

Deno.test({
  name: "interop: OnionClients announce, find each other and exchange DHT-PK over tox-bootstrapd",
  ...needs(["tox-bootstrapd"]),
  async fn() {
    const daemons: Bootstrapd[] = [];
    try {
      const first = await startBootstrapd({ tcpRelay: false });
      daemons.push(first);
      const entry = { host: "127.0.0.1", port: first.udpPort, publicKeyHex: first.publicKeyHex };
      for (let i = 0; i < 4; i++) {
        daemons.push(await startBootstrapd({ tcpRelay: false, bootstrap: [entry] }));
      }
      const nodes = daemons.map((d) => ({
        publicKey: d.publicKey,
        addr: { hostname: "127.0.0.1", port: d.udpPort },
      }));
      await using a = new UdpClient(nodes);
      await using b = new UdpClient(nodes);
      a.client.addFriend(b.realKeyPair.publicKey);
      b.client.addFriend(a.realKeyPair.publicKey);
      b.client.sendFriendRequest(
        a.realKeyPair.publicKey,
        a.client.nospam,
        new TextEncoder().encode("hi from peerkit"),
        performance.now(),
      );
      b.flush();
      const ok = await until(
        () => a.has("dhtpk") && b.has("dhtpk") && a.has("friend_request"),
        30_000,
      );
      assert.ok(a.has("announced") && b.has("announced"), "both stored on tox-bootstrapd");
      assert.ok(ok, `events: A ${a.events.map((e) => e.type)} / B ${b.events.map((e) => e.type)}`);
      const dhtpk = a.events.find((e) => e.type === "dhtpk");
      assert.ok(dhtpk?.type === "dhtpk");
      assert.deepEqual(dhtpk.dhtPublicKey, b.dhtKeyPair.publicKey);
      const req = a.events.find((e) => e.type === "friend_request");
      assert.ok(req?.type === "friend_request");
      assert.equal(new TextDecoder().decode(req.message), "hi from peerkit");
      assert.equal(a.client.stats.dropped + b.client.stats.dropped, 0);
    } finally {
      for (const d of daemons) await d.stop();
    }
  },
});

Deno.test({
  name: "interop: a TCP-only OnionClient announces through tox-bootstrapd's relay and is found",
  ...needs(["tox-bootstrapd"]),
  async fn() {
    const daemons: Bootstrapd[] = [];
    try {
      const first = await startBootstrapd({ tcpRelay: true });
      daemons.push(first);
      const entry = { host: "127.0.0.1", port: first.udpPort, publicKeyHex: first.publicKeyHex };
      for (let i = 0; i < 4; i++) {
        daemons.push(await startBootstrapd({ tcpRelay: false, bootstrap: [entry] }));
      }
      const nodes = daemons.map((d) => ({
        publicKey: d.publicKey,
        addr: { hostname: "127.0.0.1", port: d.udpPort },
      }));
      const relayEntry = {
        id: toHex(first.publicKey),
        publicKey: first.publicKey,
        addr: { hostname: "127.0.0.1", port: first.tcpPort },
      };
      await using link = new RelayClient({ keyPair: backend().keyPair() });
      link.addRelay(relayEntry.addr, first.publicKey);
      await link.waitForRelays(1, 5_000);
      await using a = new UdpClient(nodes, { udp: false, relays: () => [relayEntry] });
      let relayed = 0;
      a.relaySend = (_relay, payload) => {
        relayed++;
        link.sendOnionRequest(first.publicKey, payload);
      };
      link.onOnionResponse = (data) => {
        a.client.handlePacket(data, performance.now());
        a.flush();
      };
      await using b = new UdpClient(nodes);
      a.client.addFriend(b.realKeyPair.publicKey);
      b.client.addFriend(a.realKeyPair.publicKey);
      b.client.sendFriendRequest(
        a.realKeyPair.publicKey,
        a.client.nospam,
        new TextEncoder().encode("over tcp"),
        performance.now(),
      );
      b.flush();
      const ok = await until(
        () => a.has("friend_request") && b.has("dhtpk") && a.has("dhtpk"),
        30_000,
      );
      assert.ok(ok, `events: A ${a.events.map((e) => e.type)} / B ${b.events.map((e) => e.type)}`);
      assert.ok(relayed > 0);
      assert.equal(a.client.connectionStatus(performance.now()), "tcp");
      const req = a.events.find((e) => e.type === "friend_request");
      assert.ok(req?.type === "friend_request");
      assert.equal(new TextDecoder().decode(req.message), "over tcp");
    } finally {
      for (const d of daemons) await d.stop();
    }
  },
});
