import assert from "node:assert/strict";
import { backend } from "../../lib/crypto/mod.ts";
import { VirtualClock } from "../../lib/net/clock.ts";
import { MemoryNetwork } from "../../lib/net/memory.ts";
import type { Network } from "../../lib/net/types.ts";
import { RelayClient, RelayServerDriver } from "../../lib/relay/mod.ts";
import { withAccept } from "../relay/_harness.ts";

/** A memory network whose listener first fails `dead` accepts as Deno does for an RST-before-accept. */
function deadBacklog(net: MemoryNetwork, dead: number): Network {
  let left = dead;
  return withAccept(net, (l) =>
    left-- > 0
      ? Promise.reject(
        new Deno.errors.NotConnected("Transport endpoint is not connected (os error 107)"),
      )
      : l.accept());
}

Deno.test("regression: accept errors for connections reset in the backlog are retried at once", async () => {
  const net = new MemoryNetwork();
  // The clock never advances: a sleep after a failed accept would never end.
  await using relay = await RelayServerDriver.listen({
    keyPair: backend().keyPair(),
    hostname: "10.0.0.1",
    ports: [33445],
    network: deadBacklog(net, 500),
    clock: new VirtualClock(),
  });
  await using c = new RelayClient({ keyPair: backend().keyPair(), network: net });
  c.addRelay(relay.addrs[0]!, relay.core.publicKey);
  await c.waitForRelays(1, 3000);
  assert.equal(relay.deadAccepts, 500);
  assert.equal(relay.acceptErrors, 0);
});

Deno.test("an accept error that is not about one connection still backs off", async () => {
  const net = new MemoryNetwork();
  const base = deadBacklog(net, 0);
  let calls = 0;
  const network: Network = {
    ...base,
    listen: async (a) => {
      const l = await base.listen(a);
      return {
        ...l,
        addr: l.addr,
        close: () => l.close(),
        accept: () => {
          calls++;
          return Promise.reject(new Error("Too many open files (os error 24)"));
        },
      };
    },
  };
  const clock = new VirtualClock();
  await using relay = await RelayServerDriver.listen({
    keyPair: backend().keyPair(),
    hostname: "10.0.0.1",
    ports: [33445],
    network,
    clock,
  });
  for (let i = 0; i < 20; i++) await new Promise((r) => setTimeout(r, 1));
  assert.equal(calls, 1);
  assert.equal(relay.acceptErrors, 1);
});
