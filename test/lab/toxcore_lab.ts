/**
 * c-toxcore in the NAT lab: tox-bootstrapd daemons in the inet namespace (the DHT both
 * sides join, the first also a TCP relay) and libtoxcore clients (`test/interop/toxclient.c`)
 * in host-a or host-b, behind the lab's routers. Used by the c-toxcore punch test and by
 * `bench/punch_matrix.ts`, where two c-toxcore friends behind the same routers are the
 * anchor beside `peerkit punch`.
 *
 * c-toxcore NAT-pings a friend only when at least 4 of the friend's close nodes report an
 * address for it (tox-protocol.md §4), so the lab runs 5 daemons; 203.0.113.0/24 is not a
 * LAN range for c-toxcore, so its clients report UDP connections as on the Internet.
 *
 * @example
 * ```ts ignore
 * import { NatLab } from "./lab.ts";
 * import { toxcorePairInLab } from "./toxcore_lab.ts";
 * await using lab = await NatLab.create({ a: "full-cone", b: "symmetric" });
 * const r = await toxcorePairInLab(lab, { udpWaitMs: 20_000 });
 * console.log(r.firstKind, r.udpMs);
 * ```
 * @module
 */
import { ADDR, type LabHost, type NatLab } from "./lab.ts";
import { type Bootstrapd, startBootstrapd } from "../_support/toxcore.ts";
import { startToxClient, type ToxClient } from "../_support/toxclient.ts";

/** Daemons in the inet namespace: at least 4 must report a friend before c-toxcore punches. */
export const LAB_DAEMONS = 5;

/** The lab's DHT: daemons in inet, reached on 203.0.113.10. */
export interface LabDht extends AsyncDisposable {
  /** The daemons, the first with a TCP relay. */
  daemons: Bootstrapd[];
  /** `{ host, udpPort, tcpPort, publicKeyHex }` of each daemon, as a client reaches it. */
  nodes: { host: string; udpPort: number; tcpPort: number; publicKeyHex: string }[];
  /** Stops every daemon by PID. */
  stop(): Promise<void>;
}

const netns = (lab: NatLab, host: LabHost) => ["ip", "netns", "exec", lab.names[host]];

/**
 * Starts `count` daemons in inet: the first (with its TCP relay unless `tcpRelay` is false)
 * alone, the rest bootstrapping from it (c-toxcore's crowd rule, toxcore-interop.md).
 *
 * @example
 * ```ts ignore
 * import { startLabDht } from "./toxcore_lab.ts";
 * await using dht = await startLabDht(lab);
 * ```
 */
export async function startLabDht(
  lab: NatLab,
  opts: { count?: number; tcpRelay?: boolean } = {},
): Promise<LabDht> {
  const prefix = netns(lab, "inet");
  const daemons: Bootstrapd[] = [];
  const stop = async () => {
    for (const d of daemons.splice(0)) await d.stop();
  };
  try {
    const first = await startBootstrapd({ prefix, tcpRelay: opts.tcpRelay ?? true });
    daemons.push(first);
    const entry = { host: ADDR.inet1, port: first.udpPort, publicKeyHex: first.publicKeyHex };
    for (let i = 1; i < (opts.count ?? LAB_DAEMONS); i++) {
      daemons.push(await startBootstrapd({ prefix, tcpRelay: false, bootstrap: [entry] }));
    }
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    daemons,
    nodes: daemons.map((d) => ({
      host: ADDR.inet1,
      udpPort: d.udpPort,
      tcpPort: d.tcpPort,
      publicKeyHex: d.publicKeyHex,
    })),
    stop,
    [Symbol.asyncDispose]: stop,
  };
}

/**
 * A c-toxcore client in `host`, bootstrapped from every daemon of `dht` and given the
 * first daemon's TCP relay (when it has one).
 *
 * @example
 * ```ts ignore
 * import { startLabToxClient } from "./toxcore_lab.ts";
 * await using c = await startLabToxClient(lab, "host-a", dht);
 * ```
 */
export async function startLabToxClient(
  lab: NatLab,
  host: LabHost,
  dht: LabDht,
  opts: { tcpRelay?: boolean; port?: number } = {},
): Promise<ToxClient> {
  const c = await startToxClient({
    name: `toxclient in ${host}`,
    prefix: netns(lab, host),
    port: opts.port ?? 33445,
  });
  try {
    for (const n of dht.nodes) await c.bootstrap(n.host, n.udpPort, n.publicKeyHex);
    const relay = dht.nodes[0];
    if ((opts.tcpRelay ?? true) && relay && relay.tcpPort > 0) {
      await c.addTcpRelay(relay.host, relay.tcpPort, relay.publicKeyHex);
    }
  } catch (e) {
    await c.stop();
    throw e;
  }
  return c;
}

/** What two c-toxcore friends behind the lab's routers reached. */
export interface ToxcorePairResult {
  /** ms from both `tox_new` to both online. */
  onlineMs: number | null;
  /** The first friend connection kind A reported (`tcp` or `udp`), null when none. */
  firstKind: "tcp" | "udp" | null;
  /** ms from adding each other to A's first friend connection. */
  connectedMs: number | null;
  /** ms from adding each other until both report the friend over UDP, null when not. */
  udpMs: number | null;
  /** A's view at the end (friend connection kind). */
  finalKind: "none" | "tcp" | "udp";
  /** One line on a failure to start or to go online. */
  error?: string;
}

/**
 * Two c-toxcore friends in host-a and host-b of `lab` (5 daemons in inet, a TCP relay):
 * both go online, add each other with `tox_friend_add_norequest`, and the result says
 * whether and when each reported the friend connection over UDP (c-toxcore's NAT punching)
 * rather than TCP, waiting at most `udpWaitMs` after adding.
 *
 * @example
 * ```ts ignore
 * import { toxcorePairInLab } from "./toxcore_lab.ts";
 * const r = await toxcorePairInLab(lab, { udpWaitMs: 20_000 });
 * ```
 */
export async function toxcorePairInLab(
  lab: NatLab,
  opts: { udpWaitMs?: number; onlineWaitMs?: number } = {},
): Promise<ToxcorePairResult> {
  const udpWaitMs = opts.udpWaitMs ?? 20_000;
  const none: ToxcorePairResult = {
    onlineMs: null,
    firstKind: null,
    connectedMs: null,
    udpMs: null,
    finalKind: "none",
  };
  await using dht = await startLabDht(lab);
  const t0 = performance.now();
  let a: ToxClient | undefined, b: ToxClient | undefined;
  try {
    a = await startLabToxClient(lab, "host-a", dht);
    b = await startLabToxClient(lab, "host-b", dht);
    const onlineWait = opts.onlineWaitMs ?? 30_000;
    try {
      await Promise.all([a.waitForOnline(onlineWait), b.waitForOnline(onlineWait)]);
    } catch (e) {
      return { ...none, error: `not online: ${String(e).split("\n")[0]}` };
    }
    const onlineMs = performance.now() - t0;
    const bOnA = await a.addFriendNoRequest(b.publicKey);
    const aOnB = await b.addFriendNoRequest(a.publicKey);
    const t1 = performance.now();
    let connectedMs: number | null = null, firstKind: "tcp" | "udp" | null = null;
    const first = a.waitForFriend(bOnA, { timeoutMs: udpWaitMs }).then((k) => {
      connectedMs ??= performance.now() - t1;
      firstKind ??= k === "none" ? null : k;
    }, () => {});
    let udpMs: number | null = null;
    try {
      await Promise.all([
        a.waitForFriend(bOnA, { status: "udp", timeoutMs: udpWaitMs }),
        b.waitForFriend(aOnB, { status: "udp", timeoutMs: udpWaitMs }),
      ]);
      udpMs = performance.now() - t1;
    } catch { /* no UDP within the wait */ }
    await first;
    const finalKind = (await a.status()).friends.get(bOnA) ?? "none";
    return { onlineMs, firstKind, connectedMs, udpMs, finalKind };
  } catch (e) {
    return { ...none, error: String(e).split("\n")[0] };
  } finally {
    await a?.stop();
    await b?.stop();
  }
}
