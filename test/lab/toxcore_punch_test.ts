/**
 * c-toxcore in the NAT lab: a libtoxcore client (test/interop/toxclient.c) in host-a behind
 * nat-a, a peerkit peer (test/lab/toxcore_peer.ts) in host-b behind nat-b, 5 tox-bootstrapd
 * daemons in inet as the DHT. They become friends (the peer through its onion client, so
 * c-toxcore learns its DHT key and searches it); the peer's DHT meeting in `dht-ping` mode
 * sends c-toxcore's NAT ping through the client's close nodes and then DHT pings to the
 * address those nodes agree on. What c-toxcore answered is asserted: the NAT ping (a
 * response with our ping id, routed back through its close nodes: it holds our DHT key as a
 * friend's) and the DHT ping (a response from its key at nat-a's public address: a direct
 * UDP path through both NATs).
 * Needs root and c-toxcore; skips without them, except under CI=true.
 */
import assert from "node:assert/strict";
import { backend } from "../../lib/crypto/mod.ts";
import { toHex } from "../../lib/util/bytes.ts";
import { needs } from "../_support/env.ts";
import { withOneRetry } from "../_support/toxclient.ts";
import { labGate } from "./gate.ts";
import { ADDR, NatLab } from "./lab.ts";
import { startLabDht, startLabToxClient } from "./toxcore_lab.ts";

const gate = await labGate();
const tools = needs(["tox-bootstrapd", "gcc", "pkg-config"]);
const PEER = new URL("./toxcore_peer.ts", import.meta.url).pathname;

Deno.test({
  name:
    "lab: c-toxcore answers peerkit's NAT ping and its DHT-ping probes through two port-restricted NATs",
  ignore: gate.ignore || tools.ignore,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await withOneRetry("c-toxcore punch in the lab", async () => {
      await using lab = await NatLab.create({ a: "port-restricted", b: "port-restricted" });
      await using dht = await startLabDht(lab);
      await using carol = await startLabToxClient(lab, "host-a", dht, { tcpRelay: false });
      const me = backend().keyPair();
      const peer = lab.exec("host-b", [
        Deno.execPath(),
        "run",
        "-A",
        "--quiet",
        PEER,
        "--secret",
        toHex(me.secretKey),
        "--friend",
        carol.publicKey,
        "--friend-dht",
        carol.dhtPublicKey,
        ...dht.nodes.flatMap((n) => ["--bootstrap", `${n.host}:${n.udpPort}:${n.publicKeyHex}`]),
        "--timeout",
        "45",
      ], 60_000);
      await carol.addFriendNoRequest(toHex(me.publicKey).toUpperCase());
      const r = await peer;
      const last = r.stdout.trim().split("\n").at(-1) ?? "";
      assert.ok(last.startsWith("{"), `peer printed no report (exit ${r.code}): ${r.stderr}`);
      const doc = JSON.parse(last);
      const why = JSON.stringify(doc);
      console.log(`c-toxcore punch in the lab: ${why}`);
      assert.ok(doc.stats.pingsSent >= 1, why);
      assert.ok(doc.stats.responsesMatched >= 1, `c-toxcore answered our NAT ping: ${why}`);
      // Answering our NAT ping means c-toxcore holds our DHT key as a friend's (DHT-PK from
      // our onion client). Its own NAT pings (requestsSeen) come only while it has no direct
      // path to us; in this lab the DHT's own traffic sometimes opens one first, so they are
      // logged, not asserted.
      assert.ok(doc.stats.probePings >= 1, why);
      assert.ok(doc.stats.pingAnswers >= 1, `c-toxcore answered a DHT-ping probe: ${why}`);
      assert.equal(doc.path, "direct", why);
      assert.equal(doc.remote, `${ADDR.natAWan}:${carol.udpPort}`, "from nat-a's public address");
    });
  },
});
