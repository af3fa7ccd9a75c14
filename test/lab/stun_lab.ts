/**
 * STUN servers and NAT checks inside the NAT lab: `peerkit relay serve --stun-alternate` and
 * coturn's `turnserver` on the "inet" namespace's two addresses, `peerkit nat --json` and
 * Debian's `stun` client run as processes inside host-a, and switches that change a running
 * lab's WAN loss and nat-a's hairpinning without rebuilding it.
 *
 * The lab's own probe server keeps ports 3478 and 3479, so the relay answers on 3480 (other
 * port 3481) and coturn on 3482 (other port 3483), both on 203.0.113.10 and .11.
 *
 * @example
 * ```ts ignore
 * import { NatLab } from "./lab.ts";
 * import { peerkitNat, startStunServers } from "./stun_lab.ts";
 * await using lab = await NatLab.create({ a: "symmetric", b: "full-cone" });
 * const servers = await startStunServers(lab);
 * const r = await peerkitNat(lab, servers.relay);
 * console.log(r.verdict, r.mapping, r.filtering);
 * ```
 * @module
 */
import { ADDR, type NatLab } from "./lab.ts";
import { lossRules } from "./plan.ts";
import { type Personality, routerRules } from "./rules.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const CLI = `${ROOT}cli.ts`;
const CONFIG = `${ROOT}deno.json`;

/** One STUN server in the lab: what `--stun` is given. */
export interface LabStun {
  /** `relay` (peerkit relay serve) or `coturn`. */
  name: "relay" | "coturn";
  /** Primary address, `203.0.113.10:PORT`. */
  primary: string;
}

/** The two servers {@link startStunServers} started. */
export interface LabStunServers {
  /** `peerkit relay serve --host 203.0.113.10 --stun-alternate 203.0.113.11:3481` on UDP 3480. */
  relay: LabStun;
  /** `turnserver --stun-only` on .10 and .11, ports 3482 and 3483. */
  coturn: LabStun;
}

/**
 * Ports of the lab STUN servers (primary, other), beside the probe server's 3478/3479.
 *
 * @example
 * ```ts
 * import { STUN_PORTS } from "./stun_lab.ts";
 * console.assert(STUN_PORTS.relay[0] === 3480 && STUN_PORTS.coturn[1] === 3483);
 * ```
 */
export const STUN_PORTS = { relay: [3480, 3481], coturn: [3482, 3483] } as const;

/**
 * Starts both servers in "inet" (stopped by PID when the lab closes) and waits, bounded to
 * 20 s, until the UDP sockets they need are open.
 *
 * @example
 * ```ts ignore
 * import { NatLab } from "./lab.ts";
 * import { startStunServers } from "./stun_lab.ts";
 * await using lab = await NatLab.create({ a: "full-cone", b: "full-cone" });
 * const { relay, coturn } = await startStunServers(lab);
 * console.log(relay.primary, coturn.primary); // 203.0.113.10:3480 203.0.113.10:3482
 * ```
 */
export async function startStunServers(lab: NatLab): Promise<LabStunServers> {
  const home = await Deno.makeTempDir({ prefix: "peerkit-natlab-" });
  // The lab stops the servers at close; the state directory goes with the process.
  addEventListener("unload", () => Deno.removeSync(home, { recursive: true }));
  const [rp, ra] = STUN_PORTS.relay, [cp, ca] = STUN_PORTS.coturn;
  lab.spawn("inet", [
    Deno.execPath(),
    "run",
    "-A",
    "--quiet",
    "--config",
    CONFIG,
    CLI,
    "--home",
    home,
    "--json",
    "relay",
    "serve",
    "--host",
    ADDR.inet1,
    "--udp-port",
    String(rp),
    "--tcp-port",
    String(rp),
    "--stun-alternate",
    `${ADDR.inet2}:${ra}`,
  ]);
  lab.spawn("inet", [
    "turnserver",
    "-c",
    "/dev/null",
    "--listening-ip",
    ADDR.inet1,
    "--listening-ip",
    ADDR.inet2,
    "--listening-port",
    String(cp),
    "--alt-listening-port",
    String(ca),
    "--no-tcp",
    "--no-tls",
    "--no-dtls",
    "--stun-only",
    "--no-cli",
    "--simple-log",
    "--log-file",
    "stdout",
    "--pidfile",
    `${home}/turnserver.pid`,
    "--relay-threads",
    "1",
  ]);
  const want = [`${ADDR.inet1}:${rp}`, `${ADDR.inet2}:${ra}`, `${ADDR.inet1}:${cp}`];
  want.push(`${ADDR.inet2}:${cp}`, `${ADDR.inet1}:${ca}`, `${ADDR.inet2}:${ca}`);
  const deadline = Date.now() + 20_000;
  for (let i = 0; i < 200; i++) {
    const ss = await lab.exec("inet", ["ss", "-Hlun"], 5_000);
    const missing = want.filter((w) => !ss.stdout.includes(w));
    if (missing.length === 0) break;
    if (Date.now() > deadline) {
      throw new Error(`lab STUN servers not listening on ${missing.join(", ")}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    relay: { name: "relay", primary: `${ADDR.inet1}:${rp}` },
    coturn: { name: "coturn", primary: `${ADDR.inet1}:${cp}` },
  };
}

/** What `peerkit nat --json` said, and how long the process took. */
export interface NatCliResult {
  /** Exit code. */
  code: number;
  /** `open`, `easy`, `hard`, `blocked`, `unknown`. */
  verdict: string;
  /** RFC 4787 mapping words. */
  mapping: string;
  /** RFC 4787 filtering words. */
  filtering: string;
  /** `yes`, `no`, `unknown`. */
  hairpinning: string;
  /** Mapped address. */
  mapped: string | null;
  /** The check's own time (`elapsedMs`). */
  elapsedMs: number;
  /** Wall time of the process, start-up included. */
  wallMs: number;
}

/**
 * Runs `peerkit --json nat --stun <server>` in host-a (bounded to 20 s) and parses it.
 *
 * @example
 * ```ts ignore
 * import { NatLab } from "./lab.ts";
 * import { peerkitNat, startStunServers } from "./stun_lab.ts";
 * await using lab = await NatLab.create({ a: "symmetric", b: "full-cone" });
 * const r = await peerkitNat(lab, (await startStunServers(lab)).coturn);
 * console.assert(r.verdict === "hard");
 * ```
 */
export async function peerkitNat(lab: NatLab, server: LabStun): Promise<NatCliResult> {
  const t0 = performance.now();
  const r = await lab.exec("host-a", [
    Deno.execPath(),
    "run",
    "-A",
    "--quiet",
    "--config",
    CONFIG,
    CLI,
    "--json",
    "nat",
    "--stun",
    server.primary,
    "--timeout",
    "10",
  ]);
  const wallMs = performance.now() - t0;
  const line = r.stdout.trim().split("\n").at(-1) ?? "";
  let doc;
  try {
    doc = JSON.parse(line);
  } catch {
    throw new Error(`peerkit nat printed no JSON (exit ${r.code}): ${r.stderr.trim()}`);
  }
  const v4 = doc.ipv4 ?? {};
  return {
    code: r.code,
    verdict: String(doc.verdict),
    mapping: String(v4.mapping),
    filtering: String(v4.filtering),
    hairpinning: String(v4.hairpinning),
    mapped: v4.mapped ?? null,
    elapsedMs: Number(doc.elapsedMs),
    wallMs,
  };
}

/** What Debian's `stun` client (0.97) said. */
export interface StunClientResult {
  /** Its "Primary:" line, e.g. `Independent Mapping, Port Dependent Filter, ...`. */
  primary: string;
  /** A full verdict: a Primary line other than Blocked. */
  clean: boolean;
  /** Wall time of the process. */
  wallMs: number;
}

/**
 * Runs `stun <server>` in host-a (bounded to 20 s).
 *
 * @example
 * ```ts ignore
 * import { NatLab } from "./lab.ts";
 * import { startStunServers, stunClient } from "./stun_lab.ts";
 * await using lab = await NatLab.create({ a: "port-restricted", b: "full-cone" });
 * const r = await stunClient(lab, (await startStunServers(lab)).relay);
 * console.log(r.primary); // Independent Mapping, Port Dependent Filter, ...
 * ```
 */
export async function stunClient(lab: NatLab, server: LabStun): Promise<StunClientResult> {
  const [host, port] = server.primary.split(":");
  const t0 = performance.now();
  const r = await lab.exec("host-a", ["stun", `${host}:${port}`]);
  const wallMs = performance.now() - t0;
  const primary = /Primary:\s*([^\n\t]+)/.exec(r.stdout + r.stderr)?.[1]?.trim() ?? "";
  return { primary, clean: primary !== "" && !/blocked/i.test(primary), wallMs };
}

async function nftFile(lab: NatLab, host: "inet" | "nat-a", script: string): Promise<void> {
  const file = await Deno.makeTempFile({ prefix: "peerkit-natlab-", suffix: ".nft" });
  try {
    await Deno.writeTextFile(file, script);
    const r = await lab.exec(host, ["nft", "-f", file], 5_000);
    if (r.code !== 0) throw new Error(`nft in ${host}: ${r.stderr.trim().split("\n")[0]}`);
  } finally {
    await Deno.remove(file).catch(() => {});
  }
}

/**
 * Sets the WAN loss of a running lab (0 removes it), the same rules `netem.lossPct` adds.
 *
 * @example
 * ```ts ignore
 * import { NatLab } from "./lab.ts";
 * import { lossNow, setLoss } from "./stun_lab.ts";
 * await using lab = await NatLab.create({ a: "full-cone", b: "full-cone" });
 * await setLoss(lab, 5);
 * console.assert((await lossNow(lab)) === 5);
 * ```
 */
export async function setLoss(lab: NatLab, pct: number): Promise<void> {
  await lab.exec("inet", ["nft", "delete", "table", "bridge", "peerkit_lab_loss"], 5_000);
  if (pct > 0) await nftFile(lab, "inet", lossRules(pct));
}

/**
 * The loss share now in effect on the inet bridge (0 when the table is absent).
 *
 * @example
 * ```ts ignore
 * import { NatLab } from "./lab.ts";
 * import { lossNow } from "./stun_lab.ts";
 * await using lab = await NatLab.create({ a: "full-cone", b: "full-cone" });
 * console.assert((await lossNow(lab)) === 0);
 * ```
 */
export async function lossNow(lab: NatLab): Promise<number> {
  const r = await lab.exec("inet", ["nft", "list", "table", "bridge", "peerkit_lab_loss"], 5_000);
  return r.code === 0 ? Number(/mod 100 < (\d+) drop/.exec(r.stdout)?.[1] ?? 0) : 0;
}

/**
 * Replaces nat-a's rules in one transaction, with hairpinning on or off.
 *
 * @example
 * ```ts ignore
 * import { NatLab } from "./lab.ts";
 * import { setHairpin } from "./stun_lab.ts";
 * await using lab = await NatLab.create({ a: "symmetric", b: "full-cone" });
 * await setHairpin(lab, "symmetric", true);
 * ```
 */
export async function setHairpin(lab: NatLab, p: Personality, on: boolean): Promise<void> {
  const rules = routerRules({ personality: p, wan: ADDR.natAWan, host: ADDR.hostA, hairpin: on });
  await nftFile(lab, "nat-a", `delete table ip peerkit_lab\n${rules}`);
}
