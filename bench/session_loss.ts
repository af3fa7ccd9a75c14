/**
 * Session throughput with random loss, side by side with c-toxcore's file transfer under
 * the same loss, in one run.
 *
 * - **nft-loss**: nftables (`numgen random`, a table of this run's own, removed at the end)
 *   drops `loss` of the UDP datagrams to both peers' ports on loopback, so data one way and
 *   acknowledgements and requests the other are lost alike; the same rule for both sides.
 *   Needs root; without it these rows are skipped.
 * - **shim-loss** (peerkit only): the same loss through a UDP impairment shim on loopback
 *   (`_loss_shim.ts`, its own thread), which also holds 5 % of the datagrams back behind
 *   1-8 later ones (reordering); its ratio is against runs through the shim with no loss
 *   (`shim-none`), so the shim's own cost is in both. c-toxcore's peers do not get a friend connection through
 *   the shim (they learn each other's addresses through the DHT and the onion), so it is
 *   measured with nftables only.
 * - **peerkit**: sender here, receiver in a Worker; `stall` is the longest wait between two
 *   deliveries at the receiver, i.e. the longest a lost packet held the stream up.
 * - **toxcore**: two libtoxcore peers (the C harness), the same sizes (a run that does not
 *   finish in 60 s is listed as such).
 *
 * Each side's connection first moves 8 MiB (`warm-up`, listed, not in the medians), so
 * neither side's ramp-up decides the ratio.
 *
 * Every run is listed; the summary gives each side's lossy / lossless ratio (target for
 * peerkit: at least 0.5) and peerkit / toxcore under loss.
 *
 *     deno run -A bench/session_loss.ts [MiB per run = 32] [runs = 2] [loss = 0.05]
 *
 * @module
 */
import { makeFriends, startToxClient } from "../test/_support/toxclient.ts";
import {
  mbps,
  medianOf,
  outcomeRow,
  peerkitOutcome,
  peerkitPair,
  reporter,
  type Row,
  toxcoreRun,
} from "./_session_pair.ts";

const mib = Number(Deno.args[0] ?? 32);
const runs = Number(Deno.args[1] ?? 2);
const loss = Number(Deno.args[2] ?? 0.05);
const REORDER = 0.05;
const total = Math.round(mib * 1024 * 1024);
const rows: Row[] = [];
const report = reporter(rows);

/** Starts a shim between `aPort` and `bPort`; returns its ports and a control. */
async function shim(aPort: number, bPort: number, seed: number) {
  const w = new Worker(new URL("./_loss_shim.ts", import.meta.url), { type: "module" });
  const ports = await new Promise<{ a: number; b: number }>((res) => {
    w.onmessage = (m) => res(m.data);
    w.postMessage({ aPort, bPort, loss: 0, reorder: 0, seed });
  });
  return {
    ...ports,
    set: (l: number) => w.postMessage({ loss: l, reorder: l > 0 ? REORDER : 0 }),
    close: () => w.terminate(),
  };
}

/** This run's nftables table: random drops on loopback for the given UDP ports. */
const TABLE = `peerkit_loss_${Deno.pid}`;

async function nft(...args: string[]): Promise<boolean> {
  try {
    const o = await new Deno.Command("nft", { args, stdout: "null", stderr: "null" }).output();
    return o.success;
  } catch {
    return false;
  }
}

/**
 * Drops `loss` of the UDP datagrams to `ports` on loopback (both directions when both
 * ends' ports are given), with nftables' `numgen random`; `false` when nftables is not
 * usable here (not root, no nft). `loss` 0 removes the rule.
 */
async function nftLoss(ports: number[], l: number): Promise<boolean> {
  await nft("delete", "table", "inet", TABLE);
  if (l === 0) return true;
  const per = Math.round(l * 1000);
  return await nft("add", "table", "inet", TABLE) &&
    await nft(
      "add",
      "chain",
      "inet",
      TABLE,
      "input",
      "{ type filter hook input priority 0; policy accept; }",
    ) &&
    await nft(
      "add",
      "rule",
      "inet",
      TABLE,
      "input",
      "iif",
      "lo",
      "udp",
      "dport",
      `{ ${ports.join(", ")} }`,
      "numgen",
      "random",
      "mod",
      "1000",
      "<",
      String(per),
      "drop",
    );
}

console.log(
  `session throughput with ${(loss * 100).toFixed(1)} % random loss each way on loopback ` +
    `(nftables; the shim adds ${REORDER * 100} % reordering), ${runs} x ${mib} MiB ` +
    `(${Deno.build.os}, deno ${Deno.version.deno}, load ${
      Deno.loadavg().map((x) => x.toFixed(1)).join(" ")
    })\n`,
);

/** A new connection's first transfer, listed but left out of the medians (ramp-up). */
const WARM_UP = 8 * 1024 * 1024;
async function warmUp(side: string, f: () => Promise<{ bytes: number; ms: number } | null>) {
  const x = await f();
  report({
    side,
    run: "warm-up 8MiB",
    mbps: x ? mbps(x.bytes, x.ms) : 0,
    ms: x?.ms ?? 0,
    clean: x !== null && x.bytes === WARM_UP,
    note: "new connection, not in the medians",
  });
}

let nftOk = true;
try {
  {
    // peerkit, direct, random drops by nftables on loopback (the same rule as toxcore's).
    const side = "peerkit session";
    const pair = await peerkitPair();
    await pair.connect({ hostname: "127.0.0.1", port: pair.receiverPort });
    const ports = [pair.senderPort, pair.receiverPort];
    await warmUp(side, () => pair.transfer(99, WARM_UP).then((x) => x.timedOut ? null : x));
    for (const l of [0, loss]) {
      if (!(await nftLoss(ports, l))) {
        nftOk = false;
        console.log("nftables not usable here (needs root and nft): no nft-loss rows");
        break;
      }
      for (let r = 1; r <= runs; r++) {
        const x = await pair.transfer(r, total);
        report(
          outcomeRow(side, `${l === 0 ? "lossless" : "nft-loss"} ${r}`, total, peerkitOutcome(x)),
        );
      }
    }
    await nftLoss(ports, 0);
    // peerkit through the shim: the same loss plus reordering.
    await pair.close();
    const via = await peerkitPair();
    const sv = await shim(via.senderPort, via.receiverPort, 7);
    await via.connect({ hostname: "127.0.0.1", port: sv.a });
    // Through the shim with no loss first: the shim's own cost is in both figures.
    for (const l of [0, loss]) {
      sv.set(l);
      for (let r = 1; r <= runs; r++) {
        const x = await via.transfer(r, total);
        report(
          outcomeRow(side, `${l === 0 ? "shim-none" : "shim-loss"} ${r}`, total, peerkitOutcome(x)),
        );
      }
    }
    await via.close();
    sv.close();
  }

  if (nftOk) {
    // c-toxcore, direct, the same nftables rule on its two ports.
    const side = "toxcore file transfer";
    await using a = await startToxClient({ udp: true, name: "loss-sender" });
    await using b = await startToxClient({ udp: true, name: "loss-receiver" });
    await a.bootstrap("127.0.0.1", b.udpPort, b.dhtPublicKey);
    await b.bootstrap("127.0.0.1", a.udpPort, a.dhtPublicKey);
    const [bOnA] = await makeFriends(a, b, { timeoutMs: 30_000, status: "udp" });
    await warmUp(side, () => toxcoreRun(a, b, bOnA, WARM_UP));
    for (const l of [0, loss]) {
      await nftLoss([a.udpPort, b.udpPort], l);
      const size = total;
      for (let r = 1; r <= runs; r++) {
        const x = await toxcoreRun(a, b, bOnA, size);
        report(outcomeRow(side, `${l === 0 ? "lossless" : "nft-loss"} ${r}`, size, x));
        if (!x) break;
      }
    }
  }
} finally {
  await nftLoss([], 0);
}

console.log(`\nsummary (medians, MB/s of payload):`);
const line = (side: string, base: string, kind: string) => {
  const clean = medianOf(rows, side, base), lossy = medianOf(rows, side, kind);
  console.log(
    `  ${side.padEnd(22)} ${base} ${clean.toFixed(2).padStart(7)}   ${kind} ${
      lossy.toFixed(2).padStart(7)
    }   ratio ${clean > 0 ? (lossy / clean).toFixed(2) : "n/a"}`,
  );
};
line("peerkit session", "lossless", "nft-loss");
line("peerkit session", "shim-none", "shim-loss");
line("toxcore file transfer", "lossless", "nft-loss");
const pk = medianOf(rows, "peerkit session", "nft-loss");
const tx = medianOf(rows, "toxcore file transfer", "nft-loss");
console.log(`  with loss, peerkit / toxcore: ${tx > 0 ? (pk / tx).toFixed(1) + "x" : "n/a"}`);
console.log("(target: peerkit lossy / lossless >= 0.5)");
