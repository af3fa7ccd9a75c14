/**
 * `peerkit send` throughput on loopback, beside what a user would reach for:
 *
 * - **nc** and **socat** over plain TCP (the unencrypted ceiling): the time from spawning
 *   the sender to the receiver's exit, bytes checked by SHA-256.
 * - **c-toxcore**'s file transfer between two libtoxcore peers on a direct UDP path (the
 *   harness `test/interop/toxclient.c`, as `bench/session_throughput.ts` drives it), timed
 *   by the receiver from its `file_recv` to the last chunk (a new connection each run).
 * - **peerkit send direct**: `connect --listen --bootstrap` and `send --bootstrap` meet
 *   through the DHT of a `relay serve` node and run the session over the direct path only.
 * - **peerkit send relay**: `connect --listen --relay` and `send --relay --no-punch` through
 *   `relay serve --rate 0`, the session carried by the relay only; one run, of a smaller
 *   size by default (labelled): the relay path runs at a few MB/s.
 *
 * peerkit's figure is the transfer (offer to the receiver's verified result, `timeMs` of
 * `send --json`): the DHT meeting and the process start are printed apart (wall time).
 * Every run is printed; the summary takes each side's median run and gives the ratios
 * against the targets (direct ≥ 5× c-toxcore, ≥ 25 % of nc). Last, the time from spawning
 * `send` (a 64 KiB file, through the relay) to the receiver's first content byte, seen as
 * the listener's `receiving` line (target ≤ 1.5 s).
 *
 *     deno run -A bench/send_throughput.ts [MiB = 256] [runs = 2] [relay MiB = 64] [toxcore MiB = 256]
 *
 * @module
 */
import { createHash } from "node:crypto";
import { freePort } from "../test/_support/toxcore.ts";
import { spawnLoopbackRelay } from "../test/_support/relay_serve.ts";
import { makeFriends, startToxClient } from "../test/_support/toxclient.ts";
import {
  keygen,
  type PeerkitProcess,
  spawnPeerkit,
  spawnReceiver,
  writePattern,
} from "../test/transfer/_procs.ts";

const MiB = 1 << 20;
const mib = Number(Deno.args[0] ?? 256);
const runs = Number(Deno.args[1] ?? 2);
const relayMib = Number(Deno.args[2] ?? 64);
const toxMib = Number(Deno.args[3] ?? 256);
const size = Math.round(mib * MiB);
const RUN_LIMIT_MS = 200_000;

interface Row {
  side: string;
  run: number;
  bytes: number;
  ms: number;
  ok: boolean;
  note: string;
}
const rows: Row[] = [];
const mbps = (r: Row) => r.bytes / 1e6 / (r.ms / 1000);
function report(r: Row): void {
  rows.push(r);
  console.log(
    `${r.side.padEnd(20)} run ${r.run}  ${(r.bytes / MiB).toFixed(0).padStart(4)} MiB  ` +
      `${mbps(r).toFixed(2).padStart(8)} MB/s  ${(r.ms / 1000).toFixed(2).padStart(7)} s  ` +
      `${r.ok ? "byte-exact" : "NOT OK"}  ${r.note}`,
  );
}

async function fileHash(path: string): Promise<string> {
  const h = createHash("sha256");
  using f = await Deno.open(path);
  for await (const c of f.readable) h.update(c);
  return h.digest("hex");
}

async function wait(p: Deno.ChildProcess, ms: number): Promise<Deno.CommandStatus | null> {
  let t: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<null>((r) => (t = setTimeout(() => r(null), ms)));
  const s = await Promise.race([p.status, timeout]);
  clearTimeout(t);
  if (s === null) {
    try {
      p.kill("SIGKILL");
    } catch { /* gone */ }
    await p.status;
  }
  return s;
}

/** One plain-TCP copy with `listen` and `connect` command lines (`{P}`, `{IN}`, `{OUT}`). */
async function tcpRun(side: string, listen: string, connect: string, run: number, dir: string) {
  const port = freePort();
  const out = `${dir}/tcp-${run}.out`;
  const fill = (s: string) =>
    s.replaceAll("{P}", String(port)).replaceAll("{IN}", `${dir}/src.bin`).replaceAll("{OUT}", out);
  const rx = new Deno.Command("sh", { args: ["-c", fill(listen)], stderr: "null" }).spawn();
  await new Promise((r) => setTimeout(r, 300)); // the listener binds
  const t0 = performance.now();
  const tx = new Deno.Command("sh", { args: ["-c", fill(connect)], stderr: "null" }).spawn();
  const [a, b] = await Promise.all([wait(rx, RUN_LIMIT_MS), wait(tx, RUN_LIMIT_MS)]);
  const ms = performance.now() - t0;
  const got = await Deno.stat(out).then((s) => s.size, () => 0);
  const ok = a?.success === true && b?.success === true && got === size &&
    await fileHash(out) === srcHash;
  await Deno.remove(out).catch(() => {});
  report({ side, run, bytes: got, ms, ok, note: "" });
}

/** One `peerkit send` of src.bin; `listener` is running (or started by `start`). */
async function peerkitRun(
  side: string,
  run: number,
  args: string[],
  inbox: string,
  listener: PeerkitProcess | null,
  want = { name: "src.bin", hash: "" },
) {
  const hash = want.hash || srcHash;
  const t0 = performance.now();
  const p = spawnPeerkit(args);
  const timer = setTimeout(() => p.stop("SIGKILL"), RUN_LIMIT_MS);
  const s = await p.status;
  clearTimeout(timer);
  const wall = performance.now() - t0;
  let d: Record<string, unknown> = {};
  try {
    d = JSON.parse(p.out());
  } catch { /* reported below */ }
  const stored = `${inbox}/${d.storedAs ?? want.name}`;
  const ok = s.code === 0 && d.delivered === true && d.receiverSha256 === hash &&
    await fileHash(stored).catch(() => "") === hash;
  await Deno.remove(stored).catch(() => {});
  const ms = typeof d.timeMs === "number" ? d.timeMs : wall;
  report({
    side,
    run,
    bytes: typeof d.bytes === "number" ? d.bytes : 0,
    ms,
    ok,
    note: `paths ${JSON.stringify(d.paths ?? [])}, wall ${(wall / 1000).toFixed(1)} s incl. start` +
      `${ok ? "" : `; ${d.why ?? p.err().trim().split("\n").at(-1) ?? ""}`}` +
      `${listener && !ok ? `; listener: ${listener.err().trim().split("\n").at(-1)}` : ""}`,
  });
  return ok;
}

async function toxcoreRun(run: number) {
  const n = Math.round(toxMib * MiB);
  await using a = await startToxClient({ udp: true, name: "bench-send-a" });
  await using b = await startToxClient({ udp: true, name: "bench-send-b" });
  await a.bootstrap("127.0.0.1", b.udpPort, b.dhtPublicKey);
  await b.bootstrap("127.0.0.1", a.udpPort, a.dhtPublicKey);
  const [bOnA] = await makeFriends(a, b, { timeoutMs: 30_000, status: "udp" });
  await a.fileSend(bOnA, n);
  try {
    const e = await b.waitFor(/^file_done /, RUN_LIMIT_MS);
    const [, , , bytes, ms, bad] = e.line.split(" ");
    report({
      side: "c-toxcore file",
      run,
      bytes: Number(bytes),
      ms: Number(ms),
      ok: Number(bytes) === n && Number(bad) === 0,
      note: "new connection",
    });
  } catch {
    report({
      side: "c-toxcore file",
      run,
      bytes: 0,
      ms: RUN_LIMIT_MS,
      ok: false,
      note: "timed out",
    });
  }
}

const dir = await Deno.makeTempDir({ prefix: "peerkit-bench-send-" });
console.log(
  `send throughput on loopback: ${mib} MiB, ${runs} runs; relay ${relayMib} MiB, 1 run; ` +
    `c-toxcore ${toxMib} MiB ` +
    `(${Deno.build.os}, deno ${Deno.version.deno}, load ${
      Deno.loadavg().map((x) => x.toFixed(1)).join(" ")
    })`,
);
await writePattern(`${dir}/src.bin`, size, 5);
const srcHash = await fileHash(`${dir}/src.bin`);
try {
  for (let r = 1; r <= runs; r++) {
    await tcpRun(
      "nc (plain TCP)",
      "nc -l 127.0.0.1 {P} > {OUT}",
      "nc -N 127.0.0.1 {P} < {IN}",
      r,
      dir,
    );
  }
  for (let r = 1; r <= runs; r++) {
    await tcpRun(
      "socat (plain TCP)",
      "socat -u TCP-LISTEN:{P},bind=127.0.0.1,reuseaddr CREATE:{OUT}",
      "socat -u OPEN:{IN} TCP:127.0.0.1:{P}",
      r,
      dir,
    );
  }
  for (let r = 1; r <= runs; r++) await toxcoreRun(r);

  await using node = await spawnLoopbackRelay(["--rate", "0"]);
  const relay = `127.0.0.1:${node.tcpPort}:${node.publicKeyHex}`;
  const dht = `127.0.0.1:${node.udpPort}:${node.publicKeyHex}`;
  const [ka, kb] = await Promise.all([keygen(`${dir}/a`), keygen(`${dir}/b`)]);
  const sendArgs = (args: string[]) => ["--home", `${dir}/a`, "--json", "send", kb, ...args];
  const inbox = `${dir}/inbox`;
  await Deno.mkdir(inbox);
  const boot = ["--bootstrap", dht, "--bind", "127.0.0.1:0", "--timeout", "30"];
  // Each direct run is a new pair of identities: a second DHT meeting of the same two keys
  // through the same node did not open (the meeting's business, not the transfer's; see
  // docs/send.md). A meeting that fails anyway is listed and tried once more.
  for (let r = 1, tries = 0; r <= runs && tries < runs + 2; tries++) {
    const [da, db] = [`${dir}/direct-a${tries}`, `${dir}/direct-b${tries}`];
    const [kda, kdb] = await Promise.all([keygen(da), keygen(db)]);
    await using l = spawnReceiver(db, inbox, kda, boot);
    const args = ["--home", da, "--json", "send", kdb, "--file", `${dir}/src.bin`, ...boot];
    const ok = await peerkitRun("peerkit send direct", r, args, inbox, l);
    if (ok || !/through the DHT/.test(rows.at(-1)?.note ?? "")) r++;
  }
  const viaRelay = ["--relay", relay, "--bind", "127.0.0.1:0", "--timeout", "30"];
  await using l = spawnReceiver(`${dir}/b`, inbox, ka, ["--keep-open", ...viaRelay], ["--verbose"]);
  await l.waitErr(/listening as/, 30_000);
  await writePattern(`${dir}/relayed.bin`, Math.round(relayMib * MiB), 6);
  {
    const r = 1;
    const args = sendArgs(["--file", `${dir}/relayed.bin`, "--no-punch", ...viaRelay]);
    const want = { name: "relayed.bin", hash: await fileHash(`${dir}/relayed.bin`) };
    await peerkitRun("peerkit send relay", r, args, inbox, l, want);
  }

  console.log("\ntime from spawning send to the receiver's first content byte, through the relay:");
  await writePattern(`${dir}/small.bin`, 64 * 1024, 2);
  const firstByte: number[] = [];
  for (let r = 1; r <= 3; r++) {
    const seen = l.err().split("\n").filter((x) => x.includes("receiving small.bin")).length;
    const t0 = Date.now();
    const p = spawnPeerkit(sendArgs(["--file", `${dir}/small.bin`, "--no-punch", ...viaRelay]));
    let at = 0;
    for (let i = 0; i < 2000 && at === 0; i++) {
      if (l.err().split("\n").filter((x) => x.includes("receiving small.bin")).length > seen) {
        at = Date.now();
      } else await new Promise((res) => setTimeout(res, 5));
    }
    const s = await p.status;
    await Deno.remove(`${inbox}/small.bin`).catch(() => {});
    const ms = at === 0 ? NaN : at - t0;
    firstByte.push(ms);
    console.log(`  run ${r}: ${ms.toFixed(0)} ms (send exit ${s.code})`);
  }

  const median = (side: string) => {
    const v = rows.filter((r) => r.side === side && r.ok).map(mbps).sort((x, y) => x - y);
    return v.length ? v[Math.floor((v.length - 1) / 2)]! : 0;
  };
  const nc = median("nc (plain TCP)"), socat = median("socat (plain TCP)");
  const tox = median("c-toxcore file");
  const direct = median("peerkit send direct"), viaR = median("peerkit send relay");
  const ratio = (a: number, b: number) => (b > 0 ? (a / b).toFixed(2) : "n/a");
  console.log("\nsummary (median byte-exact run of each side, MB/s = 10^6 bytes/s):");
  console.log(`  nc (plain TCP)        ${nc.toFixed(2)}`);
  console.log(`  socat (plain TCP)     ${socat.toFixed(2)}`);
  console.log(`  c-toxcore file        ${tox.toFixed(2)}   (${toxMib} MiB)`);
  console.log(`  peerkit send direct   ${direct.toFixed(2)}   (${mib} MiB)`);
  console.log(`  peerkit send relay    ${viaR.toFixed(2)}   (${relayMib} MiB, 1 run)`);
  console.log(`  direct / c-toxcore    ${ratio(direct, tox)}×   target ≥ 5`);
  console.log(`  direct / nc           ${ratio(direct, nc)}×   target ≥ 0.25`);
  console.log(`  direct / socat        ${ratio(direct, socat)}×`);
  console.log(`  relay / nc            ${ratio(viaR, nc)}×`);
  const fb = firstByte.filter((x) => !Number.isNaN(x)).sort((x, y) => x - y);
  const fbMed = fb.length ? fb[Math.floor((fb.length - 1) / 2)]! : NaN;
  console.log(`  first byte via relay  ${fbMed.toFixed(0)} ms median   target ≤ 1500`);
} finally {
  await Deno.remove(dir, { recursive: true }).catch(() => {});
}
