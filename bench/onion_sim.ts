/**
 * Simulation benchmark: N onion nodes (the real `OnionNode` code, hop and announce node) and
 * 2×P onion clients (the real `OnionClient`) on the in-memory network in virtual time. Each
 * pair adds the other as friend; a pair counts as found when both directions received the
 * other's DHT-PK packet through the onion (announce + search + onion data), within --limit.
 * Runs once without loss and once with --loss, and prints per-run rows and a summary.
 * "find" is until both got the other's DHT-PK; "search" until both searches reported the
 * other's announcement (peer_found). A lost DHT-PK copy is re-sent only 30 s later (as
 * c-toxcore), which is what drives the time to find under loss.
 *
 *   deno run -A bench/onion_sim.ts                      # 2,000 nodes, 200 pairs, 0 % and 5 %
 *   deno run -A bench/onion_sim.ts --nodes 500 --pairs 50 --loss 0.1 --seed 7 --json
 *
 * Flags: --nodes N (2000) --pairs P (200) --known K (nodes each client knows, as its DHT
 * would give them; 20) --loss P (0.05; the second run) --limit SECONDS (120) --latency
 * MIN,MAX ms (10,80) --seed S (1) --json
 *
 * There is no anchor in this benchmark: tox-bootstrapd cannot run in virtual time, so the
 * figures stand alone (the loopback interop tests check the same code against c-toxcore).
 * "bytes / node" is what onion nodes sent on average (requests passed on, announce and data
 * responses); "bytes / client" what clients sent. A node's close list is modelled by the
 * nodes nearest the key in sorted key order (a window re-ranked by XOR distance), which is
 * what a converged DHT close list would answer.
 *
 * @module
 */
import { useFastestBackend } from "../lib/crypto/mod.ts";
import { closer } from "../lib/dht/distance.ts";
import type { NodeInfo } from "../lib/dht/packed_node.ts";
import { ClientNet, eventsOf, type NetClient } from "../test/onion/_client_net.ts";

function flag(name: string, def: string): string {
  const i = Deno.args.indexOf(`--${name}`);
  return i >= 0 && Deno.args[i + 1] !== undefined ? Deno.args[i + 1]! : def;
}
const nodes = Number(flag("nodes", "2000"));
const pairs = Number(flag("pairs", "200"));
const known = Number(flag("known", "20"));
const lossRun = Number(flag("loss", "0.05"));
const limitMs = Number(flag("limit", "120")) * 1000;
const [lo, hi] = flag("latency", "10,80").split(",").map(Number) as [number, number];
const seed = Number(flag("seed", "1"));
const json = Deno.args.includes("--json");

/** Compares two keys in plain byte order. */
function byteOrder(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

/** A ClientNet whose "close list" is a sorted-key window instead of a full sort per call. */
class FastNet extends ClientNet {
  #sorted: NodeInfo[] = [];

  override closest(target: Uint8Array, count: number, except?: Uint8Array): NodeInfo[] {
    if (this.#sorted.length !== this.nodes.length) {
      this.#sorted = this.nodes.map((n) => ({ publicKey: n.keyPair.publicKey, addr: n.addr }))
        .sort((a, b) => byteOrder(a.publicKey, b.publicKey));
    }
    let l = 0, h = this.#sorted.length;
    while (l < h) {
      const m = (l + h) >> 1;
      if (byteOrder(this.#sorted[m]!.publicKey, target) < 0) l = m + 1;
      else h = m;
    }
    const w = Math.max(16, count * 4);
    return this.#sorted.slice(Math.max(0, l - w), l + w)
      .filter((n) => !except || byteOrder(n.publicKey, except) !== 0)
      .sort((a, b) => closer(target, a.publicKey, b.publicKey))
      .slice(0, count);
  }
}

function quantile(xs: number[], q: number): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}

interface Row {
  loss: number;
  pairs: number;
  found: number;
  successPct: number;
  medianMs: number | null;
  p90Ms: number | null;
  searchMedianMs: number | null;
  searchP90Ms: number | null;
  bytesPerNode: number;
  bytesPerClient: number;
  virtualS: number;
  wallS: number;
}

function firstAt(
  c: NetClient,
  peer: Uint8Array,
  type: "dhtpk" | "peer_found" = "dhtpk",
): number | undefined {
  return c.events.find((x) => x.e.type === type && x.e.publicKey.every((b, i) => b === peer[i]))
    ?.at;
}

function run(loss: number): Row {
  const wall0 = performance.now();
  const net = new FastNet({ nodes, seed, latencyMs: [lo, hi], loss });
  let nodeBytes = 0, clientBytes = 0;
  for (const n of net.nodes) {
    const ep = n.ep;
    n.ep = {
      addr: ep.addr,
      send: (data, to) => {
        nodeBytes += data.length;
        ep.send(data, to);
      },
      detach: () => ep.detach(),
    };
  }
  const list: [NetClient, NetClient][] = [];
  for (let i = 0; i < pairs; i++) {
    const a = net.addClient({}, known), b = net.addClient({}, known);
    for (const c of [a, b]) {
      const poll = c.client.pollTransmit.bind(c.client);
      c.client.pollTransmit = () => {
        const t = poll();
        if (t?.to === "udp") clientBytes += t.data.length;
        return t;
      };
    }
    a.client.addFriend(b.realKeyPair.publicKey);
    b.client.addFriend(a.realKeyPair.publicKey);
    list.push([a, b]);
  }
  const t0 = net.clock.now();
  const done = () =>
    list.every(([a, b]) => eventsOf(a, "dhtpk").length > 0 && eventsOf(b, "dhtpk").length > 0);
  net.runUntil(done, limitMs);
  const virtualS = (net.clock.now() - t0) / 1000;
  net.stop();
  const times: number[] = [], search: number[] = [];
  let found = 0;
  for (const [a, b] of list) {
    const f = firstAt(a, b.realKeyPair.publicKey, "peer_found");
    const g = firstAt(b, a.realKeyPair.publicKey, "peer_found");
    if (f !== undefined && g !== undefined) search.push(Math.max(f, g) - t0);
    const x = firstAt(a, b.realKeyPair.publicKey), y = firstAt(b, a.realKeyPair.publicKey);
    if (x !== undefined && y !== undefined) {
      found++;
      times.push(Math.max(x, y) - t0);
    }
  }
  return {
    loss,
    pairs,
    found,
    successPct: Math.round((found / pairs) * 1000) / 10,
    medianMs: quantile(times, 0.5),
    p90Ms: quantile(times, 0.9),
    searchMedianMs: quantile(search, 0.5),
    searchP90Ms: quantile(search, 0.9),
    bytesPerNode: Math.round(nodeBytes / nodes),
    bytesPerClient: Math.round(clientBytes / (2 * pairs)),
    virtualS,
    wallS: Math.round((performance.now() - wall0) / 100) / 10,
  };
}

const backendName = await useFastestBackend();
const rows = [run(0), run(lossRun)];
if (json) {
  console.log(JSON.stringify({ nodes, pairs, known, seed, latencyMs: [lo, hi], rows }));
} else {
  console.log(
    `onion simulation: ${nodes} onion nodes, ${pairs} pairs (${2 * pairs} clients, each ` +
      `knowing ${known} nodes), latency ${lo}-${hi} ms, seed ${seed}, crypto ${
        String(backendName)
      }`,
  );
  console.log(
    "loss   found/pairs  success  median find  p90 find  median search  p90 search  bytes/node  bytes/client  virtual  wall",
  );
  for (const r of rows) {
    console.log(
      `${(r.loss * 100).toFixed(0).padStart(3)} %  ${`${r.found}/${r.pairs}`.padStart(11)}  ${
        `${r.successPct} %`.padStart(7)
      }  ${`${r.medianMs ?? "-"} ms`.padStart(11)}  ${`${r.p90Ms ?? "-"} ms`.padStart(8)}  ${
        `${r.searchMedianMs ?? "-"} ms`.padStart(13)
      }  ${`${r.searchP90Ms ?? "-"} ms`.padStart(10)}  ${String(r.bytesPerNode).padStart(10)}  ${
        String(r.bytesPerClient).padStart(12)
      }  ${`${r.virtualS} s`.padStart(7)}  ${r.wallS} s`,
    );
  }
  const [a, b] = rows as [Row, Row];
  const ok = a.successPct === 100 && b.successPct >= 95 && (a.medianMs ?? Infinity) <= 5000;
  console.log(
    `summary: ${a.successPct} % found without loss (target 100 %), ${b.successPct} % with ${
      b.loss * 100
    } % loss (target >= 95 %), median ${a.medianMs} ms virtual (target <= 5000 ms): ${
      ok ? "targets met" : "targets NOT met"
    }. No anchor: tox-bootstrapd cannot run in virtual time.`,
  );
}
