import assert from "node:assert/strict";
import { needs } from "../_support/env.ts";
import { type Bootstrapd, startBootstrapd } from "../_support/toxcore.ts";
import { DhtDriver } from "../../lib/dht/driver.ts";
import { loopbackNode as ourNode, waitFor } from "../dht/_loopback.ts";
import { keyEquals } from "../../lib/dht/distance.ts";
import { toHex } from "../../lib/util/bytes.ts";

const at = (d: Bootstrapd) => ({ hostname: "127.0.0.1", port: d.udpPort });
const entry = (d: Bootstrapd) => ({
  host: "127.0.0.1",
  port: d.udpPort,
  publicKeyHex: d.publicKeyHex,
});

Deno.test({
  name: "interop: lookup crosses a testnet of 8 tox-bootstrapd joined through our node",
  ...needs(["tox-bootstrapd"]),
  async fn() {
    const daemons: Bootstrapd[] = [];
    const ours: DhtDriver[] = [];
    try {
      // Near side: d0, then d1..d3 from d0 (one first, then the rest: interop doc point 3).
      const d0 = await startBootstrapd({ tcpRelay: false });
      daemons.push(d0);
      const d1 = await startBootstrapd({ tcpRelay: false, bootstrap: [entry(d0)] });
      daemons.push(d1);
      for (let i = 2; i < 4; i++) {
        daemons.push(await startBootstrapd({ tcpRelay: false, bootstrap: [entry(d0)] }));
      }
      // Our bridge node joins the near side; the far side joins only through it.
      const bridge = await ourNode();
      ours.push(bridge);
      bridge.bootstrap(at(daemons[3]!), daemons[3]!.publicKey);
      await waitFor(
        "bridge joined",
        () => bridge.node.closestNodes(daemons[3]!.publicKey, 8).length > 0,
        15_000,
      );
      const viaBridge = {
        host: "127.0.0.1",
        port: bridge.localAddr.port,
        publicKeyHex: toHex(bridge.node.publicKey),
      };
      const d4 = await startBootstrapd({ tcpRelay: false, bootstrap: [viaBridge] });
      daemons.push(d4);
      await waitFor(
        "d4 answered the bridge",
        () =>
          bridge.node.closestNodes(d4.publicKey, 8).some((n) =>
            keyEquals(n.publicKey, d4.publicKey)
          ),
        15_000,
      );
      for (let i = 5; i < 8; i++) {
        daemons.push(await startBootstrapd({ tcpRelay: false, bootstrap: [entry(d4)] }));
      }
      const far = daemons[7]!;
      // A fresh searcher per attempt knows only d0, which never heard of `far` directly; the
      // far side needs a few seconds to settle (c-toxcore pings newcomers within 2 s).
      let r;
      for (let attempt = 0; attempt < 8; attempt++) {
        await new Promise((res) => setTimeout(res, 2000));
        const searcher = await ourNode();
        ours.push(searcher);
        r = await searcher.lookup(far.publicKey, {
          seeds: [{ publicKey: d0.publicKey, addr: at(d0) }],
          timeoutMs: 10_000,
        });
        if (r.found) break;
      }
      assert.ok(r?.found, `not found: ${JSON.stringify({ ...r, target: undefined })}`);
      assert.deepEqual(r.addr, at(far));
      assert.ok(r.hops >= 1);
      assert.ok(r.requests >= 2);
    } finally {
      for (const d of ours) await d.close();
      for (const d of daemons) await d.stop();
    }
  },
});
