import assert from "node:assert/strict";
import { denoNetwork } from "../../lib/net/deno.ts";
import { dualStackHost } from "../../lib/net/dual_stack.ts";
import type { Addr } from "../../lib/net/addr.ts";
import type { DatagramSocket, Network } from "../../lib/net/types.ts";
import { needs } from "../_support/env.ts";

/** A network whose datagram binds succeed or fail as `bind` says. */
function fakeNetwork(bind: (a: Addr) => Error | null): Network {
  const socket = (a: Addr): DatagramSocket => ({
    localAddr: { hostname: a.hostname, port: a.port || 40000 },
    send: () => Promise.resolve(),
    receive: () => new Promise(() => {}),
    close: () => {},
    [Symbol.asyncDispose]: () => Promise.resolve(),
  });
  return {
    bindDatagram: (a: Addr) => {
      const e = bind(a);
      return e ? Promise.reject(e) : Promise.resolve(socket(a));
    },
    listen: () => Promise.reject(new Error("unused")),
    connect: () => Promise.reject(new Error("unused")),
  };
}

Deno.test("dualStackHost() falls back to 0.0.0.0 with a notice when IPv6 cannot be bound", async () => {
  const net = fakeNetwork((a) =>
    a.hostname === "::" ? new Error("Address family not supported") : null
  );
  const r = await dualStackHost(net);
  assert.equal(r.hostname, "0.0.0.0");
  assert.match(r.notice ?? "", /^IPv6 is unavailable \(Address family not supported\)/);
});

Deno.test("dualStackHost() falls back to 0.0.0.0 when [::] leaves the IPv4 port free (v6-only)", async () => {
  const r = await dualStackHost(fakeNetwork(() => null));
  assert.equal(r.hostname, "0.0.0.0");
  assert.match(r.notice ?? "", /bindv6only=1/);
});

Deno.test("dualStackHost() picks :: when the IPv4 bind on the same port is refused", async () => {
  const inUse = new Deno.errors.AddrInUse("Address already in use");
  const r = await dualStackHost(fakeNetwork((a) => a.hostname === "0.0.0.0" ? inUse : null));
  assert.deepEqual(r, { hostname: "::" });
});

Deno.test("dualStackHost() on this machine agrees with net.ipv6.bindv6only, and [::] takes IPv4", async () => {
  let v6only = "0";
  try {
    v6only = Deno.readTextFileSync("/proc/sys/net/ipv6/bindv6only").trim();
  } catch { /* not Linux: no expectation from the sysctl */ }
  const r = await dualStackHost();
  if (v6only === "1") {
    assert.equal(r.hostname, "0.0.0.0");
    return;
  }
  assert.equal(r.hostname, "::");
  // A real IPv4 client reaches the [::] socket, which sees it as IPv4-mapped, and the
  // answer sent to the plain IPv4 address arrives.
  await using server = await denoNetwork.bindDatagram({ hostname: "::", port: 0 });
  await using client = await denoNetwork.bindDatagram({ hostname: "127.0.0.1", port: 0 });
  await client.send(Uint8Array.of(1), { hostname: "127.0.0.1", port: server.localAddr.port });
  const got = await server.receive();
  assert.equal(got.from.port, client.localAddr.port);
  assert.equal(got.from.hostname, "127.0.0.1", "reported as IPv4, not ::ffff:127.0.0.1");
  await server.send(Uint8Array.of(2), { hostname: "127.0.0.1", port: client.localAddr.port });
  assert.deepEqual((await client.receive()).data, Uint8Array.of(2));
  // The same for TCP: an IPv4 client of a [::] listener has an IPv4 address.
  await using l = await denoNetwork.listen({ hostname: "::", port: 0 });
  const dialing = denoNetwork.connect({ hostname: "127.0.0.1", port: l.addr.port });
  await using s = await l.accept();
  await using c = await dialing;
  assert.equal(s.remoteAddr.hostname, "127.0.0.1");
  assert.deepEqual(s.remoteAddr, c.localAddr);
});

Deno.test({
  name: "dualStackHost() in a network namespace with net.ipv6.bindv6only=1 says IPv4 only",
  ...needs(["unshare", "sysctl", "ip"], { root: true }),
  async fn() {
    const mod = new URL("../../lib/net/dual_stack.ts", import.meta.url).href;
    const script = `import { dualStackHost } from "${mod}";
console.log(JSON.stringify(await dualStackHost()));`;
    const out = await new Deno.Command("unshare", {
      args: [
        "-n",
        "sh",
        "-c",
        `ip link set lo up && sysctl -qw net.ipv6.bindv6only=1 && ` +
        `exec "${Deno.execPath()}" eval --quiet --unstable-net '${script}'`,
      ],
      stdin: "null",
    }).output();
    const err = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 0, err);
    const r = JSON.parse(new TextDecoder().decode(out.stdout));
    assert.equal(r.hostname, "0.0.0.0");
    assert.match(r.notice, /bindv6only=1/);
  },
});
