import assert from "node:assert/strict";
import { needs } from "../_support/env.ts";
import { type Bootstrapd, freePort, startBootstrapd } from "../_support/toxcore.ts";
import { tweetnaclBackend as nacl } from "../../lib/crypto/backend.ts";
import { denoNetwork } from "../../lib/net/deno.ts";
import { DhtDriver } from "../../lib/dht/driver.ts";
import { loopbackNode as ourNode, waitFor } from "../dht/_loopback.ts";
import { keyEquals } from "../../lib/dht/distance.ts";
import { toHex } from "../../lib/util/bytes.ts";

const at = (d: Bootstrapd) => ({ hostname: "127.0.0.1", port: d.udpPort });
const knows = (n: DhtDriver, pk: Uint8Array) =>
  n.node.closestNodes(pk, 8).some((x) => keyEquals(x.publicKey, pk));

Deno.test({
  name:
    "interop: our node bootstraps from tox-bootstrapd, looks it up, and the daemon bootstraps from ours",
  ...needs(["tox-bootstrapd"]),
  async fn() {
    await using daemon = await startBootstrapd({ tcpRelay: false });
    await using a = await ourNode();
    a.bootstrap(at(daemon), daemon.publicKey);
    await waitFor("daemon in our close list", () => knows(a, daemon.publicKey), 10_000);
    // A fresh daemon knows nobody: it answers with an empty nodes response, which we reject
    // as c-toxcore does; it then pings us back, and its ping response lets it in.
    assert.ok(a.node.stats.dropEmptyNodes >= 1);
    assert.ok(a.node.stats.pingResponses >= 1);

    // lookup of the daemon's key returns its address
    await using b = await ourNode();
    const r = await b.lookup(daemon.publicKey, {
      seeds: [{ publicKey: daemon.publicKey, addr: at(daemon) }],
      timeoutMs: 10_000,
    });
    assert.ok(r.found, JSON.stringify(r.reason));
    assert.deepEqual(r.addr, at(daemon));

    // a second daemon bootstraps from our node `a` only; another of our nodes finds it
    // through `a`, and the second daemon learns `a` (it lists it when asked for a's key).
    await using d2 = await startBootstrapd({
      tcpRelay: false,
      bootstrap: [{
        host: "127.0.0.1",
        port: a.localAddr.port,
        publicKeyHex: toHex(a.node.publicKey),
      }],
    });
    await waitFor("d2 in a's close list", () => knows(a, d2.publicKey), 15_000);
    await using c = await ourNode();
    c.bootstrap(at(d2), d2.publicKey);
    await waitFor("d2 lists our node a", () => knows(c, a.node.publicKey), 20_000);
    assert.equal(a.node.stats.dropMalformed, 0);
    assert.equal(a.node.stats.dropError, 0);
  },
});

Deno.test({
  name: "interop: tox-bootstrapd forwards our routed request (0x20) to a peerkit node it knows",
  ...needs(["tox-bootstrapd"]),
  async fn() {
    await using daemon = await startBootstrapd({ tcpRelay: false });
    const got: { id: number; data: number[] }[] = [];
    const socket = await denoNetwork.bindDatagram({ hostname: "127.0.0.1", port: freePort() });
    await using b = new DhtDriver({
      socket,
      node: {
        keyPair: nacl.keyPair(),
        onRoutedRequest: (r) => got.push({ id: r.requestId, data: [...r.data] }),
      },
    });
    b.start();
    b.bootstrap(at(daemon), daemon.publicKey);
    await waitFor("daemon in b's list", () => knows(b, daemon.publicKey), 10_000);
    await using a = await ourNode();
    const key = nacl.sharedKey(b.node.publicKey, nacl.keyPair().secretKey); // wrong key first
    const sender = nacl.keyPair();
    const good = nacl.sharedKey(b.node.publicKey, sender.secretKey);
    const { sealRoutedPacket } = await import("../../lib/dht/wire.ts");
    const bad = sealRoutedPacket(
      b.node.publicKey,
      sender.publicKey,
      156,
      new Uint8Array([9]),
      key,
      nacl.randomBytes(24),
    );
    const ok = sealRoutedPacket(
      b.node.publicKey,
      sender.publicKey,
      156,
      new Uint8Array([1, 2, 3]),
      good,
      nacl.randomBytes(24),
    );
    // The daemon adds b after b answers its ping (within ~2 s); keep sending until it routes.
    const end = Date.now() + 15_000;
    while (got.length === 0 && Date.now() < end) {
      a.send(bad, at(daemon));
      a.send(ok, at(daemon));
      await new Promise((r) => setTimeout(r, 300));
    }
    assert.deepEqual(got[0], { id: 156, data: [1, 2, 3] });
    assert.ok(b.node.stats.dropBadMac >= 1, "the box with the wrong key was forwarded and refused");
  },
});
