/**
 * `peerkit relay serve` with no `--host`, as tox-bootstrapd with `enable_ipv6 = true`: one
 * `[::]` socket per protocol that IPv4 clients reach too. Real DHT pings, bootstrap-info
 * requests and TCP connections to 127.0.0.1 and to ::1.
 */
import assert from "node:assert/strict";
import { tweetnaclBackend as nacl } from "../../lib/crypto/backend.ts";
import { decodeBootstrapInfo, encodeBootstrapInfoRequest } from "../../lib/dht/bootstrap_info.ts";
import { openDhtPacket, sealDhtPacket } from "../../lib/dht/wire.ts";
import { fromHex } from "../../lib/util/bytes.ts";
import { spawnRelayServe } from "../_support/relay_serve.ts";
import { freePort } from "../_support/toxcore.ts";
import { needs } from "../_support/env.ts";

/** Whether this machine can bind ::1 (some containers have no IPv6 loopback). */
function hasIpv6Loopback(): boolean {
  try {
    Deno.listenDatagram({ transport: "udp", hostname: "::1", port: 0 }).close();
    return true;
  } catch {
    return false;
  }
}

/** Sends `data` from a socket on `local` to `host:port`; the answer, or null after 3 s. */
async function roundTrip(
  local: string,
  host: string,
  port: number,
  data: Uint8Array,
): Promise<Uint8Array | null> {
  const s = Deno.listenDatagram({ transport: "udp", hostname: local, port: 0 });
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await s.send(data, { transport: "udp", hostname: host, port });
    const none = new Promise<null>((r) => timer = setTimeout(() => r(null), 3000));
    return await Promise.race([s.receive().then(([d]) => d), none]);
  } finally {
    clearTimeout(timer);
    s.close();
  }
}

const ipv6 = hasIpv6Loopback();
if (!ipv6) console.error("relay_dualstack_test: no ::1 on this machine, testing 127.0.0.1 only");

Deno.test("relay serve with no --host binds [::] and answers DHT pings, 0xf0 and TCP on 127.0.0.1 and ::1", async () => {
  const udp = freePort(), tcp = freePort();
  await using s = await spawnRelayServe(
    ["--json", "relay", "serve", "--udp-port", String(udp), "--tcp-port", String(tcp)],
    { tempHome: true },
  );
  const doc = JSON.parse(s.firstLine());
  assert.equal(doc.udp, `[::]:${udp}`, s.err());
  assert.deepEqual(doc.tcp, [`[::]:${tcp}`]);
  const relayKey = fromHex(doc.publicKey);
  const me = nacl.keyPair();
  const key = nacl.sharedKey(relayKey, me.secretKey);
  const families = ipv6
    ? [["127.0.0.1", "127.0.0.1"], ["::1", "::1"]]
    : [["127.0.0.1", "127.0.0.1"]];
  for (const [local, host] of families) {
    const pingId = nacl.randomBytes(8);
    const ping = sealDhtPacket(
      { type: "pingRequest", pingId },
      me.publicKey,
      key,
      nacl.randomBytes(24),
    );
    const pong = await roundTrip(local!, host!, udp, ping);
    assert.ok(pong, `no ping response on ${host}`);
    const r = openDhtPacket(pong, () => key);
    assert.deepEqual(r?.message, { type: "pingResponse", pingId }, host);
    const info = await roundTrip(local!, host!, udp, encodeBootstrapInfoRequest());
    assert.ok(info, `no bootstrap info on ${host}`);
    assert.equal(decodeBootstrapInfo(info).motd, "peerkit");
    const c = await Deno.connect({ hostname: host!, port: tcp });
    c.close();
  }
  const status = await s.stop();
  assert.equal(status.code, 0, s.err());
  assert.doesNotMatch(s.err(), /IPv4 only/);
});

Deno.test({
  name:
    "relay serve with no --host on an IPv6-only-socket system says so in one line and binds 0.0.0.0",
  ...needs(["unshare", "sysctl", "ip"], { root: true }),
  async fn() {
    const home = await Deno.makeTempDir({ prefix: "peerkit-relay-" });
    const cli = new URL("../../cli.ts", import.meta.url).pathname;
    // unshare and sh exec into deno, so the child's PID is the relay's.
    const child = new Deno.Command("unshare", {
      args: [
        "-n",
        "sh",
        "-c",
        `ip link set lo up && sysctl -qw net.ipv6.bindv6only=1 && exec "$0" run -A --quiet ` +
        `"$1" --home "$2" --json relay serve --udp-port 33445 --tcp-port 33445`,
        Deno.execPath(),
        cli,
        home,
      ],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    let out = "", err = "";
    const pump = async (st: ReadableStream<Uint8Array>, add: (t: string) => void) => {
      for await (const t of st.pipeThrough(new TextDecoderStream())) add(t);
    };
    const pumps = Promise.all([
      pump(child.stdout, (t) => out += t),
      pump(child.stderr, (t) => err += t),
    ]);
    const killer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    try {
      const deadline = Date.now() + 25_000;
      while (!out.includes("\n") && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 20));
      }
      child.kill("SIGTERM");
      const { code } = await child.status;
      await pumps;
      const doc = JSON.parse(out.split("\n")[0]!);
      assert.equal(doc.udp, "0.0.0.0:33445", err);
      assert.deepEqual(doc.tcp, ["0.0.0.0:33445"]);
      const notices = err.split("\n").filter((l) => l.includes("IPv4 only"));
      assert.deepEqual(notices, [
        "peerkit: IPv6 sockets here do not take IPv4 (net.ipv6.bindv6only=1): serving IPv4 only",
      ]);
      assert.equal(code, 0, err);
    } finally {
      clearTimeout(killer);
      await Deno.remove(home, { recursive: true }).catch(() => {});
    }
  },
});
