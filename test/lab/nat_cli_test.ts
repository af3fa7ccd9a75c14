/**
 * `peerkit nat` as a process inside the NAT lab: behind each of the four router
 * personalities, against `peerkit relay serve --stun-alternate` and coturn, with and without
 * 5 % WAN loss, the mapping and filtering (RFC 4787 words) and the easy/hard verdict match
 * the router, and hairpinning is reported as the router is set (one lab per personality);
 * then, in a second lab per personality with 20 ms one-way delay (the delay hop) and 5 %
 * loss, the same verdicts within the 3 s target.
 */
import assert from "node:assert/strict";
import { labGate } from "./gate.ts";
import { needs } from "../_support/env.ts";
import { NatLab, PERSONALITIES } from "./lab.ts";
import { EXPECTED, type Rfc4787 } from "./cases.ts";
import {
  lossNow,
  type NatCliResult,
  peerkitNat,
  setHairpin,
  setLoss,
  startStunServers,
} from "./stun_lab.ts";

// Skipped without root, coturn or gcc (the delay hop), except under CI=true.
const gate = { ignore: (await labGate()).ignore || needs(["turnserver", "gcc"]).ignore };

const WORDS = {
  EIM: "endpoint-independent",
  APDM: "address-and-port-dependent",
  EIF: "endpoint-independent",
  ADF: "address-dependent",
  APDF: "address-and-port-dependent",
} as const;

/** What `peerkit nat` must print behind a router that behaves as `e`. */
function expectedReport(e: Rfc4787) {
  return {
    verdict: e.mapping === "EIM" ? "easy" : "hard",
    mapping: WORDS[e.mapping],
    filtering: WORDS[e.filtering],
  };
}

function seen(r: NatCliResult) {
  return { verdict: r.verdict, mapping: r.mapping, filtering: r.filtering };
}

for (const p of PERSONALITIES) {
  Deno.test({
    name: `lab: peerkit nat behind a ${p} router reports ${EXPECTED[p].mapping}/` +
      `${EXPECTED[p].filtering} and its hairpinning, against relay serve and coturn, ` +
      "with and without 5 % loss",
    ignore: gate.ignore,
    async fn() {
      await using lab = await NatLab.create({ a: p, b: "full-cone" });
      const servers = await startStunServers(lab);
      const want = expectedReport(EXPECTED[p]);
      for (const loss of [0, 5]) {
        await setLoss(lab, loss);
        assert.equal(await lossNow(lab), loss);
        for (const server of [servers.relay, servers.coturn]) {
          const r = await peerkitNat(lab, server);
          const why = `${p}, ${server.name}, ${loss} % loss: ${JSON.stringify(r)}`;
          assert.equal(r.code, 0, why);
          assert.deepEqual(seen(r), want, why);
          assert.equal(r.hairpinning, "no", why);
          assert(r.mapped?.startsWith("203.0.113.1:"), why);
        }
      }
      await setLoss(lab, 0);
      await setHairpin(lab, p, true);
      for (const server of [servers.relay, servers.coturn]) {
        const r = await peerkitNat(lab, server);
        const why = `${p}, ${server.name}, hairpin on: ${JSON.stringify(r)}`;
        assert.deepEqual(seen(r), want, why);
        assert.equal(r.hairpinning, "yes", why);
      }
    },
  });

  Deno.test({
    name: `lab: peerkit nat behind a ${p} router with 20 ms one-way delay and 5 % loss ` +
      "reaches the same verdict in under 3 s, against relay serve and coturn",
    ignore: gate.ignore,
    async fn() {
      await using lab = await NatLab.create({
        a: p,
        b: "full-cone",
        delayMs: 20,
        netem: { lossPct: 5 },
      });
      const servers = await startStunServers(lab);
      for (const server of [servers.relay, servers.coturn]) {
        const r = await peerkitNat(lab, server);
        const why = `${p}, ${server.name}, 20 ms + 5 %: ${JSON.stringify(r)}`;
        assert.deepEqual(seen(r), expectedReport(EXPECTED[p]), why);
        assert.equal(r.hairpinning, "no", why);
        // The hairpin test starts after a 40 ms round trip and gives up 880 ms later.
        assert(r.elapsedMs >= 920 && r.elapsedMs < 3000, why);
      }
    },
  });
}
