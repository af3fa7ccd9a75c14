/**
 * `peerkit nat` as a user runs it, against `peerkit relay serve` (STUN on its UDP port, with
 * `--stun-alternate`) and against coturn on loopback; Debian's `stun` client against
 * `relay serve`. Every server is on loopback; no test reaches a public server.
 */
import assert from "node:assert/strict";
import { peerkit } from "../_support/cli.ts";
import { needs } from "../_support/env.ts";
import { spawnRelayServe } from "../_support/relay_serve.ts";
import { freePort } from "../_support/toxcore.ts";
import { IP1, IP2, runStunClient, spawnRelayWithAlternate, startCoturn } from "../nat/_loopback.ts";

async function tempHome(): Promise<string> {
  return await Deno.makeTempDir({ prefix: "peerkit-nat-" });
}

/** The facts both servers must agree on. */
function facts(doc: { verdict: string; ipv4: Record<string, unknown> }) {
  const v = doc.ipv4;
  return {
    verdict: doc.verdict,
    mapping: v.mapping,
    filtering: v.filtering,
    hairpinning: v.hairpinning,
    preservesPort: v.preservesPort,
  };
}

Deno.test("peerkit nat --relay: a full verdict from relay serve's STUN responder, human and JSON", async () => {
  const { s, udp, alt, doc } = await spawnRelayWithAlternate();
  const home = await tempHome();
  try {
    assert.deepEqual(doc.stun, [
      `${IP1}:${udp}`,
      `${IP1}:${alt}`,
      `${IP2}:${udp}`,
      `${IP2}:${alt}`,
    ]);
    const j = await peerkit(["--home", home, "--json", "nat", "--relay", `${IP1}:${udp}`]);
    assert.equal(j.code, 0, j.stderr);
    const r = JSON.parse(j.stdout);
    assert.equal(r.verdict, "open");
    assert.equal(r.ipv4.mapping, "endpoint-independent");
    assert.equal(r.ipv4.filtering, "endpoint-independent");
    assert.equal(r.ipv4.hairpinning, "yes");
    assert.equal(r.ipv4.preservesPort, "yes");
    assert.equal(r.ipv4.mapped.split(":")[0], IP1);
    assert.equal(r.ipv4.servers[0].other, `${IP2}:${alt}`);
    assert.equal(typeof r.ipv4.servers[0].rttMs, "number");
    assert.equal(r.ipv6, null);
    assert.ok(r.elapsedMs < 3000, `${r.elapsedMs} ms`);
    const h = await peerkit(["--home", home, "nat", "--relay", `${IP1}:${udp}:${doc.publicKey}`]);
    assert.equal(h.code, 0, h.stderr);
    assert.match(h.stdout, /mapping: +endpoint-independent\n/);
    assert.match(h.stdout, /filtering: +endpoint-independent\n/);
    assert.match(h.stdout, new RegExp(`${IP1}:${udp} +[\\d.]+ ms +other ${IP2}:${alt}`));
    assert.match(h.stdout, /verdict: open: no NAT seen/);
    assert.equal(h.stderr, "");
  } finally {
    await s.stop();
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("peerkit nat without servers uses the saved nodes of the state directory", async () => {
  const { s, udp, doc } = await spawnRelayWithAlternate();
  const home = await tempHome();
  try {
    const nodes = [{ host: IP1, port: udp, publicKey: doc.publicKey }];
    await Deno.writeTextFile(
      `${home}/dht-nodes.json`,
      JSON.stringify({ version: 1, savedAt: new Date().toISOString(), nodes }),
    );
    const r = await peerkit(["--home", home, "--json", "nat"]);
    assert.equal(r.code, 0, r.stderr);
    const d = JSON.parse(r.stdout);
    assert.equal(d.source, "saved");
    assert.equal(d.ipv4.primary, `${IP1}:${udp}`);
    assert.equal(d.verdict, "open");
  } finally {
    await s.stop();
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("peerkit nat: no server answers → exit 1 'UDP blocked'; no servers at all → exit 1", async () => {
  const home = await tempHome();
  try {
    const silent = `${IP1}:${freePort()}`;
    const t0 = performance.now();
    const r = await peerkit(["--home", home, "--json", "nat", "--stun", silent]);
    assert.equal(r.code, 1, r.stderr);
    const d = JSON.parse(r.stdout);
    assert.equal(d.verdict, "blocked");
    assert.equal(d.ipv4.udp, false);
    assert.equal(d.ipv4.servers[0].rttMs, null);
    assert.ok(performance.now() - t0 < 20_000);
    const h = await peerkit(["--home", home, "nat", "--stun", silent]);
    assert.equal(h.code, 1);
    assert.match(h.stdout, /verdict: UDP blocked: relay only/);
    const none = await peerkit(["--home", home, "--json", "nat"]);
    assert.equal(none.code, 1);
    assert.equal(JSON.parse(none.stdout).error, "NO_SERVERS");
    assert.match(none.stderr, /^peerkit: no servers to ask: give --stun/);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("peerkit nat and relay serve --stun-alternate: bad input is a one-line usage error (exit 2)", async () => {
  const home = await tempHome();
  try {
    for (
      const args of [
        ["nat", "--stun", "no-port"],
        ["nat", "--stun", "127.0.0.1:0"],
        ["nat", "--relay", "127.0.0.1:1:XYZ"],
        ["nat", "--timeout", "0"],
        ["nat", "--timeout", "-1"],
        ["nat", "--listen", "bad host:1"],
        ["relay", "serve", "--udp-port", "0", "--stun-alternate", "127.0.0.2:3479"],
        ["relay", "serve", "--host", "127.0.0.1", "--stun-alternate", "127.0.0.1:3479"],
        ["relay", "serve", "--host", "127.0.0.1", "--stun-alternate", "[::1]:3479"],
        ["relay", "serve", "--host", "127.0.0.1", "--stun-alternate", "127.0.0.2:33445"],
      ]
    ) {
      const r = await peerkit(["--home", home, ...args]);
      assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
      assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
      assert.doesNotMatch(r.stderr, /\bat .*\.ts:\d+/);
    }
    const help = await peerkit(["nat", "--help"]);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Examples:\n {2}\$ peerkit nat --relay/);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test({
  name: "peerkit nat: coturn on loopback gives the same verdict as relay serve --stun-alternate",
  ...needs(["turnserver"]),
  async fn() {
    await using coturn = await startCoturn();
    const { s, udp } = await spawnRelayWithAlternate();
    const home = await tempHome();
    try {
      const a = await peerkit([
        "--home",
        home,
        "--json",
        "nat",
        "--stun",
        `${coturn.primary.hostname}:${coturn.primary.port}`,
      ]);
      const b = await peerkit(["--home", home, "--json", "nat", "--relay", `${IP1}:${udp}`]);
      assert.equal(a.code, 0, a.stderr);
      assert.equal(b.code, 0, b.stderr);
      const da = JSON.parse(a.stdout), db = JSON.parse(b.stdout);
      assert.equal(
        da.ipv4.servers[0].other,
        `${coturn.alternate.hostname}:${coturn.alternate.port}`,
      );
      assert.deepEqual(facts(da), facts(db));
      assert.equal(da.verdict, "open");
      assert.equal(da.ipv4.mapping, "endpoint-independent");
    } finally {
      await s.stop();
      await Deno.remove(home, { recursive: true });
    }
  },
});

Deno.test({
  name: "Debian's stun client gets correct answers from relay serve --stun-alternate",
  ...needs(["stun"]),
  async fn() {
    const { s, udp, alt } = await spawnRelayWithAlternate();
    try {
      const text = await runStunClient(`${IP1}:${udp}`);
      assert.match(text, /Primary: Open/, text.slice(-2000));
      assert.ok(text.includes(`ChangedAddress = ${IP2}:${alt}`), text.slice(-3000));
      assert.ok(text.includes(`SourceAddress = ${IP2}:${udp}`), text.slice(-3000));
      assert.match(text, /MappedAddress = 127\.0\.0\.1:\d+/);
    } finally {
      await s.stop();
    }
  },
});

Deno.test({
  name:
    "relay serve on the dual-stack default: peerkit nat over IPv4 and IPv6, stun parses every answer",
  ...needs(["stun"]),
  async fn() {
    const udp = freePort();
    const s = await spawnRelayServe([
      "--json",
      "relay",
      "serve",
      "--udp-port",
      String(udp),
      "--tcp-port",
      String(freePort()),
    ], { tempHome: true });
    const home = await tempHome();
    try {
      const doc = JSON.parse(s.firstLine());
      const dual = doc.udp.startsWith("[::]");
      const args = ["--home", home, "--json", "nat", "--relay", `${IP1}:${udp}`];
      // An IPv6 --listen is for the IPv6 servers; IPv4 keeps its default socket.
      if (dual) args.push("--relay", `[::1]:${udp}`, "--listen", "[::1]:0");
      const r = await peerkit(args);
      assert.equal(r.code, 0, r.stderr);
      const d = JSON.parse(r.stdout);
      assert.equal(d.ipv4.udp, true);
      assert.equal(d.ipv4.mapped.split(":")[0], IP1);
      // No alternate: the NAT's behaviour cannot be tested, and the verdict says so.
      assert.equal(d.verdict, "unknown");
      if (dual) {
        assert.equal(d.ipv6.mapped.startsWith("[::1]:"), true);
        assert.equal(d.ipv6.local, d.ipv6.mapped);
      }
      const out = await new Deno.Command("stun", { args: [`${IP1}:${udp}`, "-v"], stdin: "null" })
        .output();
      const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
      assert.match(text, /MappedAddress = 127\.0\.0\.1:\d+/);
      assert.doesNotMatch(text, /problem parsing/, text.slice(-2000));
    } finally {
      await s.stop();
      await Deno.remove(home, { recursive: true });
    }
  },
});
